"""A setting, a key or Slack that stops the start: one line on stderr, exit code 2, no traceback,
and nothing made in passing (no new key file over stored credentials)."""

import os
import socket
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from fakes.slack import BOT_TOKEN, SIGNING_SECRET

from store.credentials import save_credentials
from store.crypto import Vault, resolve_keys
from store.db import open_db


def learnbot(*args: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env={"PATH": os.environ["PATH"], **env},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)


def assert_one_line(result: subprocess.CompletedProcess, *words: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def stored_with_key(tmp_path):
    """A database holding one person's credentials, encrypted with the key file next to it."""
    db_path = tmp_path / "data" / "learnbot.db"
    db = open_db(db_path)
    keys, key_path = resolve_keys(None, db_path)
    save_credentials(db, Vault(keys), "T1", "U1", "learnflow", {"api_token": "secret-token-1"})
    db.close()
    return db_path, key_path


def test_a_wrong_key_names_the_setting_and_makes_no_key_file(tmp_path, stored_with_key):
    db_path, key_path = stored_with_key
    key_path.unlink()
    env = {"LEARNBOT_DB": str(db_path), "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode()}
    assert_one_line(learnbot("chat", env=env, cwd=tmp_path), "LEARNBOT_SECRET_KEY", "cannot be decrypted")
    assert not key_path.exists()


def test_a_lost_key_file_is_not_replaced_by_a_new_key(tmp_path, stored_with_key):
    db_path, key_path = stored_with_key
    key_path.unlink()
    result = learnbot("chat", env={"LEARNBOT_DB": str(db_path)}, cwd=tmp_path)
    assert_one_line(result, str(key_path), "is missing")
    assert not key_path.exists()


def test_keys_rotate_with_a_wrong_key_is_one_line(tmp_path, stored_with_key):
    db_path, _ = stored_with_key
    env = {"LEARNBOT_DB": str(db_path), "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode()}
    assert_one_line(learnbot("keys", "rotate", env=env, cwd=tmp_path), "LEARNBOT_SECRET_KEY")


def test_keys_rotate_with_the_right_key_rotates(tmp_path, stored_with_key):
    db_path, key_path = stored_with_key
    old = key_path.read_text().strip()
    env = {"LEARNBOT_DB": str(db_path), "LEARNBOT_SECRET_KEY": f"{Fernet.generate_key().decode()},{old}"}
    result = learnbot("keys", "rotate", env=env, cwd=tmp_path)
    assert result.returncode == 0 and "Re-encrypted 1 credential set with" in result.stdout


@pytest.mark.parametrize("command", [("chat",), ("run",), ("run", "--http"), ("digest", "preview", "U1"),
                                     ("digest", "run"), ("keys", "rotate")])
def test_a_malformed_key_setting_is_one_line_for_every_command(tmp_path, command):
    env = {"LEARNBOT_DB": str(tmp_path / "l.db"), "LEARNBOT_SECRET_KEY": "notakey", "SLACK_BOT_TOKEN": BOT_TOKEN,
           "SLACK_APP_TOKEN": "xapp-1-A1-123-abcdef", "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": f"http://127.0.0.1:{closed_port()}/api/"}
    assert_one_line(learnbot(*command, env=env, cwd=tmp_path), "LEARNBOT_SECRET_KEY is not a valid Fernet key")


@pytest.mark.parametrize("name,value", [("LEARNBOT_LOG_LEVEL", "LOUD"), ("LEARNBOT_MAX_RESPONSE_BYTES", "lots"),
                                        ("LEARNBOT_LEARNFLOW_USER_ID", "username"),
                                        ("LEARNBOT_LRS_ACCOUNT_HOMEPAGE", "lms"),
                                        ("LEARNBOT_LRS_ACCOUNT_NAME", "nickname")])
@pytest.mark.parametrize("command", [("chat",), ("catalog", "import", "rows.csv")])
def test_a_malformed_setting_is_one_line_naming_it(tmp_path, name, value, command):
    (tmp_path / "rows.csv").write_text("id,title\n")
    env = {"LEARNBOT_DB": str(tmp_path / "l.db"), "LEARNBOT_LRS_ACCOUNT_HOMEPAGE": "https://lms.example",
           name: value}
    assert_one_line(learnbot(*command, env=env, cwd=tmp_path), name)
    assert not (tmp_path / "l.db").exists()


def test_slack_unreachable_at_run_is_one_line(tmp_path):
    env = {"LEARNBOT_DB": str(tmp_path / "l.db"), "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode(),
           "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
           "SLACK_API_URL": f"http://127.0.0.1:{closed_port()}/api/"}
    assert_one_line(learnbot("run", "--http", "--port", "0", env=env, cwd=tmp_path),
                    "Slack did not answer", "SLACK_API_URL", "refused")


def test_a_token_slack_refuses_at_run_is_one_line(tmp_path, slack_api):
    env = {"LEARNBOT_DB": str(tmp_path / "l.db"), "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode(),
           "SLACK_BOT_TOKEN": "xoxb-9999-8888-revoked", "SLACK_APP_TOKEN": "xapp-1-A1-123-abcdef",
           "SLACK_API_URL": slack_api.api_url}
    assert_one_line(learnbot("run", env=env, cwd=tmp_path), "SLACK_BOT_TOKEN", "invalid_auth")


def test_a_file_that_is_not_a_database_is_one_line(tmp_path):
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n" * 100)
    env = {"LEARNBOT_DB": str(tmp_path / "notes.db"), "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode()}
    assert_one_line(learnbot("chat", env=env, cwd=tmp_path), "LEARNBOT_DB", "notes.db")
