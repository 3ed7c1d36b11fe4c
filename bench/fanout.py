"""Fan-out search over five local fake providers with injected latencies.

Each fake is a loopback HTTP server (in a child process, so it never competes with the
client for the GIL) answering Inokufu's documented `/search` shape after a fixed delay;
the real `InokufuClient` and `HttpClient` call it. Reported, each beside its goal:
- the fan-out's wall time divided by the slowest provider's latency (goal ≤ 1.05);
- 50 concurrent searches: p50 and p99 latency, and p99's ratio to a single search (≤ 1.3);
- CPU per provider request: this process's `time.process_time()` over the whole run
  divided by the provider requests it sent (goal ≤ 900 µs). What a process pays once, not
  per request, is paid before the clock starts: importing aiohttp (~120 ms, which
  `HttpClient` defers to its first request) and loading the certificate store (~20 ms).
The client-side rate limiter is off here: Inokufu's Basic plan (10 calls/s) would otherwise
set the pace of 50 concurrent searches, which is not what this measures.

`python -m bench.fanout --compare` runs the same measurements once per HTTP stack
(httpx's own transport; the aiohttp transport `HttpClient` uses; the latter on uvloop).
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import httpx

from providers.base import HttpClient, SharedSSLContext
from providers.inokufu import InokufuClient
from providers.model import SearchQuery
from providers.search import fan_out
from providers.vocabulary import Equivalents

LATENCIES = (0.05, 0.10, 0.15, 0.20, 0.30)
ROUNDS = 10
SINGLES = 5
CONCURRENT = 50

FANOUT_GOAL = 1.05
CONCURRENT_GOAL = 1.3
CPU_GOAL_US = 900

TransportFactory = Callable[[], httpx.AsyncBaseTransport | None]


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


def _run_servers(latencies, connection) -> None:
    """Child process: one asyncio server per fake provider."""
    async def main():
        servers = []
        for index, latency in enumerate(latencies):
            server = await asyncio.start_server(
                lambda r, w, n=f"p{index}", delay=latency: _serve_connection(n, delay, r, w),
                "127.0.0.1", 0, backlog=1024)
            servers.append(server)
        connection.send([server.sockets[0].getsockname()[1] for server in servers])
        await asyncio.sleep(3600)

    asyncio.run(main())


def start_fake_providers(latencies) -> tuple[multiprocessing.Process, list[str]]:
    context = multiprocessing.get_context("spawn")  # copies none of this process's threads
    ours, theirs = context.Pipe()
    process = context.Process(target=_run_servers, args=(latencies, theirs), daemon=True)
    process.start()
    return process, [f"http://127.0.0.1:{port}" for port in ours.recv()]


def make_providers(urls: list[str], transport: TransportFactory) -> list[InokufuClient]:
    """One client per fake, sharing one SSL context as `ProviderHub`'s clients do."""
    import providers.transport  # noqa: F401  (a once-per-process cost: see the module docstring)

    ssl_context = SharedSSLContext()
    ssl_context()
    providers = []
    for index, url in enumerate(urls):
        http = HttpClient(f"Fake {index}", url, transport=transport(), ssl_context=ssl_context)
        client = InokufuClient(http, {"api_key": "bench-key"})
        client.key, client.label = f"fake{index}", f"Fake {index}"
        providers.append(client)
    return providers


def query(words: str) -> SearchQuery:
    """One type and one language: one request to each provider per search."""
    return SearchQuery(keywords=words, types=("video",), languages=("en",))


EQUIVALENTS = Equivalents()  # the synonyms table the app builds once (`Deps.equivalents`)


async def timed_search(providers, words: str, deadline: float) -> float:
    started = time.perf_counter()
    outcome = await fan_out(providers, query(words), deadline=deadline, languages=("en",), equivalents=EQUIVALENTS)
    assert all(status.state == "ok" for status in outcome.statuses), outcome.statuses
    return time.perf_counter() - started


async def measure(urls: list[str], transport: TransportFactory) -> dict[str, float]:
    providers = make_providers(urls, transport)
    deadline = 30.0
    cpu_started = time.process_time()
    await asyncio.gather(*(timed_search(providers, f"warm{i}", deadline) for i in range(CONCURRENT)))
    walls = [await timed_search(providers, f"round{i}", deadline) for i in range(ROUNDS)]
    single = statistics.median([await timed_search(providers, f"single{i}", deadline) for i in range(SINGLES)])
    concurrent = await asyncio.gather(*(timed_search(providers, f"c{i}", deadline) for i in range(CONCURRENT)))
    cpu = time.process_time() - cpu_started
    for provider in providers:
        await provider.http.aclose()
    searches = CONCURRENT + ROUNDS + SINGLES + CONCURRENT
    concurrent = sorted(concurrent)
    return {
        "slowest": max(LATENCIES),
        "sequential": sum(LATENCIES),
        "fan_out": statistics.median(walls),
        "single": single,
        "p50": concurrent[len(concurrent) // 2],
        "p99": concurrent[min(len(concurrent) - 1, round(len(concurrent) * 0.99) - 1)],
        "cpu_per_request_us": cpu / (searches * len(providers)) * 1e6,
    }


def run(transport: TransportFactory = lambda: None, loop: str = "asyncio") -> dict[str, float]:
    process, urls = start_fake_providers(LATENCIES)
    try:
        if loop == "uvloop":
            import uvloop
            return uvloop.run(measure(urls, transport))
        return asyncio.run(measure(urls, transport))
    finally:
        process.terminate()
        process.join()


def print_figures(r: dict[str, float]) -> None:
    print(f"  fan-out wall time          {r['fan_out'] * 1000:7.1f} ms   (median of {ROUNDS})")
    print(f"  slowest provider           {r['slowest'] * 1000:7.1f} ms;  sequential sum "
          f"{r['sequential'] * 1000:.0f} ms ({r['sequential'] / r['fan_out']:.2f}x the fan-out)")
    print(f"  fan-out / slowest          {r['fan_out'] / r['slowest']:7.3f}   (goal <= {FANOUT_GOAL})")
    print(f"  {CONCURRENT} concurrent searches: single {r['single'] * 1000:.1f} ms, "
          f"p50 {r['p50'] * 1000:.1f} ms, p99 {r['p99'] * 1000:.1f} ms")
    print(f"  p99 / single               {r['p99'] / r['single']:7.3f}   (goal <= {CONCURRENT_GOAL})")
    print(f"  CPU per provider request   {r['cpu_per_request_us']:7.0f} µs (goal <= {CPU_GOAL_US} µs)")


def main() -> dict[str, float]:
    print("Fan-out search over 5 local fake providers (latencies "
          + ", ".join(f"{int(x * 1000)} ms" for x in LATENCIES) + ")")
    r = run()
    print_figures(r)
    return r


def compare() -> None:
    """The same figures for each HTTP stack, side by side."""
    stacks = {
        "httpx, its own transport (httpcore)": (httpx.AsyncHTTPTransport, "asyncio"),
        "httpx, aiohttp transport (HttpClient's default)": (lambda: None, "asyncio"),
        "httpx, aiohttp transport, uvloop": (lambda: None, "uvloop"),
    }
    for name, (transport, loop) in stacks.items():
        print(name)
        print_figures(run(transport, loop))


if __name__ == "__main__":
    compare() if "--compare" in sys.argv[1:] else main()
