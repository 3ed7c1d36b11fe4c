"""HTTP mode serves Slack at POST /slack/events and a health check at GET /healthz; it stops by draining."""

import socket
import threading
import time

import httpx
import pytest
from fakes.slack import SIGNING_SECRET, sign

from bot.cli import drain_work, stop_socket_mode
from bot.server import make_http_server
from store.db import StoreError


def test_healthz(served_app):
    response = httpx.get(f"{served_app}/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


def test_unknown_path_is_404(served_app):
    assert httpx.get(f"{served_app}/nowhere").status_code == 404


def test_slack_events_refuses_unsigned_posts(served_app):
    assert httpx.post(f"{served_app}/slack/events", content=b"{}").status_code == 401


def test_a_signed_request_reaches_bolt(served_app):
    body = "command=/learn&text=help&team_id=T1&user_id=U1&response_url=http://127.0.0.1:9/r&trigger_id=1.2"
    response = httpx.post(f"{served_app}/slack/events", content=body.encode(),
                          headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body)})
    assert response.status_code == 200 and "/learn enroll" in response.text


@pytest.fixture
def serve(app):
    """Start a server with the given options; stopped at the end."""
    started = []

    def run(**options):
        server = make_http_server(app, "127.0.0.1", 0, signing_secret=SIGNING_SECRET, **options)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}"
        for _ in range(100):
            try:
                httpx.get(f"{url}/nowhere")
                break
            except httpx.TransportError:
                time.sleep(0.05)
        started.append((server, thread))
        return server, thread, url

    yield run
    for server, thread in started:
        server.shutdown()
        thread.join(5)


def test_healthz_is_503_when_the_database_does_not_answer(serve):
    def broken():
        raise StoreError("the database does not answer: disk I/O error")

    _server, _thread, url = serve(health=broken)
    response = httpx.get(f"{url}/healthz")
    assert response.status_code == 503 and response.json() == {"ok": False, "status": "database unavailable"}


def test_a_body_that_never_arrives_is_408_after_the_read_timeout(serve):
    _server, _thread, url = serve(body_timeout=0.3)
    with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=5) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 408")


def test_the_stop_answers_503_then_drains_then_ends(serve):
    release = threading.Event()
    drained = []

    def drain(seconds):
        drained.append(seconds)
        return release.wait(seconds)

    server, thread, url = serve(drain=drain, drain_seconds=5)
    client = httpx.Client()
    assert client.get(f"{url}/healthz").status_code == 200
    server.stop()
    deadline = time.monotonic() + 5  # the stop is asynchronous: wait for the drain to begin
    while not drained and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client.get(f"{url}/healthz").json() == {"ok": False, "status": "stopping"}
    assert client.post(f"{url}/slack/events", content=b"{}", headers=sign("{}")).status_code == 503
    assert thread.is_alive() and drained and 0 < drained[0] <= 5
    release.set()
    thread.join(5)
    assert not thread.is_alive()


class FakeSocketModeHandler:
    """Stands for slack_bolt's SocketModeHandler: only what the stop calls."""

    def __init__(self, events):
        self.events = events

    def close(self):
        self.events.append("closed")


def test_socket_modes_stop_closes_the_connection_then_drains_acknowledged_work(app, deps, slack_api):
    from bot.config import Settings
    from bot.scheduler import start

    events = []
    deps.work.submit(lambda: (time.sleep(0.3), events.append("work done")))
    scheduler = start(Settings(digest_sweep_minutes=60), deps, app.client)
    finished = stop_socket_mode(FakeSocketModeHandler(events), lambda s: drain_work(app, deps, scheduler, s), 5)
    assert finished and events == ["closed", "work done"]
    assert not scheduler.running


def test_the_drain_gives_up_at_its_budget(app, deps):
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler()
    scheduler.start()
    release = threading.Event()
    deps.work.submit(lambda: release.wait(5))
    started = time.monotonic()
    assert drain_work(app, deps, scheduler, 0.3) is False
    assert time.monotonic() - started < 1
    release.set()
