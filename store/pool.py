"""One SQLite connection per thread, behind one object.

Slack Bolt runs listeners on a thread pool and provider I/O runs on its own thread, while
a `sqlite3` connection belongs to the thread that opened it. `ThreadLocalDatabase`
forwards every attribute to a `sqlite_utils.Database` opened for the calling thread on
the same file, so store functions can take it wherever they take a `Database`.

The file is created (if needed) once, up front. Later connections never create it, and
every use checks the file is still the one opened first: if its folder was removed or
the file replaced, `store.db.StoreGone` is raised instead of writing to a new empty
database (or to a deleted file nobody will read again).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from store.db import BUSY_SECONDS, StoreGone, file_identity, open_db


class ThreadLocalDatabase:
    def __init__(self, path: str | Path, *, busy_seconds: float = BUSY_SECONDS):
        self.path = Path(path).absolute()
        self._busy_seconds = busy_seconds
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[Database] = []
        first = open_db(self.path, busy_seconds=busy_seconds)  # creates and migrates, once
        self._identity = file_identity(self.path)
        self._keep(first)

    def current(self) -> Database:
        if file_identity(self.path) != self._identity:
            raise StoreGone(self.path)
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._keep(open_db(self.path, create=False, busy_seconds=self._busy_seconds))
        return db

    def _keep(self, db: Database) -> Database:
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
