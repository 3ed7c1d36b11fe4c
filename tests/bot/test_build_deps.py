"""The app factory's store and key checks: the key must read what is stored, a loose key file
is warned about, and a database that disappears is reported to the process's stop hook."""

import logging
import shutil

import pytest

from bot.config import Settings
from bot.deps import build_deps
from store.credentials import save_credentials
from store.crypto import KeyProblem
from store.db import StoreGone


@pytest.fixture
def key_file_env(tmp_path) -> dict[str, str]:
    """Settings that keep the key in learnbot.key next to the database."""
    return {"LEARNBOT_DB": str(tmp_path / "data" / "learnbot.db")}


def closed(deps) -> None:
    deps.runner.stop()
    deps.db.close()


def test_a_key_file_others_can_read_is_warned_about_once(key_file_env, tmp_path, caplog):
    closed(build_deps(Settings.from_env(key_file_env)))
    (tmp_path / "data" / "learnbot.key").chmod(0o644)
    with caplog.at_level(logging.WARNING):
        closed(build_deps(Settings.from_env(key_file_env)))
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "learnbot.key" in warnings[0] and "chmod 600" in warnings[0]


def test_a_private_key_file_is_not_warned_about(key_file_env, caplog):
    closed(build_deps(Settings.from_env(key_file_env)))
    with caplog.at_level(logging.WARNING):
        closed(build_deps(Settings.from_env(key_file_env)))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_lost_key_file_is_never_replaced_while_credentials_are_stored(key_file_env, tmp_path):
    deps = build_deps(Settings.from_env(key_file_env))
    save_credentials(deps.db, deps.vault, "T1", "U1", "learnflow", {"access_token": "at-1"})
    closed(deps)
    (tmp_path / "data" / "learnbot.key").unlink()
    with pytest.raises(KeyProblem, match="is missing"):
        build_deps(Settings.from_env(key_file_env))
    assert not (tmp_path / "data" / "learnbot.key").exists()


def test_a_vanished_database_is_reported_to_the_stop_hook_and_not_recreated(key_file_env, tmp_path):
    reported: list[StoreGone] = []
    deps = build_deps(Settings.from_env(key_file_env), on_gone=reported.append)
    shutil.rmtree(tmp_path / "data")
    with pytest.raises(StoreGone):
        deps.db.execute("SELECT 1")
    assert [error.path for error in reported] == [tmp_path / "data" / "learnbot.db"]
    assert not (tmp_path / "data").exists()
    closed(deps)
