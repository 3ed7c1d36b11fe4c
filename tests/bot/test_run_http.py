"""`learnbot run --http` as a real process: signed Slack requests in, answers out."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from cryptography.fernet import Fernet
from fakes.slack import BOT_TOKEN, SIGNING_SECRET, SlackDriver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def running_app(tmp_path, slack_api):
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack_api.api_url,
           "LEARNBOT_DB": str(tmp_path / "run.db"), "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode()}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("learnbot run --http did not start: " + process.stdout.read())
    yield url
    process.terminate()
    output, _ = process.communicate(timeout=10)
    assert BOT_TOKEN not in output and SIGNING_SECRET not in output


def test_a_slash_command_is_answered_by_the_running_app(running_app, response_urls):
    slack = SlackDriver(running_app, response_urls.url)
    help_answer = slack.command("help")
    assert help_answer.status_code == 200 and "/learn enroll" in help_answer.text
    slack.command("python")
    assert "Results for “python”" in str(response_urls.wait(1, timeout=15)[0])


def test_the_running_app_refuses_unsigned_requests(running_app):
    response = httpx.post(f"{running_app}/slack/events", content=b"command=/learn&text=help",
                          headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 401
