"""Opening the SQLite database: file modes, pragmas, migrations, faults, and the one
timestamp format.

Every store function takes the `Database` returned here (or a
`store.pool.ThreadLocalDatabase`, which forwards to one) as its first argument.

Two faults have their own exception, so callers can answer them plainly:
`StoreBusy` (another process kept the write lock longer than we wait: try again later)
and `StoreGone` (the database file disappeared while running: stop, do not recreate it).
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database, Migrations

from store.catalog import catalog_migrations
from store.migrations import migrations
from store.transactions import write_transaction

BUSY_SECONDS = 6.0
"""How long a write waits for another connection's write lock before `StoreBusy`."""

HEALTH_BUSY_SECONDS = 2.0
MIGRATION_SETS = (migrations, catalog_migrations)


class StoreError(Exception):
    """A storage fault, with a message fit for the person or the operator."""


class StoreBusy(StoreError):
    """The database stayed locked by another writer for longer than the busy timeout."""

    def __init__(self) -> None:
        super().__init__("learnbot is busy, try again in a minute")


class StoreGone(StoreError):
    """The database file opened at start is missing or was replaced: learnbot must stop."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"the database {path} disappeared or was replaced while learnbot was running; "
            "stopping rather than writing to a new empty one (restore it, then start again)"
        )
        self.path = path


class _Connection(sqlite3.Connection):
    """A connection that reports "database is locked" as `StoreBusy`.

    SQLite itself retries a locked write with backoff for the busy timeout; the error
    only comes once that time is used up. Never an `sqlite3.OperationalError` subclass:
    sqlite-utils reads an OperationalError in a few places as "feature unsupported".
    """

    def execute(self, *args):
        try:
            return super().execute(*args)
        except sqlite3.OperationalError as error:
            raise _translated(error) from None

    def executemany(self, *args):
        try:
            return super().executemany(*args)
        except sqlite3.OperationalError as error:
            raise _translated(error) from None

    def commit(self):
        try:
            return super().commit()
        except sqlite3.OperationalError as error:
            raise _translated(error) from None


def _translated(error: sqlite3.OperationalError) -> Exception:
    if (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY:
        return StoreBusy()
    return error


def open_db(
    path: str | Path | None = None,
    *,
    memory: bool = False,
    create: bool = True,
    busy_seconds: float = BUSY_SECONDS,
) -> Database:
    """Open the database at `path`, or an in-memory one, migrated.

    With `create` (the first open of a process) a missing file is created readable by
    its owner only, with its folder; SQLite gives the -wal and -shm files the same mode.
    Without it a missing file raises `StoreGone` instead of silently starting an empty
    database. A write waits up to `busy_seconds` for another connection's write lock
    (SQLite retries with backoff), then raises `StoreBusy`.

    A file database uses WAL so Slack listeners read while a digest job writes.
    `secure_delete` overwrites deleted rows, so forgetting a person removes their data
    from the file rather than leaving it in free pages.
    """
    if memory == (path is not None):
        raise ValueError("open_db needs a path or memory=True (exactly one of them)")
    if memory:
        db = Database(memory=True)
    else:
        path = Path(path).absolute()
        if create:
            _create_private_file(path)
        db = Database(_connect(path))
    db.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")
    if not memory:
        db.enable_wal()
    _apply_migrations(db)
    return db


def _create_private_file(path: Path) -> None:
    """Create `path` (and its folder) with mode 0600 unless it exists. An empty file is
    an empty SQLite database."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def _connect(path: Path) -> sqlite3.Connection:
    """Connect without ever creating the file (`mode=rw`).

    Each connection is used by one thread at a time (see store.pool), but may be
    closed at shutdown from another: hence check_same_thread=False.
    """
    try:
        return sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, check_same_thread=False,
                               factory=_Connection)
    except sqlite3.OperationalError:
        if not path.exists():
            raise StoreGone(path) from None
        raise


def file_identity(path: Path) -> tuple[int, int]:
    """(device, inode) of the database file; `StoreGone` when it is missing."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise StoreGone(path) from None
    return status.st_dev, status.st_ino


def health(db: Database, *, busy_seconds: float = HEALTH_BUSY_SECONDS) -> None:
    """Raise a `StoreError` unless the database answers a query and could take a write.

    Cheap enough for every `/healthz`: one read, then BEGIN IMMEDIATE (which takes the
    write lock, waiting at most `busy_seconds`) and ROLLBACK, so nothing is written.
    """
    connection = db.conn
    previous_ms = connection.execute("PRAGMA busy_timeout").fetchone()[0]
    connection.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        db.execute("BEGIN IMMEDIATE")
        db.rollback()
    except sqlite3.Error as error:
        db.rollback()
        raise StoreError(f"the database does not answer: {error}") from None
    finally:
        connection.execute(f"PRAGMA busy_timeout = {previous_ms}")


def schema_version(db: Database) -> int:
    """How many of learnbot's own migrations `db` has applied."""
    return len(migrations.applied(db))


def _count_defined(migration_set: Migrations) -> int:
    """Every migration is pending on an empty database, so this counts those defined."""
    with Database(memory=True, execute_plugins=False) as empty:
        return len(migration_set.pending(empty))


SCHEMA_VERSION = _count_defined(migrations)
"""The schema version this code expects: `schema_version(open_db(...))` equals it."""


def _apply_migrations(db: Database) -> None:
    """Apply pending migrations of both sets, holding the write lock throughout.

    Two processes starting on a fresh file would otherwise both see a migration as
    pending and the second would fail creating a table that already exists.
    """
    if not any(migration_set.pending(db) for migration_set in MIGRATION_SETS):
        return
    with write_transaction(db):
        for migration_set in MIGRATION_SETS:
            migration_set.apply(db)


def utc_timestamp(now: datetime | None = None) -> str:
    """`now` (default: the current time) as ISO 8601 UTC to the second.

    All timestamps share this format so they sort correctly as text. A naive `now` is
    taken to be UTC already.
    """
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")
