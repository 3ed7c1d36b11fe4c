"""A real `learnbot run --http` process under 100 simultaneous `/learn` commands.

The app runs as a subprocess against local fakes in another child process (so they never
compete with the app or the load for the GIL): Slack's Web API (`SLACK_API_URL`), the
`response_url` receiver that timestamps each final reply, and, for the slow scenario, an
Inokufu `/search` answering after 300 ms (the client's own limiter keeps it to Inokufu's
plan, 10 calls/s). Each command is signed as Slack signs it. Reported, each beside its goal:
- 100 simultaneous commands (bundled catalog): ack p99 < 300 ms, 0 connection errors, every
  final reply delivered, final-reply p99 < 1 s;
- the same with Inokufu at 300 ms and 10 calls/s: ack p99 < 300 ms;
- peak RSS of the process after 2,000 distinct searches (< 150 MB), and its growth from 2,000 to
  4,000 once the result cache (2,048 entries) is full (flat: < 10 MB).

`python -m bench.load --app-dir DIR` runs the same load against another checkout (e.g. main
before a change), with this environment's Python.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from cryptography.fernet import Fernet

from bench.fanout import start_fake_providers

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1111-2222-benchtoken"
ROOT = Path(__file__).resolve().parent.parent

COMMANDS = 100
ROUNDS = 3
MEMORY_SEARCHES = 4000  # the result cache holds 2,048: the second half shows whether memory stays flat
MEMORY_BATCH = 5  # a few at a time: this measures memory per distinct search, not concurrency

ACK_GOAL = 0.300
REPLY_GOAL = 1.0
RSS_GOAL_MB = 150


# --- the fake Slack, in a child process ---------------------------------------------------------

async def _serve_slack(arrivals: dict[str, float], reader, writer) -> None:
    """Slack's Web API (`/api/<method>`), the response_url receiver (`/r/<id>`) and `/arrivals`."""
    try:
        while True:
            request_line = await reader.readline()
            if not request_line:
                break
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            body = await reader.readexactly(length) if length else b""
            path = request_line.split(b" ")[1].decode()
            answer = _slack_answer(path, body, arrivals)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         + f"content-length: {len(answer)}\r\n\r\n".encode() + answer)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, IndexError):
        pass
    finally:
        writer.close()


def _slack_answer(path: str, body: bytes, arrivals: dict[str, float]) -> bytes:
    if path.startswith("/r/"):
        arrivals[path[3:]] = time.time()
        return b"ok"
    if path == "/arrivals":
        return json.dumps(arrivals).encode()
    method = urlsplit(path).path.rsplit("/", 1)[-1]
    if method == "users.info":
        user = {k: v[0] for k, v in parse_qs(body.decode()).items()}.get("user", "U1")
        return json.dumps({"ok": True, "user": {"id": user, "name": "ada", "tz": "Europe/Paris", "locale": "en-US",
                                                "profile": {"email": f"{user}@example.com", "real_name": "Ada"}}}
                          ).encode()
    if method == "auth.test":
        return b'{"ok": true, "user_id": "UBOT", "team_id": "T1", "bot_id": "B1"}'
    return json.dumps({"ok": True, "ts": f"{time.time():.6f}", "channel": "D1"}).encode()


def _run_slack(connection) -> None:
    async def main():
        arrivals: dict[str, float] = {}
        server = await asyncio.start_server(lambda r, w: _serve_slack(arrivals, r, w), "127.0.0.1", 0, backlog=2048)
        connection.send(server.sockets[0].getsockname()[1])
        await asyncio.sleep(24 * 3600)

    asyncio.run(main())


def start_fake_slack() -> tuple[multiprocessing.Process, str]:
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(target=_run_slack, args=(theirs,), daemon=True)
    process.start()
    return process, f"http://127.0.0.1:{ours.recv()}"


# --- the app under test, as a subprocess ----------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(app_dir: Path, workdir: Path, slack_url: str, extra_env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(workdir), "PYTHONPATH": str(app_dir),
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": slack_url + "/api/", "LEARNBOT_DB": str(workdir / "load.db"),
           "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode(), "LEARNBOT_DIGEST_SWEEP_MINUTES": "600",
           **extra_env}
    log = open(workdir / "app.log", "w")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("learnbot run --http did not start: " + (workdir / "app.log").read_text()[-2000:])


def stop_app(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        process.kill()


def signed_command(text: str, user: str, response_url: str) -> tuple[bytes, dict[str, str]]:
    form = {"token": "x", "team_id": "T1", "team_domain": "t", "channel_id": "C1", "channel_name": "general",
            "user_id": user, "user_name": "ada", "command": "/learn", "text": text, "api_app_id": "A1",
            "response_url": response_url, "trigger_id": "13345224609.738474920.8088930838d88f008e0"}
    body = urlencode(form)
    timestamp = str(int(time.time()))
    digest = hmac.new(SIGNING_SECRET.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"Content-Type": "application/x-www-form-urlencoded",
                           "X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}"}


# --- the load --------------------------------------------------------------------------------------

async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """One HTTP/1.1 POST on its own connection, as Slack sends each request; the status code.

    Raw asyncio rather than an HTTP client library: the load generator shares the machine's
    two cores with the app, and should cost as little of them as Slack's servers do."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    try:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        writer.write(f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
                     f"Content-Length: {len(body)}\r\n{head}\r\n".encode() + body)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("closed without an answer")
        return int(status_line.split()[1])
    finally:
        writer.close()


async def one_command(url: str, text: str, user: str, reply_url: str):
    body, headers = signed_command(text, user, reply_url)
    started = time.time()
    try:
        status = await post(f"{url}/slack/events", body, headers)
    except OSError:
        return started, None
    return started, (time.time() - started if status == 200 else None)


async def arrivals_of(slack_url: str) -> dict[str, float]:
    return await asyncio.to_thread(lambda: httpx.get(f"{slack_url}/arrivals").json())


async def simultaneous(url: str, slack_url: str, words: list[str], tag: str, wait: float = 15) -> dict:
    """Send one command per word at once; wait for their final replies (`wait` seconds at most)."""
    results = await asyncio.gather(*(
        one_command(url, word, f"U{i % 40}", f"{slack_url}/r/{tag}-{i}") for i, word in enumerate(words)))
    deadline = time.monotonic() + wait
    while True:
        mine = {key: at for key, at in (await arrivals_of(slack_url)).items() if key.startswith(f"{tag}-")}
        if len(mine) >= len(words) or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.05)
    acks = [ack for _, ack in results if ack is not None]
    replies = [mine[f"{tag}-{i}"] - started for i, (started, _) in enumerate(results) if f"{tag}-{i}" in mine]
    return {"acks": acks, "errors": len(words) - len(acks), "replies": replies, "sent": len(words)}


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def load_rounds(url: str, slack_url: str, label: str, wait: float = 15) -> dict:
    totals = {"acks": [], "errors": 0, "replies": [], "sent": 0}
    for round_number in range(ROUNDS):
        words = [f"python {label} {round_number} {i}" for i in range(COMMANDS)]
        result = asyncio.run(simultaneous(url, slack_url, words, f"{label}{round_number}", wait))
        for key in ("acks", "replies"):
            totals[key] += result[key]
        totals["errors"] += result["errors"]
        totals["sent"] += result["sent"]
        print(f"    round {round_number + 1}: ack p99 {percentile(result['acks'], 0.99) * 1000:.0f} ms, "
              f"final reply p99 {percentile(result['replies'], 0.99) * 1000:.0f} ms")
        time.sleep(1)
    return totals


def rss_mb(pid: int) -> tuple[float, float]:
    """(current, peak) resident memory of `pid`, in MB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def memory_run(process: subprocess.Popen, url: str, slack_url: str) -> list[tuple[int, float, float]]:
    samples = []
    for start in range(0, MEMORY_SEARCHES, MEMORY_BATCH):
        words = [f"topic{n} learning" for n in range(start, start + MEMORY_BATCH)]
        asyncio.run(simultaneous(url, slack_url, words, f"mem{start}"))
        if (start + MEMORY_BATCH) % 500 == 0:
            samples.append((start + MEMORY_BATCH, *rss_mb(process.pid)))
    return samples


def report_load(title: str, totals: dict, *, replies_goal: bool) -> None:
    acks, replies = totals["acks"], totals["replies"]
    ok = lambda good: "ok" if good else "MISSED"  # noqa: E731
    p99 = percentile(acks, 0.99)
    print(f"{title} ({ROUNDS} rounds of {COMMANDS}):")
    print(f"  ack p50 {percentile(acks, 0.5) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms   "
          f"goal p99 < {ACK_GOAL * 1000:.0f} ms [{ok(p99 < ACK_GOAL)}]")
    print(f"  connection errors {totals['errors']} of {totals['sent']}   goal 0 [{ok(totals['errors'] == 0)}]")
    delivered = len(replies)
    reply_p99 = percentile(replies, 0.99)
    if replies_goal:
        everyone = delivered == totals["sent"]
        print(f"  final replies delivered {delivered} of {totals['sent']}   goal all [{ok(everyone)}]")
        print(f"  final reply p50 {percentile(replies, 0.5) * 1000:.0f} ms, p99 {reply_p99 * 1000:.0f} ms   "
              f"goal p99 < {REPLY_GOAL * 1000:.0f} ms [{ok(reply_p99 < REPLY_GOAL)}]")
    else:
        print(f"  final replies delivered {delivered} of {totals['sent']}, p99 {reply_p99 * 1000:.0f} ms (no goal)")


def main(app_dir: Path = ROOT) -> None:
    print(f"HTTP load against `learnbot run --http` from {app_dir}")
    slack_process, slack_url = start_fake_slack()
    provider_process = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp) / "fast"
            workdir.mkdir()
            process, url = start_app(app_dir, workdir, slack_url, {})
            try:
                report_load("100 simultaneous /learn, bundled catalog", load_rounds(url, slack_url, "fast"),
                            replies_goal=True)
                samples = memory_run(process, url, slack_url)
            finally:
                stop_app(process)
            at_2000 = next(peak for n, _rss, peak in samples if n == 2000)
            after_fill = samples[-1][1] - next(rss for n, rss, _ in samples if n == 2000)
            print(f"memory over {MEMORY_SEARCHES} distinct searches: "
                  + ", ".join(f"{n}: {rss:.0f} MB" for n, rss, _ in samples))
            print(f"  peak RSS after 2,000 searches {at_2000:.0f} MB   goal < {RSS_GOAL_MB} MB "
                  f"[{'ok' if at_2000 < RSS_GOAL_MB else 'MISSED'}]")
            print(f"  from 2,000 to {MEMORY_SEARCHES} searches (cache full) {after_fill:+.1f} MB   goal flat (< 10 MB) "
                  f"[{'ok' if after_fill < 10 else 'MISSED'}]")
            provider_process, (inokufu_url,) = start_fake_providers([0.3])
            workdir = Path(tmp) / "slow"
            workdir.mkdir()
            process, url = start_app(app_dir, workdir, slack_url, {
                "LEARNBOT_INOKUFU_URL": inokufu_url, "LEARNBOT_INOKUFU_API_KEY": "bench-key-123"})
            try:
                report_load("100 simultaneous /learn, Inokufu at 300 ms and 10 calls/s",
                            load_rounds(url, slack_url, "slow", wait=60), replies_goal=False)
            finally:
                stop_app(process)
    finally:
        slack_process.kill()
        if provider_process is not None:
            provider_process.kill()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout whose `bot` to run")
    main(parser.parse_args().app_dir)
