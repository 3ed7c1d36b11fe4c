"""The bounded pool that runs acknowledged work (searches, saves, enrollments) after the ack.

A Slack listener acknowledges at once and submits the rest here, so no number of slow
searches can hold the threads that answer Slack. At most `max_workers` pieces of work run
at a time; more wait in order (queued, never dropped). `busy` tells a listener its work will
wait, so the acknowledgement can say so. On stop, `drain(timeout)` lets everything submitted
finish; the workers are daemon threads, so what does not finish in time does not hold the
process (the store's leases and ledgers leave it for the next start).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from handlers.core.errors import problem_for
from handlers.core.replies import Problem

logger = logging.getLogger(__name__)

Work = Callable[[], object]
OnError = Callable[[Problem], object]


class WorkPool:
    """`max_workers` defaults to 8: searches over the catalog are CPU work under one GIL, and on
    two cores 8 workers answered 100 simultaneous searches with a final-reply p99 of ~0.8 s where
    32 took ~1.5-2 s (bench/load.py); slow providers are paced by their rate limits either way."""

    def __init__(self, max_workers: int = 8):
        if max_workers < 1:
            raise ValueError("a work pool needs at least one worker")
        self.max_workers = max_workers
        self._queue: queue.Queue[tuple[Work, OnError | None]] = queue.Queue()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0  # submitted and not finished: running or waiting
        self._workers: list[threading.Thread] = []

    @property
    def pending(self) -> int:
        """Pieces of work submitted and not finished yet (running or waiting)."""
        with self._lock:
            return self._pending

    @property
    def busy(self) -> bool:
        """True when every worker is taken: work submitted now waits its turn."""
        return self.pending >= self.max_workers

    def submit(self, work: Work, on_error: OnError | None = None) -> None:
        """Run `work` on a worker. If it raises, the error goes through the one error path
        (`problem_for`: logged with an incident id when it is a bug) and `on_error` gets the
        resulting Problem, to tell the person."""
        with self._lock:
            self._pending += 1
            if len(self._workers) < min(self.max_workers, self._pending):
                worker = threading.Thread(target=self._work, name=f"work-{len(self._workers)}", daemon=True)
                self._workers.append(worker)
                worker.start()
        self._queue.put((work, on_error))

    def drain(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for every submitted piece of work; True when all finished."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout=max(timeout, 0))

    def _work(self) -> None:
        while True:
            work, on_error = self._queue.get()
            try:
                _run(work, on_error)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()


def _run(work: Work, on_error: OnError | None) -> None:
    try:
        work()
    except Exception as error:
        problem = problem_for(error)
        if on_error is None:
            return
        try:
            on_error(problem)
        except Exception as second:
            logger.warning("could not tell the person about a failed piece of work: %s", type(second).__name__)
