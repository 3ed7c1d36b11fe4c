"""A provider whose 401 repeats the key it received: the key reaches no Slack payload, no log line
and no byte of the database, and what is stored about the failure is the typed error's sentence.

The provider is a fake Inokufu over real HTTP on loopback (tests/fakes/loopback.py), searched
through the Bolt app, the fake Slack Web API and its response_url receiver.
"""

import json
import logging
import os

import httpx
import pytest
from fakes.loopback import LoopbackServer

WORKSPACE_KEY = "ink-live-W0rkspace7Qm2xR9vT4"
PERSONAL_KEY = "ink-live-Pers0nal3Kd8sLq1Zx"


def echo_the_key(request: httpx.Request) -> httpx.Response:
    """Some API gateways answer a bad key by repeating it."""
    return httpx.Response(401, json={"message": f"Invalid API key: {request.headers['x-api-key']}"})


@pytest.fixture
def hostile_inokufu(env):
    with LoopbackServer(echo_the_key) as server:
        env.update({"LEARNBOT_INOKUFU_URL": server.url, "LEARNBOT_INOKUFU_API_KEY": WORKSPACE_KEY})
        yield server


def connect_personal_key(slack, key: str) -> None:
    state = {"credential_api_key": {"value": {"type": "plain_text_input", "value": key}},
             "connect_provider": {"connect_pick_provider": {"type": "static_select",
                                                            "selected_option": {"value": "inokufu"}}}}
    response = slack.submit_view("connect_provider", state, metadata=json.dumps({"provider": "inokufu"}))
    assert response.status_code == 200


def everything_slack_received(slack_api, response_urls) -> str:
    calls = [{"method": call.method, "args": call.args} for call in slack_api.calls]
    return json.dumps([calls, response_urls.posts], ensure_ascii=False)


def database_bytes(env) -> bytes:
    """The database file and its -wal and -shm companions, as they are on disk."""
    files = [env["LEARNBOT_DB"] + suffix for suffix in ("", "-wal", "-shm")]
    return b"".join(open(path, "rb").read() for path in files if os.path.exists(path))


def stored_inokufu_status(deps) -> dict:
    row = deps.db.execute("SELECT statuses FROM searches ORDER BY id DESC LIMIT 1").fetchone()
    return next(status for status in json.loads(row[0]) if status["key"] == "inokufu")


@pytest.mark.parametrize("key", [WORKSPACE_KEY, PERSONAL_KEY], ids=["workspace key", "personal key"])
def test_an_echoed_key_is_in_no_slack_payload_log_line_or_database_byte(
        key, hostile_inokufu, slack, slack_api, response_urls, deps, env, caplog):
    caplog.set_level(logging.DEBUG)
    if key == PERSONAL_KEY:
        connect_personal_key(slack, key)
    slack.command("python")
    results = response_urls.wait(1)[0]
    slack.dm("python")
    slack_api.wait_for("chat.update")

    assert [r.headers["x-api-key"] for r in hostile_inokufu.requests] == [key, key]  # the key did go out
    status = stored_inokufu_status(deps)
    assert status["state"] == "error"
    assert status["reason"] == ("Inokufu refused the credentials: reconnect it with `/learn connect`. "
                                "(Invalid API key: [redacted].)")
    assert status["reason"] in json.dumps(results, ensure_ascii=False)  # what people saw is what is kept
    assert key not in everything_slack_received(slack_api, response_urls)
    assert key not in caplog.text
    assert key.encode() not in database_bytes(env)
