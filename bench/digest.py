"""One digest sweep for 10,000 people with 300 interest sets, against local fakes.

A child process serves two fake providers (Inokufu's documented `/search` answer after
50 ms, asked by the real `InokufuClient`) and a fake Slack Web API. The fake Slack allows
one message per second per channel and `WORKSPACE_RATE` messages in each one-second
window for the workspace, and answers 429 with `Retry-After: 1` beyond either, as Slack
does. The sweep runs in this process with the production Slack client (slack_sdk's 429
retry handler), paced at the workspace rate, as a deployment would set it from the
limit it knows.

Reported:
- provider calls divided by distinct queries (goal 1.00): each interest set is one topic
  with one language and one type, which the Inokufu client asks in one request;
- digests delivered exactly once (goal 10,000 of 10,000);
- the sweep's wall time divided by the floor the workspace rate sets (goal ≤ 1.10);
- peak memory of this process, as its maximum resident set size (goal under 200 MB).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import math
import multiprocessing
import resource
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography.fernet import Fernet

PEOPLE = 10_000
INTEREST_SETS = 300
WORKSPACE_RATE = 150  # messages a second: a floor of 66.7 s for 10,000 digests
PROVIDER_LATENCY = 0.05
NOW = datetime(2026, 3, 16, 20, 0, tzinfo=UTC)  # a Monday, after 09:00 in each zone below
ZONES = ("UTC", "Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo")
LANGUAGES = ("en", "fr")
TYPES = ("video", "mooc", "podcast")
BOT_TOKEN = "xoxb-bench-000000000000"


# --- the fakes, in a child process (so they do not compete with the sweep for the GIL) ---------

class FakeWorkspace:
    """Slack's limits for chat.postMessage, and a count of what was delivered."""

    def __init__(self):
        self.window = 0  # the current one-second window
        self.in_window = 0
        self.last_post: dict[str, float] = {}
        self.delivered: Counter = Counter()  # (channel, week) → messages
        self.refused = 0

    def post(self, channel: str, week: str) -> tuple[int, dict, dict]:
        now = time.monotonic()
        if int(now) != self.window:
            self.window, self.in_window = int(now), 0
        if now - self.last_post.get(channel, -math.inf) < 1.0 or self.in_window >= WORKSPACE_RATE:
            self.refused += 1
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
        self.in_window += 1
        self.last_post[channel] = now
        self.delivered[(channel, week)] += 1
        return 200, {"ok": True, "channel": channel, "ts": f"{time.time():.6f}"}, {}

    def stats(self) -> dict:
        counts = self.delivered.values()
        return {"channels": len(self.delivered), "duplicates": sum(count - 1 for count in counts),
                "refused": self.refused}


async def _read_request(reader) -> tuple[str, bytes]:
    """The target and body of one HTTP/1.1 request."""
    target = (await reader.readline()).decode().split(" ")[1]
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode().partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    return target, await reader.readexactly(length) if length else b""


def _response(status: int, body: dict, headers: dict | None = None) -> bytes:
    data = json.dumps(body).encode()
    head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Too Many Requests'}",
            "content-type: application/json", f"content-length: {len(data)}",
            *(f"{name}: {value}" for name, value in (headers or {}).items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + data


def _serve(connection) -> None:
    """Child process: the fake Slack API and the fake providers on one event loop; sends
    their ports back through `connection`."""
    workspace = FakeWorkspace()
    searches: Counter = Counter()

    async def slack(reader, writer):
        """chat.postMessage (urllib sends one request per connection), and `bench.stats`."""
        try:
            target, body = await _read_request(reader)
            if target.endswith("/bench.stats"):
                writer.write(_response(200, {"ok": True, **workspace.stats()}))
            else:
                args = json.loads(body or b"{}")
                week = ((args.get("metadata") or {}).get("event_payload") or {}).get("week", "")
                writer.write(_response(*workspace.post(args.get("channel", ""), week)))
            await writer.drain()
        except (ConnectionError, ValueError, IndexError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def provider(name: str):
        async def answer(reader, writer):
            """Inokufu's `/search` answer, on a kept-alive connection; `/stats` counts searches."""
            try:
                while True:
                    target, _body = await _read_request(reader)
                    if target.startswith("/stats"):
                        writer.write(_response(200, {"searches": searches[name]}))
                    else:
                        searches[name] += 1
                        await asyncio.sleep(PROVIDER_LATENCY)
                        words = parse_qs(urlsplit(target).query).get("keywords", [""])[0]
                        items = [{"title": f"{name} {words} {i}", "url": f"https://{name}.example/{words}/{i}",
                                  "provider": name, "learningTimeValue": 30, "learningTimeUnit": "min"}
                                 for i in range(10)]
                        writer.write(_response(200, {"statusCode": 200, "response": {"content": items}}))
                    await writer.drain()
            except (ConnectionError, ValueError, IndexError, asyncio.IncompleteReadError):
                writer.close()
        return answer

    async def main():
        servers = [await asyncio.start_server(slack, "127.0.0.1", 0, backlog=4096)]
        for name in ("alpha", "beta"):
            servers.append(await asyncio.start_server(provider(name), "127.0.0.1", 0, backlog=1024))
        connection.send([server.sockets[0].getsockname()[1] for server in servers])
        await asyncio.sleep(3600)

    asyncio.run(main())


def start_fakes() -> tuple[multiprocessing.Process, list[int]]:
    """The fakes' process and ports: Slack's first, then each provider's."""
    context = multiprocessing.get_context("spawn")  # copies none of this process's threads
    ours, theirs = context.Pipe()
    process = context.Process(target=_serve, args=(theirs,), daemon=True)
    process.start()
    return process, ours.recv()


def read_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


# --- the workspace and the sweep --------------------------------------------------------------------

def interest_set(index: int) -> dict:
    return {"topics": (f"skill {index}",), "languages": (LANGUAGES[index % 2],),
            "types": (TYPES[index % 3],), "max_minutes": 60 + index % 4 * 30}


def prepare(db_path: Path) -> None:
    """10,000 people who set their preferences (topic, language, type, length) a month ago."""
    from store import preferences, users
    from store.db import open_db

    db = open_db(db_path)
    checked = datetime.now(UTC).isoformat()  # time zones fresh: no users.info calls
    first_use = datetime(2026, 2, 16, tzinfo=UTC)
    with db.atomic():
        for n in range(PEOPLE):
            user = f"U{n:05d}"
            users.upsert_user(db, "T1", user, tz=ZONES[n % len(ZONES)], tz_checked_at=checked, now=first_use)
            preferences.save_preferences(db, "T1", user, preferences.Preferences(**interest_set(n % INTEREST_SETS)),
                                         now=first_use)
    db.close()


def provider_specs(ports: list[int]):
    """Two providers spoken to by the real Inokufu client, with workspace credentials and no
    client-side rate limit (Inokufu's Basic plan would otherwise set the pace)."""
    from providers import inokufu

    class Beta(inokufu.InokufuClient):
        key, label = "beta", "Beta"

    alpha = dataclasses.replace(inokufu.SPEC, label="Alpha", rate_per_second=None,
                                url_env="BENCH_ALPHA_URL", credential_env={"api_key": "BENCH_ALPHA_KEY"})
    beta = dataclasses.replace(inokufu.SPEC, key="beta", label="Beta", build=Beta, rate_per_second=None,
                               url_env="BENCH_BETA_URL", credential_env={"api_key": "BENCH_BETA_KEY"})
    env = {"BENCH_ALPHA_URL": f"http://127.0.0.1:{ports[0]}", "BENCH_ALPHA_KEY": "bench-alpha-key",
           "BENCH_BETA_URL": f"http://127.0.0.1:{ports[1]}", "BENCH_BETA_KEY": "bench-beta-key"}
    return [alpha, beta], env


def run() -> dict:
    from bot.app import slack_client
    from bot.config import Settings
    from handlers.core.deps import Deps
    from handlers.digest.sweep import sweep
    from providers.registry import ProviderHub
    from providers.runner import LoopThread
    from store.crypto import Vault
    from store.pool import ThreadLocalDatabase

    process, (slack_port, *provider_ports) = start_fakes()
    try:
        with tempfile.TemporaryDirectory() as folder:
            db_path = Path(folder) / "bench.db"
            prepare(db_path)
            specs, env = provider_specs(provider_ports)
            deps = Deps(db=ThreadLocalDatabase(db_path), vault=Vault([Fernet.generate_key().decode()]),
                        hub=ProviderHub(specs, env), runner=LoopThread())
            api_url = f"http://127.0.0.1:{slack_port}/api/"
            client = slack_client(Settings(bot_token=BOT_TOKEN, slack_api_url=api_url))
            started = time.perf_counter()
            report = sweep(deps, client, NOW, messages_per_second=WORKSPACE_RATE)
            wall = time.perf_counter() - started
            deps.runner.run(deps.hub.aclose())
            deps.runner.stop()
            deps.db.close()
        slack = read_json(api_url + "bench.stats")
        searches = sum(read_json(f"http://127.0.0.1:{port}/stats")["searches"] for port in provider_ports)
    finally:
        process.terminate()
    return {"report": report, "wall": wall, "slack": slack, "searches": searches, "providers": len(provider_ports),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> dict:
    r = run()
    floor = PEOPLE / WORKSPACE_RATE
    distinct = INTEREST_SETS * r["providers"]
    once = r["slack"]["channels"] - r["slack"]["duplicates"]
    print(f"Digest sweep: {PEOPLE:,} people, {INTEREST_SETS} interest sets, {r['providers']} fake providers "
          f"({PROVIDER_LATENCY * 1000:.0f} ms), fake Slack at {WORKSPACE_RATE} messages/s and 1/s per channel")
    print(f"  provider calls / distinct queries  {r['searches']} / {distinct} = {r['searches'] / distinct:.2f}"
          "   (goal 1.00)")
    print(f"  digests delivered exactly once     {once:,} of {PEOPLE:,}   (goal {PEOPLE:,}); "
          f"duplicates {r['slack']['duplicates']}, 429s answered {r['slack']['refused']:,}")
    print(f"  wall time / rate-limit floor       {r['wall']:.1f} s / {floor:.1f} s = {r['wall'] / floor:.3f}"
          "   (goal <= 1.10)")
    print(f"  peak memory (max RSS)              {r['peak_mb']:.0f} MB   (goal < 200 MB)")
    print(f"  sweep: {r['report']}")
    return r


if __name__ == "__main__":
    main()
