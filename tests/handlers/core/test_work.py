"""The work pool: bounded concurrency, nothing dropped, errors told, drained on stop."""

import threading
import time

import pytest
from waiting import eventually

from handlers.core.errors import UserFacingError
from handlers.core.work import WorkPool


def test_at_most_max_workers_run_at_once_and_the_rest_wait_in_order():
    pool = WorkPool(max_workers=2)
    release = threading.Event()
    running, peak, done = [], [0], []
    lock = threading.Lock()

    def work(n):
        with lock:
            running.append(n)
            peak[0] = max(peak[0], len(running))
        release.wait(5)
        with lock:
            running.remove(n)
            done.append(n)

    for n in range(6):
        pool.submit(lambda n=n: work(n))
    assert eventually(lambda: len(running) == 2)
    assert pool.busy and pool.pending == 6
    release.set()
    assert pool.drain(timeout=5)
    assert peak[0] == 2 and sorted(done) == list(range(6))
    assert not pool.busy and pool.pending == 0


def test_busy_only_once_every_worker_is_taken():
    pool = WorkPool(max_workers=2)
    release = threading.Event()
    pool.submit(lambda: release.wait(5))
    assert not pool.busy
    pool.submit(lambda: release.wait(5))
    assert pool.busy
    release.set()
    assert pool.drain(timeout=5)


def test_drain_gives_up_after_its_timeout_and_says_so():
    pool = WorkPool(max_workers=1)
    release = threading.Event()
    pool.submit(lambda: release.wait(5))
    started = time.monotonic()
    assert pool.drain(timeout=0.2) is False
    assert time.monotonic() - started < 1
    release.set()
    assert pool.drain(timeout=5)


def test_a_failing_piece_of_work_is_told_and_the_pool_goes_on():
    pool = WorkPool(max_workers=1)
    told, ran = [], []

    def fails():
        raise UserFacingError("LearnFlow is down.")

    pool.submit(fails, on_error=told.append)
    pool.submit(lambda: ran.append(True))
    assert pool.drain(timeout=5)
    assert [p.text for p in told] == ["LearnFlow is down."] and ran == [True]


def test_a_bug_becomes_an_incident_and_is_logged(caplog):
    pool = WorkPool(max_workers=1)
    told = []
    pool.submit(lambda: 1 / 0, on_error=told.append)
    assert pool.drain(timeout=5)
    assert "incident" in told[0].text
    assert any("ZeroDivisionError" in r.getMessage() for r in caplog.records)


def test_no_worker_is_needed_at_zero():
    with pytest.raises(ValueError):
        WorkPool(max_workers=0)
