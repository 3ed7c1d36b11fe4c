import pytest

from store.credentials import load_shared, save_credentials
from store.db import open_db
from store.forget import PERSONAL_TABLES, forget_user
from store.history import record_search
from store.ledger import claim_digest
from store.library import claim_enrollment, save_item
from store.preferences import Preferences, save_preferences
from store.users import upsert_user

ITEM = {"id": "42", "provider": "learnflow", "title": "SQL basics"}


def fill(db, vault, team_id, user_id):
    """One row in every personal table for this person."""
    upsert_user(db, team_id, user_id, email=f"{user_id.lower()}@example.org")
    save_preferences(db, team_id, user_id, Preferences(topics=("sql",)))
    save_credentials(db, vault, team_id, user_id, "learnflow", {"password": "secret"})
    save_item(db, team_id, user_id, "learnflow:42", ITEM)
    claim_enrollment(db, team_id, user_id, "learnflow:42", "learnflow", ITEM, "key")
    record_search(db, team_id, user_id, "sql", {}, [ITEM], [])
    claim_digest(db, team_id, user_id, "2026-W48", "worker-a")


def rows_of(db, team_id, user_id):
    return {
        table: db.execute(
            f"SELECT COUNT(*) FROM {table} WHERE team_id = ? AND user_id = ?", [team_id, user_id]
        ).fetchone()[0]
        for table in PERSONAL_TABLES
    }


def test_forget_user_deletes_a_row_from_every_personal_table(db, vault):
    fill(db, vault, "T1", "U1")
    assert forget_user(db, "T1", "U1") == {
        "credentials": 1,
        "preferences": 1,
        "saved_items": 1,
        "enrollments": 1,
        "searches": 1,
        "seen_items": 1,
        "digest_ledger": 1,
        "users": 1,
    }
    assert set(rows_of(db, "T1", "U1").values()) == {0}


@pytest.mark.parametrize(
    ("team_id", "user_id"), [("T1", "U2"), ("T2", "U1")], ids=["colleague", "other-team"]
)
def test_forget_user_leaves_other_people_alone(db, vault, team_id, user_id):
    fill(db, vault, "T1", "U1")
    fill(db, vault, team_id, user_id)
    forget_user(db, "T1", "U1")
    assert set(rows_of(db, team_id, user_id).values()) == {1}


def test_forget_user_keeps_the_workspace_shared_credentials(db, vault):
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": "ours"})
    fill(db, vault, "T1", "U1")
    forget_user(db, "T1", "U1")
    assert load_shared(db, vault, "T1") == {"inokufu": {"api_key": "ours"}}


def test_forget_user_refuses_an_empty_user_id(db, vault):
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": "ours"})
    with pytest.raises(ValueError, match="needs a user id"):
        forget_user(db, "T1", "")


def test_every_table_with_personal_rows_is_forgotten(db):
    personal = {table.name for table in db.tables if {"team_id", "user_id"} <= set(table.columns_dict)}
    assert personal == set(PERSONAL_TABLES)


def test_forgotten_data_is_gone_from_the_file(tmp_path, vault):
    path = tmp_path / "learnbot.db"
    with open_db(path) as db:
        fill(db, vault, "T1", "U1")
        forget_user(db, "T1", "U1")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = b"".join(file.read_bytes() for file in tmp_path.glob("learnbot.db*"))
    assert b"u1@example.org" not in stored
