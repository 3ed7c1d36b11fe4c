"""A fake Slack: the Web API (as `SLACK_API_URL`), a `response_url` receiver, and a request signer.

The fake Web API answers the methods learnbot calls the way Slack does (`{"ok": true, …}`,
`{"ok": false, "error": …}`), records every call, and can enforce Slack's one message per
second per channel with 429 + `Retry-After`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import httpx

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1111-2222-testtoken"


@dataclass
class Call:
    method: str
    args: dict
    at: float


@dataclass
class SlackUser:
    id: str
    tz: str = "Europe/Paris"
    email: str | None = None
    is_admin: bool = False
    name: str = "Ada Lovelace"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def _serve(handler_class) -> tuple[_Server, str]:
    server = _Server(("127.0.0.1", 0), handler_class)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@dataclass
class FakeSlackApi:
    """Records calls; `users` answers users.info; `per_channel_interval` enables rate limiting."""

    users: dict[str, SlackUser] = field(default_factory=dict)
    per_channel_interval: float = 0.0
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict]] = field(default_factory=dict)
    _last_post: dict[str, float] = field(default_factory=dict)
    _ts: int = 0

    def __post_init__(self):
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode()
                if "json" in (self.headers.get("content-type") or ""):
                    args = json.loads(raw or "{}")
                else:
                    args = {k: v[0] for k, v in parse_qs(raw).items()}
                method = self.path.rsplit("/", 1)[-1]
                status, body, headers = fake.answer(method, args, self.headers.get("authorization", ""))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(json.dumps(body).encode())

        self.server, self.url = _serve(Handler)
        self.api_url = self.url + "/api/"

    def close(self):
        self.server.shutdown()

    def answer(self, method: str, args: dict, authorization: str) -> tuple[int, dict, dict]:
        if authorization != f"Bearer {BOT_TOKEN}":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        with self.lock:
            channel = args.get("channel")
            if method == "chat.postMessage" and self.per_channel_interval and channel:
                wait = self._last_post.get(channel, 0) + self.per_channel_interval - time.monotonic()
                if wait > 0:
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(max(1, round(wait)))}
                self._last_post[channel] = time.monotonic()
            self.calls.append(Call(method, args, time.monotonic()))
            body = self._result(method, args)
            self.changed.notify_all()
        return 200, body, {}

    def _result(self, method: str, args: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "team_id": "T1", "bot_id": "B1", "url": "https://t.slack.com/"}
        if method == "users.info":
            user = self.users.get(args.get("user"))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": {"id": user.id, "name": user.name, "real_name": user.name, "tz": user.tz,
                                         "locale": "fr-FR" if user.tz == "Europe/Paris" else "en-US",
                                         "is_admin": user.is_admin, "is_owner": False,
                                         "profile": {"email": user.email, "real_name": user.name}}}
        if method in ("chat.postMessage", "chat.update"):
            self._ts += 1
            ts = args.get("ts") or f"{int(time.time())}.{self._ts:06d}"
            message = {**args, "ts": ts}
            for key in ("blocks", "metadata"):
                if isinstance(message.get(key), str):
                    message[key] = json.loads(message[key])
            self.messages.setdefault(args.get("channel"), []).append(message)
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": message}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": args.get("users")}}
        if method == "conversations.history":
            history = list(reversed(self.messages.get(args.get("channel"), [])))
            return {"ok": True, "messages": history, "has_more": False}
        if method in ("views.open", "views.update", "views.publish", "chat.postEphemeral"):
            return {"ok": True, "view": {"id": "V1"}}
        return {"ok": False, "error": "unknown_method"}

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len([c for c in self.calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"Slack API {method} was called fewer than {count} times")
                self.changed.wait(left)
            return [c for c in self.calls if c.method == method]


class ResponseUrlReceiver:
    """Catches what the app posts to a slash command's or button's `response_url`."""

    def __init__(self):
        self.posts: list[dict] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with receiver.changed:
                    receiver.posts.append(body)
                    receiver.changed.notify_all()
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

        self.server, self.url = _serve(Handler)

    def close(self):
        self.server.shutdown()

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.posts) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} response_url posts, got {len(self.posts)}")
                self.changed.wait(left)
            return list(self.posts)


def sign(body: str, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Slack's v0 request signature headers for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{timestamp}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(timestamp), "X-Slack-Signature": f"v0={digest}"}


class SlackDriver:
    """Sends signed requests to the app's `/slack/events`, the way Slack does."""

    def __init__(self, app_url: str, response_url: str, team_id: str = "T1"):
        self.app_url = app_url
        self.response_url = response_url
        self.team_id = team_id
        self.http = httpx.Client(timeout=10)

    def post(self, body: str, content_type: str, *, headers: dict | None = None) -> httpx.Response:
        signed = sign(body) if headers is None else headers
        return self.http.post(f"{self.app_url}/slack/events", content=body.encode(),
                              headers={"Content-Type": content_type, **signed})

    def command(self, text: str, user: str = "U1", **extra) -> httpx.Response:
        form = {"token": "x", "team_id": self.team_id, "team_domain": "t", "channel_id": "C1",
                "channel_name": "general", "user_id": user, "user_name": "ada", "command": "/learn",
                "text": text, "api_app_id": "A1", "response_url": self.response_url,
                "trigger_id": "13345224609.738474920.8088930838d88f008e0", **extra}
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def event(self, event: dict, *, event_id: str | None = None, retry: int = 0) -> httpx.Response:
        """An Events API delivery; `retry` > 0 resends `event_id` the way Slack does after a late 200."""
        body = json.dumps({"token": "x", "team_id": self.team_id, "api_app_id": "A1", "type": "event_callback",
                           "event_id": event_id or f"Ev{time.monotonic_ns()}", "event_time": int(time.time()),
                           "event": event})
        retry_headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.post(body, "application/json", headers={**sign(body), **retry_headers})

    def dm(self, text: str, user: str = "U1") -> httpx.Response:
        return self.event({"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
                           "text": text, "ts": f"{time.time():.6f}"})

    def interaction(self, payload: dict) -> httpx.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str | None = None, user: str = "U1", *,
              response_url: bool = True, container: dict | None = None, view: dict | None = None,
              **action) -> httpx.Response:
        payload = {"type": "block_actions", "team": {"id": self.team_id}, "user": {"id": user, "team_id": self.team_id},
                   "api_app_id": "A1", "trigger_id": "1.2.3", "container": container or {"type": "message"},
                   "actions": [{"action_id": action_id, "block_id": "b", "type": "button",
                                "action_ts": f"{time.time():.6f}",
                                **({"value": value} if value is not None else {}), **action}]}
        if response_url:
            payload["response_url"] = self.response_url
        if view is not None:
            payload["view"] = view
        return self.interaction(payload)

    def submit_view(self, callback_id: str, values: dict, user: str = "U1", metadata: str = "") -> httpx.Response:
        payload = {"type": "view_submission", "team": {"id": self.team_id},
                   "user": {"id": user, "team_id": self.team_id},
                   "api_app_id": "A1", "trigger_id": f"1.2.{time.monotonic_ns()}",
                   "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": metadata,
                            "state": {"values": values}, "hash": "h"}}
        return self.interaction(payload)
