"""HTTP mode: Slack's requests at `POST /slack/events`, and `GET /healthz` for load balancers."""

from __future__ import annotations

import json
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        """Requests are not logged one by one: the app logs what matters."""


def wsgi_app(app: App):
    slack = SlackRequestHandler(app, path="/slack/events")

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            start_response("200 OK", [("Content-Type", "application/json")])
            return [json.dumps({"ok": True}).encode()]
        return slack(environ, start_response)

    return application


def make_http_server(app: App, host: str, port: int) -> WSGIServer:
    return make_server(host, port, wsgi_app(app), server_class=ThreadingWSGIServer, handler_class=QuietHandler)
