import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest

from store.db import (
    SCHEMA_VERSION,
    StoreBusy,
    StoreError,
    StoreGone,
    health,
    open_db,
    schema_version,
    utc_timestamp,
)
from store.migrations import migrations
from store.users import get_user, upsert_user

LEARNBOT_TABLES = {
    "users",
    "preferences",
    "credentials",
    "saved_items",
    "enrollments",
    "searches",
    "seen_items",
    "digest_ledger",
    "deliveries",
}


def schema(db):
    return list(db.query("SELECT type, name, sql FROM sqlite_master ORDER BY name"))


def test_open_db_creates_every_table(db):
    assert LEARNBOT_TABLES <= set(db.table_names())


def test_schema_version_counts_the_applied_migrations(db):
    assert schema_version(db) == SCHEMA_VERSION == 15


def test_open_db_applies_the_catalog_migrations_too(db):
    from store.catalog import catalog_migrations

    assert catalog_migrations.pending(db) == []


def test_applying_migrations_again_changes_nothing(db):
    before = schema(db)
    migrations.apply(db)
    assert schema(db) == before
    assert schema_version(db) == SCHEMA_VERSION


def test_reopening_a_file_keeps_its_schema_and_rows(db_path):
    with open_db(db_path) as first:
        first["users"].insert({"team_id": "T1", "user_id": "U1", "created_at": "2026-11-23T09:30:00+00:00"})
        before = schema(first)
    with open_db(db_path) as second:
        assert schema(second) == before
        assert second["users"].count == 1
        assert schema_version(second) == SCHEMA_VERSION


def test_connections_opening_a_fresh_file_at_once_all_migrate_it(tmp_path):
    start = threading.Barrier(4)

    def open_and_read_version() -> int:
        start.wait()
        with open_db(tmp_path / "learnbot.db") as db:
            return schema_version(db)

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = [pool.submit(open_and_read_version) for _ in range(4)]
        assert [version.result() for version in versions] == [SCHEMA_VERSION] * 4


def test_a_file_database_uses_wal(db_path):
    with open_db(db_path) as db:
        assert db.journal_mode == "wal"


@pytest.mark.parametrize(
    ("pragma", "expected"),
    [("foreign_keys", 1), ("busy_timeout", 6000), ("secure_delete", 1)],
)
def test_open_db_sets_pragma(db_path, pragma, expected):
    with open_db(db_path) as db:
        assert db.execute(f"PRAGMA {pragma}").fetchone()[0] == expected


def test_open_db_creates_the_parent_directory(tmp_path):
    with open_db(tmp_path / "data" / "learnbot.db") as db:
        assert (tmp_path / "data" / "learnbot.db").exists()
        assert schema_version(db) == SCHEMA_VERSION


def test_busy_seconds_sets_the_busy_timeout(db_path):
    with open_db(db_path, busy_seconds=0.25) as db:
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 250


def test_the_database_and_its_wal_files_are_created_readable_by_the_owner_only(tmp_path):
    path = tmp_path / "data" / "learnbot.db"
    with open_db(path) as db:
        upsert_user(db, "T1", "U1", email="ada@example.org")
        files = sorted(tmp_path.joinpath("data").iterdir())
        modes = {file.name: stat.S_IMODE(os.stat(file).st_mode) for file in files}
    assert modes == {"learnbot.db": 0o600, "learnbot.db-shm": 0o600, "learnbot.db-wal": 0o600}
    assert stat.S_IMODE(os.stat(tmp_path / "data").st_mode) == 0o700


def test_without_create_a_missing_file_is_store_gone_and_nothing_is_created(tmp_path):
    path = tmp_path / "learnbot.db"
    with pytest.raises(StoreGone) as raised:
        open_db(path, create=False)
    assert str(path) in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_a_write_waits_for_another_process_write_lock_then_succeeds(db_path, lock_held):
    with open_db(db_path) as db, lock_held(db_path, 3) as holder:
        started = time.monotonic()
        upsert_user(db, "T1", "U1", name="Ada")
        waited = time.monotonic() - started
        assert holder.poll() is None or holder.returncode == 0
    assert waited > 1.5  # it waited for the lock (held 3 s) rather than failing
    with open_db(db_path) as db:
        assert get_user(db, "T1", "U1").name == "Ada"


def test_reads_do_not_wait_for_another_process_write_lock(db_path, lock_held):
    with open_db(db_path) as db:
        upsert_user(db, "T1", "U1", name="Ada")
        with lock_held(db_path, 3) as holder:
            user = upsert_user(db, "T1", "U1", name="Ada")  # unchanged: a read, not a write
            still_locked = holder.poll() is None
    assert user.name == "Ada"
    assert still_locked


def test_a_lock_held_longer_than_busy_seconds_is_store_busy(db_path, lock_held):
    with open_db(db_path, busy_seconds=0.3) as db, lock_held(db_path, 2):
        with pytest.raises(StoreBusy) as raised:
            upsert_user(db, "T1", "U1", name="Ada")
    assert str(raised.value) == "learnbot is busy, try again in a minute"
    with open_db(db_path) as db:
        assert get_user(db, "T1", "U1") is None  # and nothing half-written


def test_health_passes_on_a_working_database_and_writes_nothing(db_path):
    with open_db(db_path) as db:
        before = db.execute("PRAGMA data_version").fetchone()[0], schema(db)
        assert health(db) is None
        assert (db.execute("PRAGMA data_version").fetchone()[0], schema(db)) == before
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 6000


def test_health_fails_while_another_process_holds_the_write_lock(db_path, lock_held):
    with open_db(db_path) as db, lock_held(db_path, 2):
        with pytest.raises(StoreError):
            health(db, busy_seconds=0.2)


@pytest.mark.parametrize(("path", "memory"), [(None, False), ("learnbot.db", True)])
def test_open_db_needs_exactly_one_of_path_and_memory(path, memory):
    with pytest.raises(ValueError, match="a path or memory=True"):
        open_db(path, memory=memory)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 23, 9, 30, 15, 999, tzinfo=UTC), "2026-11-23T09:30:15+00:00"),
        (datetime(2026, 11, 23, 10, 30, tzinfo=timezone(timedelta(hours=1))), "2026-11-23T09:30:00+00:00"),
        (datetime(2026, 11, 23, 9, 30), "2026-11-23T09:30:00+00:00"),
    ],
    ids=["utc", "other-offset", "naive-is-utc"],
)
def test_utc_timestamp_is_iso_utc_to_the_second(now, expected):
    assert utc_timestamp(now) == expected
