"""Transactions that take SQLite's write lock up front.

Kept apart from `store.db` so `store.catalog` can use it while `store.db` imports the
catalog's migrations: no import cycle.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlite_utils import Database


@contextmanager
def write_transaction(db: Database) -> Iterator[None]:
    """Like `db.atomic()`, but takes the write lock at BEGIN so the reads inside are
    not overtaken by another writer before this transaction writes.

    A deferred transaction that reads and then writes is refused at once (without
    waiting) when another connection wrote in between; BEGIN IMMEDIATE waits instead.
    """
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.commit()
