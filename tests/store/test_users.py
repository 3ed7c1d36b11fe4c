import pytest

from store.users import User, get_user, list_users, upsert_user


def test_upsert_creates_a_user_with_the_given_fields(db, now):
    user = upsert_user(db, "T1", "U1", now=now, email="ada@example.org", tz="Europe/Paris")
    assert user == User(
        team_id="T1",
        user_id="U1",
        tz="Europe/Paris",
        locale=None,
        email="ada@example.org",
        name=None,
        tz_checked_at=None,
        created_at="2026-11-23T09:30:00+00:00",
        digest_notice_sent=False,
    )


def test_upsert_changes_only_the_fields_given(db, now):
    upsert_user(db, "T1", "U1", now=now, email="ada@example.org", tz="Europe/Paris")
    user = upsert_user(db, "T1", "U1", name="Ada")
    assert (user.email, user.tz, user.name) == ("ada@example.org", "Europe/Paris", "Ada")


def test_upsert_keeps_the_first_created_at(db, now):
    upsert_user(db, "T1", "U1", now=now)
    assert upsert_user(db, "T1", "U1", name="Ada").created_at == "2026-11-23T09:30:00+00:00"


def test_upsert_without_fields_leaves_the_user_unchanged(db, now):
    first = upsert_user(db, "T1", "U1", now=now, email="ada@example.org")
    assert upsert_user(db, "T1", "U1") == first


def test_digest_notice_sent_is_a_bool(db):
    assert upsert_user(db, "T1", "U1", digest_notice_sent=True).digest_notice_sent is True


def test_upsert_refuses_unknown_fields(db):
    with pytest.raises(TypeError, match="unknown fields: password"):
        upsert_user(db, "T1", "U1", password="x")


def test_get_user_of_a_stranger_is_none(db):
    assert get_user(db, "T1", "U1") is None


def test_same_user_id_in_two_teams_are_two_people(db):
    upsert_user(db, "T1", "U1", name="Ada")
    upsert_user(db, "T2", "U1", name="Grace")
    assert (get_user(db, "T1", "U1").name, get_user(db, "T2", "U1").name) == ("Ada", "Grace")


@pytest.mark.parametrize(
    ("team_id", "expected"),
    [(None, [("T1", "U1"), ("T1", "U2"), ("T2", "U1")]), ("T1", [("T1", "U1"), ("T1", "U2")])],
)
def test_list_users(db, team_id, expected):
    for team, user in [("T2", "U1"), ("T1", "U2"), ("T1", "U1")]:
        upsert_user(db, team, user)
    assert [(u.team_id, u.user_id) for u in list_users(db, team_id)] == expected


def changes(db) -> int:
    return db.execute("SELECT total_changes()").fetchone()[0]


@pytest.mark.parametrize(
    "fields",
    [{}, {"email": "ada@example.org"}, {"tz": "Europe/Paris", "digest_notice_sent": True}],
    ids=["no-fields", "same-email", "same-tz-and-flag"],
)
def test_upsert_with_values_already_stored_writes_nothing(db, fields):
    upsert_user(db, "T1", "U1", email="ada@example.org", tz="Europe/Paris", digest_notice_sent=True)
    before = changes(db)
    upsert_user(db, "T1", "U1", **fields)
    assert changes(db) == before


def test_upsert_with_a_changed_value_writes_it(db):
    upsert_user(db, "T1", "U1", email="ada@example.org")
    before = changes(db)
    assert upsert_user(db, "T1", "U1", email="ada@example.com").email == "ada@example.com"
    assert changes(db) == before + 1
