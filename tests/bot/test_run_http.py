"""`learnbot run --http` as a real process: signed Slack requests in, answers out, a stop that drains,
and an intake that refuses what is not from Slack without reading it, logging it or holding memory."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from cryptography.fernet import Fernet
from fakes.loopback import LoopbackServer
from fakes.slack import BOT_TOKEN, SIGNING_SECRET, SlackDriver, sign
from waiting import eventually

MIB = 1024 * 1024
MARKER = "BODYTEXTMUSTNOTBELOGGED"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Running:
    """The subprocess, its URL and every line it logged so far."""

    def __init__(self, process: subprocess.Popen, url: str, db_path):
        self.process, self.url, self.db_path = process, url, db_path
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def refusals(self) -> list[str]:
        return [line for line in self.lines if "refused POST /slack/events" in line]

    def rss_kib(self) -> int:
        with open(f"/proc/{self.process.pid}/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def start(tmp_path, slack_api, **extra_env) -> Running:
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack_api.api_url,
           "LEARNBOT_DB": str(tmp_path / "run.db"), "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode(),
           **extra_env}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    running = Running(process, f"http://127.0.0.1:{port}", tmp_path / "run.db")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{running.url}/healthz").status_code == 200:
                return running
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("learnbot run --http did not start: " + running.output)


@pytest.fixture
def running_app(tmp_path, slack_api):
    running = start(tmp_path, slack_api)
    yield running
    running.process.send_signal(signal.SIGTERM)
    running.process.wait(timeout=30)
    assert BOT_TOKEN not in running.output and SIGNING_SECRET not in running.output


def slow_inokufu(seconds: float):
    """Inokufu's `/search` answer, after `seconds`: searches still running when the stop comes."""
    def app(request: httpx.Request) -> httpx.Response:
        time.sleep(seconds)
        keywords = request.url.params.get("keywords", "")
        items = [{"title": f"{keywords} course {i}", "url": f"https://inokufu.example/{i}", "provider": "Inokufu",
                  "learningTimeValue": 30, "learningTimeUnit": "min"} for i in range(3)]
        return httpx.Response(200, json={"statusCode": 200, "response": {"content": items, "metadata": {}}})
    return app


def test_a_slash_command_is_answered_by_the_running_app(running_app, response_urls):
    slack = SlackDriver(running_app.url, response_urls.url)
    help_answer = slack.command("help")
    assert help_answer.status_code == 200 and "/learn enroll" in help_answer.text
    slack.command("python")
    assert "Results for “python”" in str(response_urls.wait(1, timeout=15)[0])


def test_sigterm_after_ten_acknowledged_commands_carries_them_all_out_then_exits_0(
        tmp_path, slack_api, response_urls):
    with LoopbackServer(slow_inokufu(1.0)) as inokufu:
        running = start(tmp_path, slack_api, LEARNBOT_DRAIN_SECONDS="10", LEARNBOT_INOKUFU_URL=inokufu.url,
                        LEARNBOT_INOKUFU_API_KEY="bench-key-123")
        slack = SlackDriver(running.url, response_urls.url)
        prefs_users = [f"U{n}" for n in range(10, 15)]
        acks = [slack.command(f"python {n}") for n in range(5)]
        acks += [slack.command(f"prefs set topics=topic{user}", user=user) for user in prefs_users]
        assert all(ack.status_code == 200 for ack in acks)
        health = httpx.Client()  # a load balancer's kept-alive connection
        assert health.get(f"{running.url}/healthz").status_code == 200

        running.process.send_signal(signal.SIGTERM)
        stopped_at = time.monotonic()
        assert len(response_urls.posts) < 10, "the searches should still be running when the stop comes"
        time.sleep(0.3)
        during = health.get(f"{running.url}/healthz")
        assert during.status_code == 503 and during.json() == {"ok": False, "status": "stopping"}
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{running.url}/healthz")  # no new connections

        assert running.process.wait(timeout=15) == 0
        assert time.monotonic() - stopped_at < 10
    answers = [str(post) for post in response_urls.wait(10, timeout=1)]
    assert sum("Results for “python" in answer for answer in answers) == 5
    db = sqlite3.connect(running.db_path)
    stored = dict(db.execute("SELECT user_id, topics FROM preferences"))
    assert all(f"topic{user}".lower() in stored[user].lower() for user in prefs_users)


def test_a_bad_drain_setting_stops_the_start_with_one_line(tmp_path, slack_api):
    result = subprocess.run([sys.executable, "-m", "bot", "run", "--http", "--port", str(free_port())],
                            env={"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SLACK_BOT_TOKEN": BOT_TOKEN,
                                 "SLACK_SIGNING_SECRET": SIGNING_SECRET, "LEARNBOT_DRAIN_SECONDS": "soon"},
                            cwd=tmp_path, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "Error: LEARNBOT_DRAIN_SECONDS is malformed: it should be a number of seconds or minutes, e.g. 25."]


@pytest.mark.parametrize("body, headers", [
    ("payload=%7B%22type%22%3A" + MARKER, {}),  # a malformed payload=, unsigned
    (b"\xff\xfe" + MARKER.encode(), sign("x")),  # invalid UTF-8 under someone else's signature
    ("[" * 5000 + json.dumps(MARKER) + "]" * 5000, sign("[]")),  # JSON nested deep
    ("command=/learn&text=" + MARKER, {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=abc"}),
    ("command=/learn&text=" + MARKER, {}),  # no signature at all
    ("command=/learn&text=" + MARKER, sign("command=/learn&text=" + MARKER, timestamp=int(time.time()) - 600)),
], ids=["malformed-payload", "invalid-utf8", "deep-json", "non-numeric-timestamp", "unsigned", "stale"])
def test_junk_is_refused_401_in_one_log_line_without_its_body(running_app, body, headers):
    before = len(running_app.refusals())
    content = body if isinstance(body, bytes) else body.encode()
    response = httpx.post(f"{running_app.url}/slack/events", content=content,
                          headers={"Content-Type": "application/x-www-form-urlencoded", **headers})
    assert response.status_code == 401
    assert eventually(lambda: len(running_app.refusals()) == before + 1)
    assert MARKER not in running_app.output and "Traceback" not in running_app.output


def test_a_5_mb_body_is_refused_413_unread(running_app):
    """Refused on its Content-Length alone: the answer comes before a byte of the body is sent."""
    port = int(running_app.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        signed = "".join(f"{name}: {value}\r\n" for name, value in sign(MARKER).items())
        sock.sendall(f"POST /slack/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {5 * MIB}\r\n{signed}\r\n".encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 413")
    assert eventually(lambda: len(running_app.refusals()) == 1) and MARKER not in running_app.output


def send_chunked(url: str, megabytes: int) -> None:
    """A chunked body of `megabytes` MiB, sent until the server stops reading it."""
    port = int(url.rsplit(":", 1)[1])
    chunk = b"a" * MIB
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(megabytes):
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
            sock.recv(1024)
        except OSError:
            pass  # the server answered 413 and closed while we were still sending


def send_announced(url: str, megabytes: int) -> None:
    """A body whose Content-Length says `megabytes` MiB; the server may answer 413 and close mid-send."""
    try:
        httpx.post(f"{url}/slack/events", content=b"a" * megabytes * MIB, headers=sign("{}"))
    except httpx.TransportError:
        pass


def test_memory_stays_flat_under_ten_concurrent_20_mb_bodies(running_app):
    before = running_app.rss_kib()
    with ThreadPoolExecutor(10) as senders:
        list(senders.map(lambda _: send_chunked(running_app.url, 20), range(10)))
    with ThreadPoolExecutor(10) as senders:  # and ten that announce their length
        list(senders.map(lambda _: send_announced(running_app.url, 20), range(10)))
    grown_mib = (running_app.rss_kib() - before) / 1024
    assert grown_mib < 20, f"RSS grew by {grown_mib:.0f} MiB"
    assert eventually(lambda: len(running_app.refusals()) == 20)


def test_connections_that_promise_a_body_and_send_nothing_do_not_block_acks(running_app, response_urls):
    port = int(running_app.url.rsplit(":", 1)[1])
    silent = []
    for _ in range(300):
        sock = socket.create_connection(("127.0.0.1", port))
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: t\r\nContent-Length: 500\r\n\r\n")
        silent.append(sock)
    try:
        started = time.monotonic()
        ack = SlackDriver(running_app.url, response_urls.url).command("python")
        assert ack.status_code == 200 and time.monotonic() - started < 1.5
    finally:
        for sock in silent:
            sock.close()
