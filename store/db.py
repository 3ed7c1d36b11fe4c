"""Opening the SQLite database: pragmas, migrations, and the one timestamp format.

Every store function takes the `Database` returned here (or a
`store.pool.ThreadLocalDatabase`, which forwards to one) as its first argument.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlite_utils import Database, Migrations

from store.migrations import migrations

BUSY_TIMEOUT_MS = 5000


def open_db(path: str | Path | None = None, *, memory: bool = False) -> Database:
    """Open (creating if needed) the database at `path`, or an in-memory one, migrated.

    A file database uses WAL so Slack listeners can read while a digest job writes, and
    waits up to `BUSY_TIMEOUT_MS` for another connection's write lock instead of failing.
    `secure_delete` overwrites deleted rows, so forgetting a person removes their data
    from the file rather than leaving it in free pages.
    """
    if memory == (path is not None):
        raise ValueError("open_db needs a path or memory=True (exactly one of them)")
    if memory:
        db = Database(memory=True)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        # Each connection is used by one thread at a time (see store.pool), but may be
        # closed at shutdown from another: hence check_same_thread=False.
        db = Database(sqlite3.connect(str(path), check_same_thread=False))
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA secure_delete = ON")
    if not memory:
        db.enable_wal()
    _apply_migrations(db)
    return db


def schema_version(db: Database) -> int:
    """How many of learnbot's own migrations `db` has applied."""
    return len(migrations.applied(db))


def _count_defined(migration_set: Migrations) -> int:
    """Every migration is pending on an empty database, so this counts those defined."""
    with Database(memory=True, execute_plugins=False) as empty:
        return len(migration_set.pending(empty))


SCHEMA_VERSION = _count_defined(migrations)
"""The schema version this code expects: `schema_version(open_db(...))` equals it."""


def _migration_sets() -> tuple[Migrations, ...]:
    # Imported here rather than at the top so store.catalog may import from this module.
    from store.catalog import catalog_migrations

    return (migrations, catalog_migrations)


def _apply_migrations(db: Database) -> None:
    """Apply pending migrations of both sets, holding the write lock throughout.

    Two processes starting on a fresh file would otherwise both see a migration as
    pending and the second would fail creating a table that already exists.
    """
    migration_sets = _migration_sets()
    if not any(migration_set.pending(db) for migration_set in migration_sets):
        return
    with write_transaction(db):
        for migration_set in migration_sets:
            migration_set.apply(db)


@contextmanager
def write_transaction(db: Database) -> Iterator[None]:
    """Like `db.atomic()`, but takes the write lock at BEGIN so the reads inside are
    not overtaken by another writer before this transaction writes."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.commit()


def utc_timestamp(now: datetime | None = None) -> str:
    """`now` (default: the current time) as ISO 8601 UTC to the second.

    All timestamps share this format so they sort correctly as text. A naive `now` is
    taken to be UTC already.
    """
    moment = now or datetime.now(timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")
