"""Fan-out search over five local fake providers with injected latencies.

Each fake is a loopback HTTP server (in a child process) answering Inokufu's documented `/search` shape after a
fixed delay; the real `InokufuClient` and `HttpClient` call it. Reported:
- the fan-out's wall time divided by the slowest provider's latency (goal ≤ 1.10), beside
  the sequential sum of latencies;
- 50 concurrent searches: p50 and p99 latency, and their ratio to a single search.
The client-side rate limiter is off here: Inokufu's Basic plan (10 calls/s) would otherwise
set the pace of 50 concurrent searches, which is not what this measures.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import multiprocessing
import time
from urllib.parse import parse_qs, urlsplit

from providers.base import HttpClient
from providers.inokufu import InokufuClient
from providers.model import SearchQuery
from providers.search import fan_out

LATENCIES = (0.05, 0.10, 0.15, 0.20, 0.30)
ROUNDS = 10
CONCURRENT = 50


async def _serve_connection(name: str, latency: float, reader, writer) -> None:
    """A minimal HTTP/1.1 keep-alive responder: enough for GET /search from httpx."""
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                break
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            target = request_line.split(b" ")[1].decode()
            keywords = parse_qs(urlsplit(target).query).get("keywords", [""])[0]
            await asyncio.sleep(latency)
            items = [{"title": f"{name} {keywords} {i}", "url": f"https://{name}.example/{keywords}/{i}",
                      "provider": name, "learningTimeValue": 30, "learningTimeUnit": "min"} for i in range(10)]
            body = json.dumps({"statusCode": 200, "response": {"content": items, "metadata": {}}}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         + f"content-length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
    except (ConnectionError, IndexError):
        pass
    finally:
        writer.close()


def _run_servers(latencies, ports) -> None:
    """Child process: one asyncio server per fake provider, so the fakes never compete with
    the client for the GIL."""
    async def main():
        servers = []
        for index, latency in enumerate(latencies):
            server = await asyncio.start_server(
                lambda r, w, n=f"p{index}", l=latency: _serve_connection(n, l, r, w), "127.0.0.1", 0, backlog=1024)
            servers.append(server)
            ports.append(server.sockets[0].getsockname()[1])
        await asyncio.sleep(3600)

    asyncio.run(main())


def start_fake_providers(latencies) -> tuple[multiprocessing.Process, list[str]]:
    manager = multiprocessing.Manager()
    ports = manager.list()
    process = multiprocessing.Process(target=_run_servers, args=(latencies, ports), daemon=True)
    process.start()
    deadline = time.monotonic() + 10
    while len(ports) < len(latencies) and time.monotonic() < deadline:
        time.sleep(0.01)
    urls = [f"http://127.0.0.1:{port}" for port in list(ports)]
    manager.shutdown()
    return process, urls


def make_providers(urls: list[str]) -> list[InokufuClient]:
    providers = []
    for index, url in enumerate(urls):
        client = InokufuClient(HttpClient(f"Fake {index}", url), {"api_key": "bench-key"})
        client.key, client.label = f"fake{index}", f"Fake {index}"
        providers.append(client)
    return providers


def query(words: str) -> SearchQuery:
    return SearchQuery(keywords=words, types=("video",), languages=("en",))


async def timed_search(providers, words: str, deadline: float) -> float:
    started = time.perf_counter()
    outcome = await fan_out(providers, query(words), deadline=deadline)
    assert all(status.state == "ok" for status in outcome.statuses), outcome.statuses
    return time.perf_counter() - started


async def run() -> dict[str, float]:
    process, urls = start_fake_providers(LATENCIES)
    providers = make_providers(urls)
    deadline = 30.0
    await asyncio.gather(*(timed_search(providers, f"warm{i}", deadline) for i in range(CONCURRENT)))
    walls = [await timed_search(providers, f"round{i}", deadline) for i in range(ROUNDS)]
    single = statistics.median([await timed_search(providers, f"single{i}", deadline) for i in range(5)])
    concurrent = await asyncio.gather(*(timed_search(providers, f"c{i}", deadline) for i in range(CONCURRENT)))
    for provider in providers:
        await provider.http.aclose()
    process.terminate()
    concurrent = sorted(concurrent)
    return {
        "slowest": max(LATENCIES),
        "sequential": sum(LATENCIES),
        "fan_out": statistics.median(walls),
        "single": single,
        "p50": concurrent[len(concurrent) // 2],
        "p99": concurrent[min(len(concurrent) - 1, round(len(concurrent) * 0.99) - 1)],
    }


def main() -> None:
    r = asyncio.run(run())
    print("Fan-out search over 5 local fake providers (latencies "
          + ", ".join(f"{int(x * 1000)} ms" for x in LATENCIES) + ")")
    print(f"  fan-out wall time        {r['fan_out'] * 1000:7.1f} ms   (median of {ROUNDS})")
    print(f"  slowest provider         {r['slowest'] * 1000:7.1f} ms")
    print(f"  sequential sum           {r['sequential'] * 1000:7.1f} ms")
    print(f"  ratio fan-out / slowest  {r['fan_out'] / r['slowest']:7.3f}   (goal <= 1.10)")
    print(f"  ratio sequential / fan-out {r['sequential'] / r['fan_out']:5.2f}x")
    print(f"{CONCURRENT} concurrent searches")
    print(f"  single search            {r['single'] * 1000:7.1f} ms")
    print(f"  p50                      {r['p50'] * 1000:7.1f} ms   ratio to single {r['p50'] / r['single']:.3f}")
    print(f"  p99                      {r['p99'] * 1000:7.1f} ms   ratio to single {r['p99'] / r['single']:.3f}")


if __name__ == "__main__":
    main()
