"""One event loop in a background thread for all provider I/O.

Slack Bolt's listeners and the terminal adapter are synchronous; the provider clients are
async and keep pooled `httpx.AsyncClient`s, which belong to one event loop. `LoopThread`
keeps that loop alive for the life of the process and is the only way to run provider
work from a thread: `submit` starts a coroutine and returns a `concurrent.futures.Future`,
`run` waits for its result. Nothing else touches the loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="provider-io", daemon=True)
        self._thread.start()

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Start `coroutine` on the provider loop; the future gives its result to any thread."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coroutine` on the provider loop and wait for its result."""
        return self.submit(coroutine).result(timeout)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
