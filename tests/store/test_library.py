import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from store.db import open_db
from store.library import (
    Enrollment,
    SavedItem,
    claim_enrollment,
    complete_enrollment,
    get_enrollment,
    list_enrollments,
    list_saved,
    mark_unconfirmed,
    release_enrollment,
    remove_saved,
    save_item,
    update_progress,
)

ITEM = {"id": "42", "provider": "learnflow", "title": "SQL basics", "url": "https://example.org/42"}
OTHER = {"id": "7", "provider": "inokufu", "title": "Python", "url": "https://example.org/7"}


def claim(db, ref="learnflow:42", key="T1:U1:learnflow:42", **kwargs):
    return claim_enrollment(db, "T1", "U1", ref, "learnflow", ITEM, key, **kwargs)


# --- saved items ---------------------------------------------------------------------------------


def test_save_item_then_list_it(db, now):
    assert save_item(db, "T1", "U1", "learnflow:42", ITEM, now=now) is True
    assert list_saved(db, "T1", "U1") == [SavedItem("learnflow:42", ITEM, "2026-11-23T09:30:00+00:00")]


def test_saving_the_same_item_twice_keeps_one(db):
    save_item(db, "T1", "U1", "learnflow:42", ITEM)
    assert save_item(db, "T1", "U1", "learnflow:42", ITEM) is False
    assert len(list_saved(db, "T1", "U1")) == 1


def test_saved_items_are_listed_newest_first(db, now):
    save_item(db, "T1", "U1", "learnflow:42", ITEM, now=now)
    save_item(db, "T1", "U1", "inokufu:7", OTHER, now=now + timedelta(minutes=1))
    save_item(db, "T1", "U1", "catalog:1", ITEM, now=now + timedelta(minutes=1))
    assert [s.ref for s in list_saved(db, "T1", "U1")] == ["catalog:1", "inokufu:7", "learnflow:42"]


def test_remove_saved(db):
    save_item(db, "T1", "U1", "learnflow:42", ITEM)
    assert remove_saved(db, "T1", "U1", "learnflow:42") is True
    assert remove_saved(db, "T1", "U1", "learnflow:42") is False
    assert list_saved(db, "T1", "U1") == []


def test_saved_items_are_per_team(db):
    save_item(db, "T1", "U1", "learnflow:42", ITEM)
    assert list_saved(db, "T2", "U1") == []


# --- enrollments -----------------------------------------------------------------------------------


def test_first_claim_creates_a_pending_enrollment(db, now):
    assert claim(db, now=now) == (
        Enrollment(
            ref="learnflow:42",
            provider="learnflow",
            item=ITEM,
            status="pending",
            external_id=None,
            progress_completed=None,
            progress_total=None,
            idempotency_key="T1:U1:learnflow:42",
            created_at="2026-11-23T09:30:00+00:00",
            updated_at="2026-11-23T09:30:00+00:00",
            lease_until="2026-11-23T09:32:00+00:00",
        ),
        True,
    )


@pytest.mark.parametrize("status", ["pending", "enrolled"])
def test_second_claim_returns_the_existing_row_unclaimed(db, status):
    claim(db)
    if status == "enrolled":
        complete_enrollment(db, "T1", "U1", "learnflow:42", "enrolled", external_id="ext-1")
    row, claimed = claim(db)
    assert (row.status, claimed) == (status, False)


def test_a_failed_enrollment_can_be_claimed_again(db, now):
    claim(db, now=now)
    release_enrollment(db, "T1", "U1", "learnflow:42")
    row, claimed = claim(db, key="a-new-key", now=now + timedelta(hours=1))
    assert claimed is True
    assert (row.status, row.idempotency_key, row.created_at, row.updated_at) == (
        "pending",
        "T1:U1:learnflow:42",
        "2026-11-23T09:30:00+00:00",
        "2026-11-23T10:30:00+00:00",
    )


def test_a_pending_claim_holds_until_its_lease_runs_out(db, now):
    claim(db, now=now)
    assert claim(db, now=now + timedelta(seconds=119))[1] is False
    row, claimed = claim(db, key="a-new-key", now=now + timedelta(seconds=120))
    assert claimed is True
    assert (row.status, row.idempotency_key, row.lease_until) == (
        "pending", "T1:U1:learnflow:42", "2026-11-23T09:34:00+00:00")


def test_lease_seconds_sets_the_lease(db, now):
    row, _ = claim(db, now=now, lease_seconds=10)
    assert row.lease_until == "2026-11-23T09:30:10+00:00"
    assert claim(db, now=now + timedelta(seconds=10))[1] is True


def test_a_pending_claim_without_a_lease_is_expired(db, now):
    claim(db, now=now)
    db.execute("UPDATE enrollments SET lease_until = NULL")  # a claim made before leases existed
    assert claim(db, now=now + timedelta(seconds=1))[1] is True


def test_an_unconfirmed_enrollment_is_claimed_again_at_once_with_the_same_key(db, now):
    claim(db, now=now)
    assert mark_unconfirmed(db, "T1", "U1", "learnflow:42", now=now) is True
    assert get_enrollment(db, "T1", "U1", "learnflow:42").status == "unconfirmed"
    row, claimed = claim(db, key="a-new-key", now=now + timedelta(seconds=1))
    assert (claimed, row.status, row.idempotency_key) == (True, "pending", "T1:U1:learnflow:42")


@pytest.mark.parametrize("status", ["enrolled", "failed"])
def test_only_a_pending_enrollment_becomes_unconfirmed(db, status):
    claim(db)
    complete_enrollment(db, "T1", "U1", "learnflow:42", status)
    assert mark_unconfirmed(db, "T1", "U1", "learnflow:42") is False
    assert get_enrollment(db, "T1", "U1", "learnflow:42").status == status


def test_two_connections_taking_over_expired_claims_at_once_take_each_once(db_path, now):
    refs = [f"learnflow:{n}" for n in range(20)]
    with open_db(db_path) as connection:
        for ref in refs:
            claim(connection, ref=ref, key=ref, now=now)
    start = threading.Barrier(2)
    later = now + timedelta(minutes=5)

    def claim_all() -> list[bool]:
        with open_db(db_path) as connection:
            start.wait()
            return [claim(connection, ref=ref, key="other", now=later)[1] for ref in refs]

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.submit(claim_all), pool.submit(claim_all)
        outcomes = list(zip(first.result(), second.result()))
    assert [sorted(pair) for pair in outcomes] == [[False, True]] * 20
    with open_db(db_path) as connection:
        assert {e.idempotency_key for e in list_enrollments(connection, "T1", "U1")} == set(refs)


def test_two_connections_claiming_at_once_enroll_once(db_path):
    refs = [f"learnflow:{n}" for n in range(20)]
    start = threading.Barrier(2)

    def claim_all() -> list[bool]:
        with open_db(db_path) as connection:
            start.wait()
            return [claim(connection, ref=ref, key=ref)[1] for ref in refs]

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.submit(claim_all), pool.submit(claim_all)
        outcomes = list(zip(first.result(), second.result()))
    assert [sorted(pair) for pair in outcomes] == [[False, True]] * 20


def test_complete_enrollment_records_status_and_external_id(db):
    claim(db)
    assert complete_enrollment(db, "T1", "U1", "learnflow:42", "enrolled", external_id="ext-1") is True
    row = get_enrollment(db, "T1", "U1", "learnflow:42")
    assert (row.status, row.external_id) == ("enrolled", "ext-1")


def test_complete_enrollment_refuses_a_status_that_is_not_final(db):
    claim(db)
    with pytest.raises(ValueError, match="enrolled or failed, not 'already'"):
        complete_enrollment(db, "T1", "U1", "learnflow:42", "already")


def test_release_does_not_undo_a_successful_enrollment(db):
    claim(db)
    complete_enrollment(db, "T1", "U1", "learnflow:42", "enrolled")
    assert release_enrollment(db, "T1", "U1", "learnflow:42") is False
    assert get_enrollment(db, "T1", "U1", "learnflow:42").status == "enrolled"


def test_update_progress(db):
    claim(db)
    assert update_progress(db, "T1", "U1", "learnflow:42", 3, 10) is True
    row = get_enrollment(db, "T1", "U1", "learnflow:42")
    assert (row.progress_completed, row.progress_total) == (3, 10)


@pytest.mark.parametrize(
    "change",
    [
        lambda db: complete_enrollment(db, "T1", "U1", "learnflow:42", "enrolled"),
        lambda db: release_enrollment(db, "T1", "U1", "learnflow:42"),
        lambda db: mark_unconfirmed(db, "T1", "U1", "learnflow:42"),
        lambda db: update_progress(db, "T1", "U1", "learnflow:42", 1, 2),
    ],
    ids=["complete", "release", "unconfirmed", "progress"],
)
def test_changing_a_missing_enrollment_returns_false(db, change):
    assert change(db) is False


def test_enrollments_are_listed_newest_first(db, now):
    claim(db, ref="learnflow:1", key="k1", now=now)
    claim(db, ref="learnflow:2", key="k2", now=now + timedelta(days=1))
    assert [e.ref for e in list_enrollments(db, "T1", "U1")] == ["learnflow:2", "learnflow:1"]


def test_enrollments_of_one_team_are_invisible_in_another(db):
    claim(db)
    assert list_enrollments(db, "T2", "U1") == []
    assert get_enrollment(db, "T2", "U1", "learnflow:42") is None
