import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest

from store.db import SCHEMA_VERSION, open_db, schema_version, utc_timestamp
from store.migrations import migrations

LEARNBOT_TABLES = {
    "users",
    "preferences",
    "credentials",
    "saved_items",
    "enrollments",
    "searches",
    "seen_items",
    "digest_ledger",
}


def schema(db):
    return list(db.query("SELECT type, name, sql FROM sqlite_master ORDER BY name"))


def test_open_db_creates_every_table(db):
    assert LEARNBOT_TABLES <= set(db.table_names())


def test_schema_version_counts_the_applied_migrations(db):
    assert schema_version(db) == SCHEMA_VERSION == 9


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
    [("foreign_keys", 1), ("busy_timeout", 5000), ("secure_delete", 1)],
)
def test_open_db_sets_pragma(db_path, pragma, expected):
    with open_db(db_path) as db:
        assert db.execute(f"PRAGMA {pragma}").fetchone()[0] == expected


def test_open_db_creates_the_parent_directory(tmp_path):
    with open_db(tmp_path / "data" / "learnbot.db") as db:
        assert (tmp_path / "data" / "learnbot.db").exists()
        assert schema_version(db) == SCHEMA_VERSION


@pytest.mark.parametrize(("path", "memory"), [(None, False), ("learnbot.db", True)])
def test_open_db_needs_exactly_one_of_path_and_memory(path, memory):
    with pytest.raises(ValueError, match="a path or memory=True"):
        open_db(path, memory=memory)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 23, 9, 30, 15, 999, tzinfo=timezone.utc), "2026-11-23T09:30:15+00:00"),
        (datetime(2026, 11, 23, 10, 30, tzinfo=timezone(timedelta(hours=1))), "2026-11-23T09:30:00+00:00"),
        (datetime(2026, 11, 23, 9, 30), "2026-11-23T09:30:00+00:00"),
    ],
    ids=["utc", "other-offset", "naive-is-utc"],
)
def test_utc_timestamp_is_iso_utc_to_the_second(now, expected):
    assert utc_timestamp(now) == expected
