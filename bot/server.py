"""HTTP mode: Slack's requests at `POST /slack/events`, and `GET /healthz` for load balancers.

uvicorn (one event loop, a deep listen backlog) serves `SlackIntake`, a small ASGI app in
front of the synchronous Bolt app. The intake refuses what is not from Slack before anything
is parsed: a body over 1 MiB (413, unread), a body that does not arrive in time (408), and a
missing, stale or wrong signature over the raw bytes (401). Each refusal is one log line,
never the body. What passes is dispatched to Bolt on a bounded thread pool, so the event
loop never blocks; Bolt's listeners acknowledge and hand slow work to the app's work pool.

On SIGTERM or SIGINT (`DrainingServer.handle_exit`) the server stops listening at once,
answers 503 to anything still sent on open connections (`/healthz`: "stopping", so a load
balancer drains), waits for the requests being acknowledged, then runs `drain(seconds)`
(the caller's: acknowledged work, the digest sweep) and exits within the drain budget.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import uvicorn
from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few kilobytes; anything this big is not from Slack
BODY_TIMEOUT_SECONDS = 10.0
BACKLOG = 2048
DISPATCH_THREADS = 32
SHUTDOWN_RESERVE_SECONDS = 1.0  # of the drain budget, kept for closing connections after the drain

HealthCheck = Callable[[], None]  # raises when the app cannot serve (e.g. the database does not answer)
Drain = Callable[[float], bool]  # lets acknowledged work finish within that many seconds; True if all did


class Refused(Exception):
    """A request refused at intake: `status` and a one-line `reason` for the log."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class SlackIntake:
    """The ASGI app: `/healthz`, and `/slack/events` checked before Bolt sees anything."""

    def __init__(self, app: App, signing_secret: str, *, health: HealthCheck | None = None,
                 body_timeout: float = BODY_TIMEOUT_SECONDS, dispatch_threads: int = DISPATCH_THREADS):
        self.app = app
        self.verifier = SignatureVerifier(signing_secret)
        self.health = health
        self.body_timeout = body_timeout
        self.dispatcher = ThreadPoolExecutor(max_workers=dispatch_threads, thread_name_prefix="dispatch")
        self.stopping = False
        self.in_flight = 0  # requests handed to Bolt and not yet acknowledged

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        path, method = scope["path"], scope["method"]
        if path == "/healthz" and method == "GET":
            await self.healthz(send)
        elif path == "/slack/events" and method == "POST":
            await self.slack_events(scope, receive, send)
        else:
            await respond(send, 404, {"error": "not found"})

    async def healthz(self, send) -> None:
        if self.stopping:
            await respond(send, 503, {"ok": False, "status": "stopping"})
            return
        if self.health is not None:
            try:
                await asyncio.get_running_loop().run_in_executor(None, self.health)
            except Exception as error:
                logger.warning("health check failed: %s", error)
                await respond(send, 503, {"ok": False, "status": "database unavailable"})
                return
        await respond(send, 200, {"ok": True})

    async def slack_events(self, scope, receive, send) -> None:
        try:
            if self.stopping:
                raise Refused(503, "stopping")
            headers = header_dict(scope)
            body = await self.read_body(headers, receive)
            self.check_signature(headers, body)
        except Refused as refusal:
            client = (scope.get("client") or ("?",))[0]
            logger.warning("refused POST /slack/events from %s: %s (HTTP %d)", client, refusal.reason, refusal.status)
            await respond(send, refusal.status, {"error": refusal.reason}, close=True)
            return
        status, response_headers, response_body = await self.dispatch(scope, headers, body)
        await send({"type": "http.response.start", "status": status, "headers": response_headers})
        await send({"type": "http.response.body", "body": response_body})

    async def read_body(self, headers: dict[str, str], receive) -> bytes:
        """The raw body, refused unread when its length is over the cap, and cut off at the cap
        (chunked) or after `body_timeout` seconds."""
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            raise Refused(413, f"body of {length} bytes is over the {MAX_BODY_BYTES}-byte limit")
        chunks, size = [], 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise Refused(400, "the client went away before sending its body")
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise Refused(413, f"body over the {MAX_BODY_BYTES}-byte limit")
                    chunks.append(chunk)
                    if not message.get("more_body"):
                        return b"".join(chunks)
        except TimeoutError:
            raise Refused(408, f"body not received within {self.body_timeout:g} s") from None

    def check_signature(self, headers: dict[str, str], body: bytes) -> None:
        """Slack's v0 signature over the raw bytes, with a timestamp at most 5 minutes away."""
        timestamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        if not timestamp or not signature:
            raise Refused(401, "no Slack signature")
        if not timestamp.isdigit():
            raise Refused(401, "malformed X-Slack-Request-Timestamp")
        try:
            valid = self.verifier.is_valid(body, timestamp, signature)
        except UnicodeDecodeError:
            valid = False
        if not valid:
            raise Refused(401, "invalid Slack signature or stale timestamp")

    async def dispatch(self, scope, headers: dict[str, str], body: bytes) -> tuple[int, list, bytes]:
        """Bolt's answer, computed on the dispatch pool so the event loop stays free."""
        query = scope.get("query_string", b"").decode("latin-1")
        self.in_flight += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self.dispatcher, bolt_answer, self.app, body, query, headers)
        finally:
            self.in_flight -= 1


def bolt_answer(app: App, body: bytes, query: str, headers: dict[str, str]) -> tuple[int, list, bytes]:
    try:
        response = app.dispatch(BoltRequest(body=body.decode("utf-8"), query=query, headers=headers))
    except Exception as error:  # a signed request Bolt cannot read: Slack's side, not a crash of ours
        logger.warning("could not handle a signed Slack request: %s", type(error).__name__)
        return 400, [(b"content-type", b"application/json")], b'{"error": "unreadable request"}'
    encoded = [(name.lower().encode("latin-1"), value.encode("latin-1"))
               for name, values in response.headers.items() for value in values]
    if not any(name == b"content-type" for name, _ in encoded):
        encoded.append((b"content-type", b"text/plain; charset=utf-8"))
    return response.status, encoded, (response.body or "").encode("utf-8")


def header_dict(scope) -> dict[str, str]:
    return {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}


async def respond(send, status: int, body: dict, *, close: bool = False) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]
    if close:  # the client may still be sending a body we will never read
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})


class DrainingServer(uvicorn.Server):
    """uvicorn, with a stop that drains: see the module docstring."""

    def __init__(self, config: uvicorn.Config, intake: SlackIntake, drain: Drain, drain_seconds: float):
        super().__init__(config)
        self.intake = intake
        self.drain = drain
        self.drain_seconds = drain_seconds
        self.drained = True
        self._loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets=None) -> None:
        self._loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)

    def handle_exit(self, sig, frame) -> None:
        """SIGTERM/SIGINT: runs in the main thread between two bytecodes, so it only sets a flag
        and asks the event loop to begin the stop."""
        if self.intake.stopping:
            return
        self.intake.stopping = True
        if self._loop is None:
            self.should_exit = True
        else:
            self._loop.call_soon_threadsafe(self.begin_stop)

    def begin_stop(self) -> None:
        logger.info("stopping: no new requests; letting acknowledged work finish (up to %g s)", self.drain_seconds)
        for server in getattr(self, "servers", []):
            server.close()  # no new connections; open ones get 503 until the drain ends
        asyncio.get_running_loop().create_task(self.drain_then_exit())

    async def drain_then_exit(self) -> None:
        budget = max(self.drain_seconds - min(SHUTDOWN_RESERVE_SECONDS, self.drain_seconds / 4), 0)
        deadline = time.monotonic() + budget
        while self.intake.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self.drained = await asyncio.to_thread(self.drain, max(deadline - time.monotonic(), 0))
        self.should_exit = True


class HttpServer:
    """The served intake on a socket bound at once (so port 0 works): `serve_forever()` in any
    thread, `shutdown()` from another; `stop()` starts the draining stop, as a signal would."""

    def __init__(self, app: App, host: str, port: int, *, signing_secret: str, health: HealthCheck | None = None,
                 drain: Drain = lambda _seconds: True, drain_seconds: float = 25.0,
                 body_timeout: float = BODY_TIMEOUT_SECONDS):
        # Bolt's own check logs a rejected body at INFO; ours has already run, so keep its log quiet.
        logging.getLogger("slack_bolt.RequestVerification").setLevel(logging.WARNING)
        self.intake = SlackIntake(app, signing_secret, health=health, body_timeout=body_timeout)
        self.socket = socket.create_server((host, port), backlog=BACKLOG)
        self.server_address = self.socket.getsockname()
        config = uvicorn.Config(self.intake, backlog=BACKLOG, lifespan="off", log_config=None, access_log=False,
                                timeout_graceful_shutdown=SHUTDOWN_RESERVE_SECONDS)
        self.server = DrainingServer(config, self.intake, drain, drain_seconds)

    def serve_forever(self, poll_interval: float | None = None) -> bool:
        """Serve until stopped; True when everything acknowledged finished in the drain."""
        self.server.run(sockets=[self.socket])
        self.intake.dispatcher.shutdown(wait=False)
        return self.server.drained

    def stop(self) -> None:
        self.server.handle_exit(0, None)

    def shutdown(self) -> None:
        self.server.should_exit = True


def make_http_server(app: App, host: str, port: int, **options) -> HttpServer:
    return HttpServer(app, host, port, **options)
