"""`learnbot digest run` and `learnbot digest preview`, in process and as real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from fakes.slack import BOT_TOKEN, FakeSlackApi

from bot.cli import main
from providers.catalog import load_bundled_catalog
from store import history, ledger, preferences, users
from store.db import open_db

REPO_ROOT = Path(__file__).resolve().parents[2]
AT = "2026-03-16T10:00:00+00:00"  # Monday of ISO week 2026-W12, after 09:00 UTC
WEEK = "2026-W12"
EARLY = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "learnbot.db"


@pytest.fixture
def cli_env(db_path) -> dict[str, str]:
    """No Slack token: the terminal twin."""
    return {"LEARNBOT_DB": str(db_path), "LEARNBOT_SECRET_KEY": Fernet.generate_key().decode(),
            "SLACK_BOT_TOKEN": "", "SLACK_API_URL": "", "SLACK_APP_TOKEN": "", "SLACK_SIGNING_SECRET": ""}


def people(db_path: Path, count: int, *, team: str = "T1", topics: tuple[str, ...] = ()) -> list[str]:
    """`count` people in UTC who searched for python on EARLY (or set `topics`), in a database
    that already holds the bundled catalog, as a deployed one does."""
    db = open_db(db_path)
    load_bundled_catalog(db)
    ids = [f"U{n:04d}" for n in range(count)]
    checked = datetime.now(UTC).isoformat()
    with db.atomic():
        for user in ids:
            users.upsert_user(db, team, user, tz="UTC", tz_checked_at=checked, now=EARLY)
            history.record_search(db, team, user, "python", {"keywords": "python"}, [], [], now=EARLY)
            if topics:
                preferences.save_preferences(db, team, user, preferences.Preferences(topics=topics))
    db.close()
    return ids


def invoke(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_run_without_a_slack_token_prints_the_due_digests_and_records_nothing(cli_env, db_path):
    people(db_path, 2, topics=("sql",))
    result = invoke(cli_env, "digest", "run", "--at", AT)
    assert result.exit_code == 0
    assert result.output.count("Pick of the week") == 2 and "T1:U0001, week 2026-W12" in result.output
    assert "2 digests due" in result.output and "printed, not sent" in result.output
    assert ledger.digest_status(open_db(db_path), "T1", "U0000", WEEK) is None


def test_run_with_a_slack_token_sends_through_the_slack_api(cli_env, db_path, slack_api):
    people(db_path, 3)
    env = {**cli_env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack_api.api_url}
    result = invoke(env, "digest", "run", "--at", AT)
    assert result.exit_code == 0 and "3 due, 3 sent" in result.output
    assert sorted(slack_api.messages) == ["U0000", "U0001", "U0002"]


def test_run_at_a_time_before_the_moment_sends_nothing(cli_env, db_path):
    people(db_path, 1)
    result = invoke(cli_env, "digest", "run", "--at", "2026-03-16T08:59")
    assert "0 digests due at 2026-03-16T08:59+00:00" in result.output


def test_a_malformed_at_is_refused(cli_env):
    result = CliRunner().invoke(main, ["digest", "run", "--at", "next monday"], env=cli_env)
    assert result.exit_code == 2 and "is not an ISO time" in result.output


@pytest.mark.parametrize("who", ["U0000", "T1:U0000"])
def test_preview_prints_a_persons_next_digest(cli_env, db_path, who):
    people(db_path, 1, topics=("python",))
    result = invoke(cli_env, "digest", "preview", who)
    assert result.exit_code == 0
    assert "Your weekly learning digest" in result.output and "A preview" in result.output
    assert ledger.digest_status(open_db(db_path), "T1", "U0000", WEEK) is None


@pytest.mark.parametrize("who,message", [("U9999", "does not know U9999"),
                                         ("U0000", "in several workspaces")])
def test_preview_names_the_problem_with_an_unknown_or_ambiguous_user(cli_env, db_path, who, message):
    people(db_path, 1, team="T1")
    people(db_path, 1, team="T2")
    result = CliRunner().invoke(main, ["digest", "preview", who], env=cli_env)
    assert result.exit_code == 1 and message in result.output


# --- real processes -------------------------------------------------------------------------------

class SlowSlack(FakeSlackApi):
    """Records each chat.postMessage, then takes 20 ms to answer: a process killed at any
    moment has digests that Slack shows but the ledger does not."""

    def answer(self, method, args, authorization):
        answer = super().answer(method, args, authorization)
        if method == "chat.postMessage":
            time.sleep(0.02)
        return answer


@pytest.fixture
def slow_slack():
    api = SlowSlack()
    yield api
    api.close()


def sweep_process(env: dict[str, str]) -> subprocess.Popen:
    command = [sys.executable, "-c", "from bot.cli import main; main()", "digest", "run", "--at", AT]
    return subprocess.Popen(command, env={**os.environ, **env}, cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def digests_per_person(api: FakeSlackApi) -> dict[str, int]:
    """How many digests for WEEK each DM received. (A request cut short by the kill, with no
    body, may show up in the fake as a message without a channel: it is no digest.)"""
    with api.lock:
        weeks = [(channel, (m.get("metadata") or {}).get("event_payload", {}).get("week"))
                 for channel, messages in api.messages.items() for m in messages]
    return dict(Counter(channel for channel, week in weeks if week == WEEK))


def unsent_count(db) -> int:
    """Digests claimed for WEEK but not recorded as sent."""
    return db.execute("SELECT count(*) FROM digest_ledger WHERE week = ? AND status = 'claimed'",
                      [WEEK]).fetchone()[0]


def test_a_sweep_killed_mid_run_and_restarted_sends_everyone_exactly_one_digest(cli_env, db_path, slow_slack):
    everyone = people(db_path, 500)
    env = {**cli_env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slow_slack.api_url}
    first = sweep_process(env)
    slow_slack.wait_for("chat.postMessage", count=150, timeout=60)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    db = open_db(db_path)
    left_unsent = unsent_count(db)
    assert left_unsent > 0 and len(digests_per_person(slow_slack)) < 500

    restart = sweep_process(env)
    output, _ = restart.communicate(timeout=120)
    assert restart.returncode == 0, output
    assert digests_per_person(slow_slack) == {user: 1 for user in everyone}
    assert unsent_count(db) == 0
    assert int(re.search(r"(\d+) recovered after a crash", output)[1]) > 0


def test_two_processes_sweeping_the_same_database_at_once_send_each_digest_once(cli_env, db_path, slow_slack):
    everyone = people(db_path, 500)
    env = {**cli_env, "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slow_slack.api_url}
    processes = [sweep_process(env) for _ in range(2)]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert digests_per_person(slow_slack) == {user: 1 for user in everyone}
    sent = [int(re.search(r"(\d+) sent", output)[1]) for output in outputs]
    assert sum(sent) == 500


def test_preview_gives_the_next_digest_date_within_the_coming_week(cli_env, db_path):
    """Someone who starts today is owed no digest before their first moment: the preview names
    a date in the coming week, never one already past (it said "Monday 30 November" on
    Wednesday 2 December)."""
    db = open_db(db_path)
    load_bundled_catalog(db)
    users.upsert_user(db, "T1", "U0000", tz="UTC", tz_checked_at=datetime.now(UTC).isoformat())
    preferences.save_preferences(db, "T1", "U0000", preferences.Preferences(topics=("python",)))
    db.close()
    result = invoke(cli_env, "digest", "preview", "U0000")
    due = re.search(r"your next digest is due (\w+ \d\d \w+) at \d\d:\d\d \(UTC\)", result.output)
    assert due, result.output
    today = datetime.now(UTC).date()
    assert due[1] in [f"{today + timedelta(days=n):%A %d %B}" for n in range(8)]


def test_preview_of_a_digest_not_sent_after_its_moment_says_it_is_late(cli_env, db_path):
    people(db_path, 1)  # a person since March, and no sweep has run since
    today = datetime.now(UTC)
    db = open_db(db_path)
    preferences.save_preferences(db, "T1", "U0000", preferences.Preferences(
        topics=("python",), digest_day=today.weekday(), digest_time="00:00"))
    db.close()
    result = invoke(cli_env, "digest", "preview", "U0000")
    assert f"this week's digest is late (it was due {today:%A %d %B} at 00:00 (UTC))" in result.output
    assert "next digest sweep sends it" in result.output


def test_one_due_digest_is_one_digest(cli_env, db_path):
    people(db_path, 1, topics=("sql",))
    result = invoke(cli_env, "digest", "run", "--at", AT)
    assert "1 digest due at" in result.output
