"""`learnbot run`'s scheduler: one digest sweep job, run at start and every few minutes."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

import bot.scheduler
from bot.config import Settings

NOW = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)


@pytest.fixture
def sweeps(monkeypatch):
    """Replaces the sweep with a recorder; `sweeps.fail` makes it raise."""
    record = SimpleNamespace(calls=[], ran=threading.Event(), fail=False)

    def fake_sweep(deps, client, now):
        record.calls.append((deps, client, now))
        record.ran.set()
        if record.fail:
            raise RuntimeError("the sweep broke")
        return SimpleNamespace(due=0)

    monkeypatch.setattr(bot.scheduler, "sweep", fake_sweep)
    return record


@pytest.fixture
def started(sweeps):
    deps = SimpleNamespace(now=lambda: NOW)
    scheduler = bot.scheduler.start(Settings(digest_sweep_minutes=7.5), deps, "the client")
    yield scheduler
    scheduler.shutdown(wait=True)


def test_the_sweep_is_a_single_interval_job_with_an_explicit_id(started):
    (job,) = started.get_jobs()
    assert job.id == "learnbot-digest-sweep"
    assert job.trigger.interval == timedelta(minutes=7.5)
    assert (job.coalesce, job.max_instances) == (True, 1)


def test_the_first_sweep_runs_at_start_with_the_deps_clock(started, sweeps):
    assert sweeps.ran.wait(5)
    assert sweeps.calls[0][1:] == ("the client", NOW)


class Signal(logging.Handler):
    """Sets `seen` when a record reaches it."""

    def __init__(self):
        super().__init__()
        self.seen = threading.Event()

    def emit(self, record):
        self.seen.set()


def test_a_failing_sweep_is_logged_with_an_incident_id_and_stays_scheduled(sweeps, caplog):
    sweeps.fail = True
    caplog.set_level(logging.ERROR)
    signal = Signal()
    logging.getLogger("bot.scheduler").addHandler(signal)
    scheduler = bot.scheduler.start(Settings(), SimpleNamespace(now=lambda: NOW), "the client")
    try:
        assert signal.seen.wait(5)
        assert scheduler.get_job("learnbot-digest-sweep").next_run_time > datetime.now(UTC)
    finally:
        scheduler.shutdown(wait=True)
        logging.getLogger("bot.scheduler").removeHandler(signal)
    (failure,) = [r.getMessage() for r in caplog.records if r.name == "bot.scheduler"]
    assert "learnbot-digest-sweep failed" in failure and "(incident " in failure
    assert any("incident" in r.getMessage() and (r.exc_info or r.exc_text)
               for r in caplog.records if r.name == "handlers.core.errors")
