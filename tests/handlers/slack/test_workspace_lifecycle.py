"""`app_uninstalled` and `tokens_revoked`: learnbot stops sending there and forgets the shared credentials."""

import logging
import time

import pytest

from store import credentials, workspaces


@pytest.fixture
def shared_learnflow(deps):
    credentials.save_credentials(deps.db, deps.vault, "T1", None, "learnflow", {"access_token": "at-shared"})
    credentials.save_credentials(deps.db, deps.vault, "T2", None, "learnflow", {"access_token": "at-other"})


def wait_until(check, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.parametrize("event", [{"type": "app_uninstalled"},
                                   {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UBOT"]}}])
def test_a_workspace_that_removed_learnbot_is_marked_and_loses_its_shared_credentials(
        slack, deps, shared_learnflow, caplog, event):
    caplog.set_level(logging.INFO)
    assert slack.event(event).status_code == 200
    wait_until(lambda: workspaces.is_gone(deps.db, "T1"))
    assert list(credentials.load_shared(deps.db, deps.vault, "T1")) == []
    assert list(credentials.load_shared(deps.db, deps.vault, "T2")) == ["learnflow"]
    lines = [r.getMessage() for r in caplog.records if event["type"] in r.getMessage()]
    assert len(lines) == 1 and "T1" in lines[0] and "at-shared" not in caplog.text


def test_a_later_request_from_the_workspace_clears_the_mark(slack, slack_api, deps):
    slack.event({"type": "app_uninstalled"})
    wait_until(lambda: workspaces.is_gone(deps.db, "T1"))
    slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    slack_api.wait_for("views.publish")
    assert not workspaces.is_gone(deps.db, "T1")
