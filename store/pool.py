"""One SQLite connection per thread, behind one object.

Slack Bolt runs listeners on a thread pool and provider I/O runs on its own thread, while
a `sqlite3` connection belongs to the thread that opened it. `ThreadLocalDatabase`
forwards every attribute to a `sqlite_utils.Database` opened for the calling thread on
the same file, so store functions can take it wherever they take a `Database`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from store.db import open_db


class ThreadLocalDatabase:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Database] = []
        self.current()  # opens the file and applies migrations once, up front

    def current(self) -> Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = open_db(self.path)
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current(), name)

    def __getitem__(self, name: str) -> Any:
        return self.current()[name]

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()
