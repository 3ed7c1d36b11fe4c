import pytest
from cryptography.fernet import Fernet

from store.credentials import (
    check_keys,
    checked_keys,
    delete_credentials,
    load_personal,
    load_shared,
    rotate_all,
    save_credentials,
)
from store.crypto import KeyProblem, Vault
from store.db import open_db

SECRET = "sk-live-0123456789abcdef"


def test_personal_credentials_round_trip(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"username": "ada", "password": SECRET})
    assert load_personal(db, vault, "T1", "U1") == {"learnflow": {"username": "ada", "password": SECRET}}


def test_the_secret_is_not_in_the_database_file(tmp_path, vault):
    path = tmp_path / "learnbot.db"
    with open_db(path) as db:
        save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
        save_credentials(db, vault, "T1", None, "inokufu", {"api_key": SECRET})
    stored = b"".join(file.read_bytes() for file in tmp_path.glob("learnbot.db*"))
    assert b"learnflow" in stored
    assert SECRET.encode() not in stored


def test_the_token_column_holds_a_fernet_token(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    token = db.execute("SELECT token FROM credentials").fetchone()[0]
    assert vault.decrypt(token) == {"password": SECRET}


def test_saving_again_replaces_the_values(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": "old"})
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": "new"})
    assert load_personal(db, vault, "T1", "U1") == {"learnflow": {"password": "new"}}


def test_shared_credentials_are_not_anyones_personal_ones(db, vault):
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": SECRET})
    assert load_shared(db, vault, "T1") == {"inokufu": {"api_key": SECRET}}
    assert load_personal(db, vault, "T1", "U1") == {}


def test_personal_credentials_are_not_shared(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    assert load_shared(db, vault, "T1") == {}
    assert load_personal(db, vault, "T1", "U2") == {}


def test_another_team_cannot_read_rows_of_the_same_user_id(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": SECRET})
    assert load_personal(db, vault, "T2", "U1") == {}
    assert load_shared(db, vault, "T2") == {}


@pytest.mark.parametrize(("user_id", "remaining"), [("U1", ([], ["inokufu"])), (None, (["inokufu"], []))])
def test_delete_removes_only_the_named_set(db, vault, user_id, remaining):
    save_credentials(db, vault, "T1", "U1", "inokufu", {"api_key": "mine"})
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": "ours"})
    assert delete_credentials(db, "T1", user_id, "inokufu") is True
    assert (list(load_personal(db, vault, "T1", "U1")), list(load_shared(db, vault, "T1"))) == remaining


def test_delete_of_missing_credentials_is_false(db):
    assert delete_credentials(db, "T1", "U1", "learnflow") is False


def other_vault() -> Vault:
    return Vault([Fernet.generate_key().decode()])


def test_a_set_that_does_not_decrypt_disables_only_that_provider(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    save_credentials(db, other_vault(), "T1", "U1", "linkedin", {"token": SECRET})
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": SECRET})
    save_credentials(db, other_vault(), "T1", None, "learnifier", {"api_key": SECRET})

    personal, shared = load_personal(db, vault, "T1", "U1"), load_shared(db, vault, "T1")

    assert (personal, personal.unreadable) == ({"learnflow": {"password": SECRET}}, ("linkedin",))
    assert (shared, shared.unreadable) == ({"inokufu": {"api_key": SECRET}}, ("learnifier",))


def test_loading_with_the_wrong_key_names_the_providers_without_the_secret(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    loaded = load_personal(db, other_vault(), "T1", "U1")
    assert (loaded, loaded.unreadable) == ({}, ("learnflow",))
    assert SECRET not in repr(loaded)


def test_check_keys_passes_when_one_set_decrypts(db, vault):
    save_credentials(db, other_vault(), "T1", "U1", "linkedin", {"token": SECRET})
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    assert check_keys(db, vault) is None


def test_check_keys_passes_without_credentials(db, vault):
    assert check_keys(db, vault) is None


def test_check_keys_with_the_wrong_key_is_one_line_naming_the_setting_and_the_file(db, vault, tmp_path):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    with pytest.raises(KeyProblem) as raised:
        check_keys(db, other_vault(), tmp_path / "learnbot.key")
    message = str(raised.value)
    assert "\n" not in message and SECRET not in message
    assert "LEARNBOT_SECRET_KEY" in message and str(tmp_path / "learnbot.key") in message


def test_checked_keys_makes_a_key_file_on_a_new_database(tmp_path):
    path = tmp_path / "learnbot.db"
    with open_db(path) as db:
        keys, key_path = checked_keys(db, None, path)
    assert key_path.read_text().strip() == keys[0]


def test_a_lost_key_file_with_stored_credentials_stops_without_writing_a_new_key(tmp_path):
    path = tmp_path / "learnbot.db"
    with open_db(path) as db:
        keys, key_path = checked_keys(db, None, path)
        save_credentials(db, Vault(keys), "T1", "U1", "learnflow", {"password": SECRET})
        key_path.unlink()
        with pytest.raises(KeyProblem) as raised:
            checked_keys(db, None, path)
    message = str(raised.value)
    assert "\n" not in message
    assert "LEARNBOT_SECRET_KEY" in message and str(key_path) in message
    assert not key_path.exists()


def test_a_replaced_key_file_with_stored_credentials_stops(tmp_path):
    path = tmp_path / "learnbot.db"
    with open_db(path) as db:
        keys, key_path = checked_keys(db, None, path)
        save_credentials(db, Vault(keys), "T1", "U1", "learnflow", {"password": SECRET})
        key_path.write_text(Fernet.generate_key().decode() + "\n")
        with pytest.raises(KeyProblem, match="cannot be decrypted with the configured key"):
            checked_keys(db, None, path)


def test_a_wrong_setting_with_stored_credentials_stops(tmp_path, key):
    path = tmp_path / "learnbot.db"
    with open_db(path) as db:
        save_credentials(db, Vault([key]), "T1", "U1", "learnflow", {"password": SECRET})
        with pytest.raises(KeyProblem, match="LEARNBOT_SECRET_KEY"):
            checked_keys(db, Fernet.generate_key().decode(), path)
        assert checked_keys(db, key, path) == ([key], None)


def test_rotate_all_reencrypts_under_the_new_primary_key(db, vault, key):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": SECRET})
    primary = Fernet.generate_key().decode()
    assert rotate_all(db, Vault([primary, key])) == 2
    only_new = Vault([primary])
    assert load_personal(db, only_new, "T1", "U1") == {"learnflow": {"password": SECRET}}
    assert load_shared(db, only_new, "T1") == {"inokufu": {"api_key": SECRET}}


def test_rotate_all_with_a_wrong_key_is_one_line_and_changes_nothing(db, vault, tmp_path):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": SECRET})
    before = list(db.query("SELECT * FROM credentials"))
    with pytest.raises(KeyProblem) as raised:
        rotate_all(db, Vault([Fernet.generate_key().decode(), Fernet.generate_key().decode()]),
                   key_file=tmp_path / "learnbot.key")
    assert "\n" not in str(raised.value) and str(tmp_path / "learnbot.key") in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__context__ is None
    assert list(db.query("SELECT * FROM credentials")) == before


def test_rotate_all_leaves_an_unreadable_set_as_it_was_and_rotates_the_others(db, vault, key):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    save_credentials(db, other_vault(), "T1", None, "inokufu", {"api_key": SECRET})
    unreadable_before = db.execute("SELECT token FROM credentials WHERE provider = 'inokufu'").fetchone()
    primary = Fernet.generate_key().decode()
    assert rotate_all(db, Vault([primary, key])) == 1
    assert load_personal(db, Vault([primary]), "T1", "U1") == {"learnflow": {"password": SECRET}}
    assert db.execute("SELECT token FROM credentials WHERE provider = 'inokufu'").fetchone() == unreadable_before


def test_rotate_all_without_credentials_rotates_none(db, vault):
    assert rotate_all(db, vault) == 0
