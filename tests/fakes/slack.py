"""A fake Slack: the Web API (as `SLACK_API_URL`), a `response_url` receiver, and a request signer.

The fake Web API answers the methods learnbot calls the way Slack does (`{"ok": true, …}`,
`{"ok": false, "error": …}`), records every call, and can enforce Slack's one message per
second per channel with 429 + `Retry-After`.

Both refuse what Slack's servers refuse beyond `slack_sdk.models` (../shared/slack/RULES.md):
a modal with an `input` block and no `submit`, modal texts over 24 characters, a trigger id
used twice or after 3 seconds, `views.update` with a stale hash, too many blocks, long
private metadata or callback ids, long section texts, button urls and values, an action id
twice in a block, blocks without `text`. A refused call is kept in `refused`, not `calls`,
and waiting for such a call fails at once with Slack's reason.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import httpx

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-1111-2222-testtoken"


# --- Slack's server-side rules (RULES.md), beyond what slack_sdk.models checks ----------------------

TRIGGER_LIFETIME = 3.0  # seconds a trigger_id can be exchanged for a view
MODAL_TEXT_LIMIT = 24  # title, submit and close
VIEW_BLOCK_LIMIT = 100
MESSAGE_BLOCK_LIMIT = 50
PRIVATE_METADATA_LIMIT = 3000
CALLBACK_ID_LIMIT = 255
SECTION_TEXT_LIMIT = 3000
BUTTON_URL_LIMIT = 3000
BUTTON_VALUE_LIMIT = 2000


class Refusal(Exception):
    """What Slack answers instead of `ok: true`: an error code and, like Slack, a readable reason."""

    def __init__(self, error: str, reason: str = ""):
        super().__init__(f"{error}: {reason}" if reason else error)
        self.error = error
        self.reason = reason

    def body(self) -> dict:
        body = {"ok": False, "error": self.error}
        if self.reason:
            body["response_metadata"] = {"messages": [f"[ERROR] {self.reason}"]}
        return body


def _decoded(value):
    return json.loads(value) if isinstance(value, str) else value


def _plain(text) -> str:
    return text.get("text", "") if isinstance(text, dict) else (text or "")


def check_blocks(blocks: list[dict], limit: int, error: str) -> None:
    """Rules every block list obeys, in a message (`limit` 50) or a view (100)."""
    if len(blocks) > limit:
        raise Refusal(error, f"no more than {limit} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        where = f"[json-pointer:/blocks/{index}"
        if block.get("type") == "section" and len(_plain(block.get("text"))) > SECTION_TEXT_LIMIT:
            raise Refusal(error, f"must be less than {SECTION_TEXT_LIMIT + 1} characters {where}/text/text]")
        elements = list(block.get("elements") or [])
        if block.get("accessory"):
            elements.append(block["accessory"])
        if block.get("element"):
            elements.append(block["element"])
        action_ids = [e["action_id"] for e in elements if isinstance(e, dict) and e.get("action_id")]
        if len(action_ids) != len(set(action_ids)):
            raise Refusal(error, f"action_id must be unique within a block {where}]")
        for element in elements:
            if not isinstance(element, dict) or element.get("type") != "button":
                continue
            if len(element.get("url") or "") > BUTTON_URL_LIMIT:
                raise Refusal(error, f"must be less than {BUTTON_URL_LIMIT + 1} characters {where}/url]")
            if len(element.get("value") or "") > BUTTON_VALUE_LIMIT:
                raise Refusal(error, f"must be less than {BUTTON_VALUE_LIMIT + 1} characters {where}/value]")


def check_message(args: dict) -> None:
    """chat.postMessage, chat.update, chat.postEphemeral and response_url bodies."""
    blocks = _decoded(args.get("blocks"))
    if blocks is None:
        return
    if not (args.get("text") or "").strip():
        raise Refusal("invalid_arguments", "`text` is required with `blocks`: it is the notification and "
                                           "accessibility fallback")
    check_blocks(blocks, MESSAGE_BLOCK_LIMIT, "invalid_blocks")


def check_view(view: dict) -> None:
    """views.open, views.push, views.update and views.publish."""
    if len(view.get("private_metadata") or "") > PRIVATE_METADATA_LIMIT:
        raise Refusal("invalid_arguments", f"must be less than {PRIVATE_METADATA_LIMIT + 1} characters "
                                           "[json-pointer:/view/private_metadata]")
    if len(view.get("callback_id") or "") > CALLBACK_ID_LIMIT:
        raise Refusal("invalid_arguments", f"must be less than {CALLBACK_ID_LIMIT + 1} characters "
                                           "[json-pointer:/view/callback_id]")
    blocks = view.get("blocks") or []
    if view.get("type") == "modal":
        if not _plain(view.get("title")):
            raise Refusal("invalid_arguments", "missing required field: title [json-pointer:/view/title]")
        for part in ("title", "submit", "close"):
            if len(_plain(view.get(part))) > MODAL_TEXT_LIMIT:
                raise Refusal("invalid_arguments", f"must be less than {MODAL_TEXT_LIMIT + 1} characters "
                                                   f"[json-pointer:/view/{part}/text]")
        if not view.get("submit") and any(block.get("type") == "input" for block in blocks):
            raise Refusal("invalid_arguments", "must define `submit` to use `input` block "
                                               "[json-pointer:/view/submit]")
    check_blocks(blocks, VIEW_BLOCK_LIMIT, "invalid_arguments")


def all_text(post: dict) -> str:
    """A message's fallback text and blocks as one string, for "does it say…" checks."""
    return post.get("text", "") + json.dumps(post.get("blocks", []), ensure_ascii=False)


def button(post: dict, action_id: str, containing: str = "") -> dict:
    """The button `action_id` of a message whose value contains `containing`."""
    for block in post.get("blocks", []):
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == action_id and containing in element.get("value", ""):
                return element
    raise AssertionError(f"no {action_id} button with {containing!r}")


def new_trigger_id() -> str:
    """A trigger id as Slack issues one with each interaction; the fake reads its issue time back."""
    return f"{time.monotonic_ns() // 1000}.{uuid.uuid4().int % 10**9}.{uuid.uuid4().hex[:32]}"


def trigger_issued_at(trigger_id: str) -> float | None:
    """The `time.monotonic()` a `new_trigger_id` was made at; None for ids Slack never issued."""
    head = (trigger_id or "").split(".", 1)[0]
    return int(head) / 1_000_000 if head.isdigit() and "." in (trigger_id or "") else None


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
    refused: list[tuple[Call, Refusal]] = field(default_factory=list)
    views: dict[str, dict] = field(default_factory=dict)  # view id → the view Slack shows, with its hash
    used_triggers: set[str] = field(default_factory=set)
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
            call = Call(method, args, time.monotonic())
            try:
                self._check(method, args)
            except Refusal as refusal:
                self.refused.append((call, refusal))
                self.changed.notify_all()
                return 200, refusal.body(), {}
            self.calls.append(call)
            body = self._result(method, args)
            self.changed.notify_all()
        return 200, body, {}

    def _check(self, method: str, args: dict) -> None:
        """Slack's refusals (RULES.md); runs under the lock, before the call takes effect."""
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            check_message(args)
        if not method.startswith("views."):
            return
        view = _decoded(args.get("view")) or {}
        check_view(view)
        if method in ("views.open", "views.push"):
            self._exchange(args.get("trigger_id"))
        if method == "views.update":
            shown = self.views.get(args.get("view_id"))
            if shown is None:
                raise Refusal("not_found")
            if args.get("hash") and args["hash"] != shown["hash"]:
                raise Refusal("hash_conflict")

    def _exchange(self, trigger_id: str | None) -> None:
        issued = trigger_issued_at(trigger_id or "")
        if issued is None:
            raise Refusal("invalid_trigger_id")
        if trigger_id in self.used_triggers:
            raise Refusal("exchanged_trigger_id")
        if time.monotonic() - issued > TRIGGER_LIFETIME:
            raise Refusal("expired_trigger_id")
        self.used_triggers.add(trigger_id)

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
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view_id = args.get("view_id") or f"V{len(self.views) + 1}"
            shown = {**_decoded(args["view"]), "id": view_id, "hash": uuid.uuid4().hex[:12]}
            self.views[view_id] = shown
            return {"ok": True, "view": shown}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{int(time.time())}.000001"}
        return {"ok": False, "error": "unknown_method"}

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def refusals(self, method: str | None = None) -> list[Refusal]:
        with self.lock:
            return [refusal for call, refusal in self.refused if method in (None, call.method)]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """The calls to `method` once there are `count`; fails at once when Slack refused one."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len([c for c in self.calls if c.method == method]) < count:
                refused = [refusal for call, refusal in self.refused if call.method == method]
                if refused:
                    raise AssertionError(f"Slack refused {method}: {refused[0]}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"Slack API {method} was called fewer than {count} times")
                self.changed.wait(left)
            return [c for c in self.calls if c.method == method]


class ResponseUrlReceiver:
    """Catches what the app posts to a slash command's or button's `response_url`."""

    def __init__(self):
        self.posts: list[dict] = []
        self.refused: list[tuple[dict, Refusal]] = []
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                try:
                    check_message(body)
                except Refusal as refusal:
                    with receiver.changed:
                        receiver.refused.append((body, refusal))
                        receiver.changed.notify_all()
                    self.send_response(400)
                    self.end_headers()
                    self.wfile.write(refusal.error.encode())
                    return
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
                if self.refused:
                    raise AssertionError(f"Slack refused a response_url post: {self.refused[0][1]}")
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
                "trigger_id": new_trigger_id(), **extra}
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def event(self, event: dict, *, event_id: str | None = None, retry: int = 0) -> httpx.Response:
        """An Events API delivery; `retry` > 0 resends `event_id` the way Slack does after a late 200."""
        body = json.dumps({"token": "x", "team_id": self.team_id, "api_app_id": "A1", "type": "event_callback",
                           "event_id": event_id or f"Ev{time.monotonic_ns()}", "event_time": int(time.time()),
                           "event": event})
        retry_headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.post(body, "application/json", headers={**sign(body), **retry_headers})

    def dm(self, text: str, user: str = "U1", **extra) -> httpx.Response:
        """A person writing in their DM with the app; `extra` adds fields (`subtype`, `files`, `thread_ts`)."""
        return self.event({"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
                           "text": text, "ts": f"{time.time():.6f}", **extra})

    def interaction(self, payload: dict) -> httpx.Response:
        return self.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")

    def click(self, action_id: str, value: str | None = None, user: str = "U1", *,
              response_url: bool = True, container: dict | None = None, view: dict | None = None,
              **action) -> httpx.Response:
        payload = {"type": "block_actions", "team": {"id": self.team_id}, "user": {"id": user, "team_id": self.team_id},
                   "api_app_id": "A1", "trigger_id": new_trigger_id(), "container": container or {"type": "message"},
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
                   "api_app_id": "A1", "trigger_id": new_trigger_id(),
                   "view": {"id": "V1", "type": "modal", "callback_id": callback_id, "private_metadata": metadata,
                            "state": {"values": values}, "hash": "h"}}
        return self.interaction(payload)

    def connect(self, provider: str, values: dict, user: str = "U1") -> httpx.Response:
        """Submit the connect form for `provider` with these credential fields; it must be accepted."""
        state = {f"credential_{name}": {"value": {"type": "plain_text_input", "value": value}}
                 for name, value in values.items()}
        state["connect_provider"] = {"connect_pick_provider": {"type": "static_select",
                                                               "selected_option": {"value": provider}}}
        response = self.submit_view("connect_provider", state, user=user,
                                    metadata=json.dumps({"provider": provider}))
        assert response.status_code == 200 and response.text in ("", "{}"), response.text
        return response
