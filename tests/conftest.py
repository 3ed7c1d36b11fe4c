"""Fixtures shared across the suite: settings, the wired app served over real HTTP, fake Slack."""

from __future__ import annotations

import asyncio
import logging
import threading

import httpx
import pytest
from cryptography.fernet import Fernet
from fakes import learnflow as lf
from fakes.slack import BOT_TOKEN, SIGNING_SECRET, FakeSlackApi, ResponseUrlReceiver, SlackDriver, SlackUser

from bot.app import create_app
from bot.config import Settings
from bot.deps import build_deps
from bot.server import make_http_server


@pytest.fixture(autouse=True)
def root_logging():
    """A CLI test configures the root logger (`bot.logs.configure`); the next test gets it back as it was."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def slack_api():
    api = FakeSlackApi(users={
        "U1": SlackUser("U1", tz="Europe/Paris", email="ada@example.com"),
        "U2": SlackUser("U2", tz="America/New_York", email="grace@example.com"),
        "UADMIN": SlackUser("UADMIN", tz="UTC", email="admin@example.com", is_admin=True),
    })
    yield api
    api.close()


@pytest.fixture
def response_urls():
    receiver = ResponseUrlReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def env(tmp_path, slack_api) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack_api.api_url,
        "LEARNBOT_DB": str(tmp_path / "learnbot.db"),
        "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode(),
    }


@pytest.fixture
def transports() -> dict[str, httpx.AsyncBaseTransport]:
    """Provider transports for a test to fill: key → httpx.MockTransport."""
    return {}


@pytest.fixture
def deps(env, transports):
    deps = build_deps(Settings.from_env(env), transports=transports)
    yield deps
    deps.runner.run(deps.hub.aclose())
    deps.runner.stop()
    deps.db.close()


@pytest.fixture
def app(env, deps):
    return create_app(Settings.from_env(env), deps)


@pytest.fixture
def served_app(app):
    server = make_http_server(app, "127.0.0.1", 0, signing_secret=SIGNING_SECRET)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def slack(served_app, response_urls) -> SlackDriver:
    return SlackDriver(served_app, response_urls.url)


@pytest.fixture
def run_async():
    return asyncio.run


@pytest.fixture
def learnflow(env, transports):
    """A LearnFlow built to its document, for the app's LearnFlow client."""
    fake = lf.FakeLearnFlow()
    env["LEARNBOT_LEARNFLOW_URL"] = lf.BASE_URL
    transports["learnflow"] = httpx.MockTransport(fake)
    return fake
