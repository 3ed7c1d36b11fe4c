import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from store.db import open_db
from store.events import claim_action, claim_event


def test_the_first_delivery_of_an_event_is_claimed_and_its_retries_are_not(db, now):
    assert claim_event(db, "T1", "Ev1", now=now) is True
    assert claim_event(db, "T1", "Ev1", now=now + timedelta(seconds=3)) is False
    assert claim_event(db, "T1", "Ev1", now=now + timedelta(minutes=5)) is False


def test_events_of_two_teams_are_claimed_apart(db, now):
    assert claim_event(db, "T1", "Ev1", now=now) is True
    assert claim_event(db, "T2", "Ev1", now=now) is True
    assert claim_event(db, "T1", "Ev2", now=now) is True


def test_connections_claiming_the_same_events_at_once_claim_each_once(db_path):
    events = [f"Ev{n}" for n in range(25)]
    start = threading.Barrier(4)

    def claim_all() -> list[bool]:
        with open_db(db_path) as connection:
            start.wait()
            return [claim_event(connection, "T1", event) for event in events]

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = [future.result() for future in [pool.submit(claim_all) for _ in range(4)]]
    assert [sum(claims) for claims in zip(*outcomes)] == [1] * len(events)


def test_claims_are_kept_a_day(db, now):
    claim_event(db, "T1", "Ev1", now=now)
    claim_event(db, "T1", "Ev2", now=now + timedelta(hours=23))
    assert claim_event(db, "T1", "Ev1", now=now + timedelta(hours=23, minutes=59)) is False


def test_claims_older_than_a_day_are_pruned_by_the_next_claim(db, now):
    claim_event(db, "T1", "Ev1", now=now)
    claim_action(db, "T1", "U1", "enroll", "1700000000.000100", now=now)
    assert db["deliveries"].count == 2
    claim_event(db, "T1", "Ev2", now=now + timedelta(days=1, seconds=1))
    assert db["deliveries"].count == 1
    assert claim_event(db, "T1", "Ev1", now=now + timedelta(days=1, seconds=2)) is True


def test_an_interaction_replayed_is_claimed_once(db, now):
    assert claim_action(db, "T1", "U1", "enroll", "1700000000.000100", now=now) is True
    assert claim_action(db, "T1", "U1", "enroll", "1700000000.000100", now=now) is False


def test_another_click_user_or_action_is_a_new_claim(db, now):
    claim_action(db, "T1", "U1", "enroll", "1700000000.000100", now=now)
    assert claim_action(db, "T1", "U1", "enroll", "1700000000.000200", now=now) is True
    assert claim_action(db, "T1", "U2", "enroll", "1700000000.000100", now=now) is True
    assert claim_action(db, "T1", "U1", "forget_me", "1700000000.000100", now=now) is True


def test_an_event_and_an_action_with_the_same_text_do_not_collide(db, now):
    assert claim_event(db, "T1", "Ev1", now=now) is True
    assert claim_action(db, "T1", "Ev1", "", "", now=now) is True


def test_no_user_id_is_stored(db, now):
    claim_action(db, "T1", "U12345", "forget_me", "1700000000.000100", now=now)
    assert "U12345" not in str(list(db.query("SELECT * FROM deliveries")))
