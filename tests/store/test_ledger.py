import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from store.db import open_db
from store.ledger import claim_digest, digest_status, mark_sent

WEEK = "2026-W48"


def test_first_claim_of_the_week_wins(db):
    assert claim_digest(db, "T1", "U1", WEEK, "worker-a") is True
    assert claim_digest(db, "T1", "U1", WEEK, "worker-b") is False


def test_each_week_can_be_claimed_once(db):
    claim_digest(db, "T1", "U1", WEEK, "worker-a")
    assert claim_digest(db, "T1", "U1", "2026-W49", "worker-a") is True


def test_two_connections_claiming_at_once_send_one_digest(db_path):
    people = [("T1", f"U{n}") for n in range(20)]
    start = threading.Barrier(2)

    def claim_all(claimer: str) -> list[bool]:
        with open_db(db_path) as connection:
            start.wait()
            return [claim_digest(connection, team, user, WEEK, claimer) for team, user in people]

    with ThreadPoolExecutor(max_workers=2) as pool:
        first, second = pool.submit(claim_all, "worker-a"), pool.submit(claim_all, "worker-b")
        outcomes = list(zip(first.result(), second.result()))
    assert [sorted(pair) for pair in outcomes] == [[False, True]] * 20


def test_status_goes_from_claimed_to_sent(db):
    assert digest_status(db, "T1", "U1", WEEK) is None
    claim_digest(db, "T1", "U1", WEEK, "worker-a")
    assert digest_status(db, "T1", "U1", WEEK) == "claimed"
    assert mark_sent(db, "T1", "U1", WEEK, "D123", "1700000000.000100") is True
    assert digest_status(db, "T1", "U1", WEEK) == "sent"


def test_mark_sent_records_where_the_digest_went(db, now):
    claim_digest(db, "T1", "U1", WEEK, "worker-a", now=now)
    mark_sent(db, "T1", "U1", WEEK, "D123", "1700000000.000100", now=now + timedelta(seconds=5))
    assert list(db.query("SELECT * FROM digest_ledger")) == [
        {
            "team_id": "T1",
            "user_id": "U1",
            "week": WEEK,
            "status": "sent",
            "claimed_by": "worker-a",
            "claimed_at": "2026-11-23T09:30:00+00:00",
            "sent_at": "2026-11-23T09:30:05+00:00",
            "message_ts": "1700000000.000100",
            "channel": "D123",
        }
    ]


def test_mark_sent_without_a_claim_is_false(db):
    assert mark_sent(db, "T1", "U1", WEEK, "D123", "1700000000.000100") is False


def test_marking_one_digest_sent_leaves_the_other_claims_unsent(db):
    for user in ("U3", "U1", "U2"):
        claim_digest(db, "T1", user, WEEK, "worker-a")
    claim_digest(db, "T1", "U2", "2026-W47", "worker-a")
    mark_sent(db, "T1", "U2", WEEK, "D2", "1.2")
    assert [digest_status(db, "T1", user, WEEK) for user in ("U1", "U2", "U3")] == ["claimed", "sent", "claimed"]
    assert digest_status(db, "T1", "U2", "2026-W47") == "claimed"


def test_each_week_is_marked_sent_at_its_own_time(db, now):
    for weeks_later, week in enumerate(["2026-W47", "2026-W48"]):
        claim_digest(db, "T1", "U1", week, "worker-a")
        mark_sent(db, "T1", "U1", week, "D1", "1.1", now=now + timedelta(weeks=weeks_later))
    claim_digest(db, "T1", "U1", "2026-W49", "worker-a")
    assert list(db.query("SELECT week, sent_at FROM digest_ledger ORDER BY week")) == [
        {"week": "2026-W47", "sent_at": "2026-11-23T09:30:00+00:00"},
        {"week": "2026-W48", "sent_at": "2026-11-30T09:30:00+00:00"},
        {"week": "2026-W49", "sent_at": None},
    ]
