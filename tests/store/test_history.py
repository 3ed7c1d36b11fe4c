from datetime import timedelta

import pytest

from store.history import (
    SearchRecord,
    get_search,
    last_search,
    mark_seen,
    record_search,
    seen_refs,
)

ITEMS = [
    {"id": "42", "provider": "learnflow", "title": "SQL basics"},
    {"id": "7", "provider": "inokufu", "title": "Python"},
]
STATUSES = [{"provider": "learnflow", "ok": True}, {"provider": "inokufu", "ok": True}]
QUERY = {"keywords": "sql", "limit": 10}


def record(db, text="sql", team_id="T1", user_id="U1", **kwargs):
    return record_search(db, team_id, user_id, text, QUERY, ITEMS, STATUSES, **kwargs)


def test_record_search_returns_the_stored_record(db, now):
    assert record(db, now=now) == SearchRecord(
        id=1,
        text="sql",
        query=QUERY,
        items=ITEMS,
        statuses=STATUSES,
        created_at="2026-11-23T09:30:00+00:00",
    )


def test_last_search_is_the_newest(db):
    record(db, "sql")
    newest = record(db, "python")
    assert last_search(db, "T1", "U1") == newest


def test_last_search_of_someone_who_never_searched_is_none(db):
    record(db, user_id="U2")
    assert last_search(db, "T1", "U1") is None


def test_get_search_returns_ones_own_search(db):
    search = record(db)
    assert get_search(db, "T1", "U1", search.id) == search


@pytest.mark.parametrize(("team_id", "user_id"), [("T1", "U2"), ("T2", "U1")])
def test_get_search_of_someone_elses_search_is_none(db, team_id, user_id):
    search = record(db)
    assert get_search(db, team_id, user_id, search.id) is None


def test_only_the_last_fifty_searches_are_kept(db):
    for number in range(52):
        record(db, f"search {number}")
    kept = [row["text"] for row in db.query("SELECT text FROM searches ORDER BY id")]
    assert kept == [f"search {number}" for number in range(2, 52)]


def test_pruning_leaves_other_peoples_searches_alone(db):
    record(db, user_id="U2")
    for _ in range(51):
        record(db)
    assert last_search(db, "T1", "U2") is not None


def test_recorded_items_are_marked_seen(db):
    record(db)
    assert seen_refs(db, "T1", "U1") == {"learnflow:42", "inokufu:7"}


def test_mark_seen_keeps_the_first_sighting(db, now):
    mark_seen(db, "T1", "U1", ["learnflow:42"], via="digest", now=now)
    mark_seen(db, "T1", "U1", ["learnflow:42", "catalog:1"], via="search", now=now + timedelta(days=1))
    rows = list(db.query("SELECT ref, via, first_seen FROM seen_items ORDER BY ref"))
    assert rows == [
        {"ref": "catalog:1", "via": "search", "first_seen": "2026-11-24T09:30:00+00:00"},
        {"ref": "learnflow:42", "via": "digest", "first_seen": "2026-11-23T09:30:00+00:00"},
    ]


def test_seen_refs_are_per_person(db):
    record(db)
    assert seen_refs(db, "T1", "U2") == set()
    assert seen_refs(db, "T2", "U1") == set()

