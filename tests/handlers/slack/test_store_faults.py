"""Storage and key faults seen through the real Bolt app: another process holding the SQLite
write lock, a busy store, and a credential the current key cannot read."""

import json
import logging
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from bot.config import Settings
from bot.deps import build_deps
from store import credentials, preferences
from store.crypto import Vault

HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
"""


def hold_write_lock(path, seconds: float) -> subprocess.Popen:
    """Another process that takes the database's write lock for `seconds`, then lets it go."""
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def text_of(post: dict) -> str:
    return post.get("text", "") + json.dumps(post.get("blocks", []), ensure_ascii=False)


@pytest.fixture
def busy_seconds() -> float:
    return 6.0


@pytest.fixture
def deps(env, transports, busy_seconds):
    """The app's deps, waiting `busy_seconds` for another writer's lock."""
    deps = build_deps(Settings.from_env(env), transports=transports, busy_seconds=busy_seconds)
    yield deps
    deps.runner.run(deps.hub.aclose())
    deps.runner.stop()
    deps.db.close()


def test_while_another_process_holds_the_write_lock_reads_answer_and_writes_wait(slack, response_urls, deps,
                                                                                  env):
    slack.command("saved")  # the first command stores the person; later ones change nothing
    response_urls.wait(1)
    holder = hold_write_lock(env["LEARNBOT_DB"], 3)
    slack.command("saved")
    assert "not saved anything" in text_of(response_urls.wait(2, timeout=10)[1])
    assert holder.poll() is None, "the read waited for the lock"
    slack.command("prefs set topics=python")
    answer = text_of(response_urls.wait(3, timeout=15)[2])
    assert holder.poll() is not None, "the write did not wait for the lock"
    assert "preferences are saved" in answer
    assert preferences.get_preferences(deps.db, "T1", "U1").topics == ("python",)


@pytest.mark.parametrize("busy_seconds", [0.3])
def test_a_store_busy_for_longer_than_the_wait_is_one_sentence_and_no_incident(slack, response_urls, deps, env,
                                                                               caplog):
    slack.command("saved")
    response_urls.wait(1)
    holder = hold_write_lock(env["LEARNBOT_DB"], 3)
    with caplog.at_level(logging.INFO):
        slack.command("prefs set topics=python")
        answer = text_of(response_urls.wait(2, timeout=10)[1])
    assert holder.poll() is None
    holder.wait()
    assert "learnbot is busy, try again in a minute." in answer
    assert "incident" not in answer and not [r for r in caplog.records if "incident" in r.getMessage()]
    assert preferences.get_preferences(deps.db, "T1", "U1").topics == ()


def test_a_credential_the_key_cannot_read_leaves_the_catalog_search_answering(slack, response_urls, deps):
    lost_key = Vault([Fernet.generate_key().decode()])
    credentials.save_credentials(deps.db, lost_key, "T1", "U1", "learnflow", {"access_token": "at-lost"})
    slack.command("python")
    answer = text_of(response_urls.wait(1, timeout=15)[0])
    assert "Results for “python”" in answer
    assert "Your LearnFlow connection can no longer be read (the encryption key changed)" in answer
    assert "/learn connect learnflow" in answer and "incident" not in answer
