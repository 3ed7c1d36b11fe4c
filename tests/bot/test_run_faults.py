"""`learnbot run --http` as a real process when its database disappears, and at DEBUG level."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time

import httpx
import pytest
from cryptography.fernet import Fernet
from fakes.slack import BOT_TOKEN, SIGNING_SECRET, SlackDriver

SECRET_KEY = Fernet.generate_key().decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(tmp_path, slack_api, **settings: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack_api.api_url,
           "LEARNBOT_DB": str(tmp_path / "data" / "learnbot.db"), "LEARNBOT_SECRET_KEY": SECRET_KEY, **settings}
    process = subprocess.Popen([sys.executable, "-m", "bot", "run", "--http", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    pytest.fail("learnbot run --http did not start: " + process.stdout.read())


def test_the_database_folder_removed_stops_the_process_with_one_clear_line(tmp_path, slack_api, response_urls):
    process, url = start(tmp_path, slack_api)
    try:
        slack = SlackDriver(url, response_urls.url)
        slack.command("saved")
        response_urls.wait(1, timeout=15)
        shutil.rmtree(tmp_path / "data")
        with contextlib.suppress(httpx.TransportError):  # the process may stop before answering
            slack.command("prefs set topics=python")
        output, _ = process.communicate(timeout=20)
    finally:
        process.kill()
    assert process.returncode not in (0, None)
    critical = [line for line in output.splitlines() if " CRITICAL " in line]
    assert len(critical) == 1 and str(tmp_path / "data" / "learnbot.db") in critical[0]
    assert "Traceback" not in output
    assert not (tmp_path / "data").exists()  # nothing recreated at the path
    assert list(tmp_path.rglob("*.db*")) == []


def test_debug_level_logs_more_and_still_hides_secrets(tmp_path, slack_api, response_urls):
    process, url = start(tmp_path, slack_api, LEARNBOT_LOG_LEVEL="DEBUG")
    try:
        slack = SlackDriver(url, response_urls.url)
        slack.command("python")
        response_urls.wait(1, timeout=15)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert " DEBUG " in output
    for secret in (BOT_TOKEN, SIGNING_SECRET, SECRET_KEY):
        assert secret not in output
