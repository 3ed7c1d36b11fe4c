import pytest
from cryptography.fernet import Fernet

from store.credentials import (
    connected_providers,
    delete_credentials,
    load_personal,
    load_shared,
    rotate_all,
    save_credentials,
    shared_providers,
)
from store.crypto import Vault, VaultError
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
    assert connected_providers(db, "T2", "U1") == []


def test_connected_and_shared_providers_list_names_without_decrypting(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    save_credentials(db, vault, "T1", "U1", "linkedin", {"token": SECRET})
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": SECRET})
    db.execute("UPDATE credentials SET token = 'unreadable'")
    assert connected_providers(db, "T1", "U1") == ["learnflow", "linkedin"]
    assert shared_providers(db, "T1") == ["inokufu"]


@pytest.mark.parametrize(("user_id", "remaining_shared"), [("U1", ["inokufu"]), (None, [])])
def test_delete_removes_only_the_named_set(db, vault, user_id, remaining_shared):
    save_credentials(db, vault, "T1", "U1", "inokufu", {"api_key": "mine"})
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": "ours"})
    assert delete_credentials(db, "T1", user_id, "inokufu") is True
    assert shared_providers(db, "T1") == remaining_shared
    assert len(connected_providers(db, "T1", "U1")) == (0 if user_id else 1)


def test_delete_of_missing_credentials_is_false(db):
    assert delete_credentials(db, "T1", "U1", "learnflow") is False


def test_loading_with_the_wrong_key_raises_vault_error_without_the_secret(db, vault):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    other = Vault([Fernet.generate_key().decode()])
    with pytest.raises(VaultError) as raised:
        load_personal(db, other, "T1", "U1")
    assert SECRET not in str(raised.value) and SECRET not in repr(raised.value)


def test_rotate_all_reencrypts_under_the_new_primary_key(db, vault, key):
    save_credentials(db, vault, "T1", "U1", "learnflow", {"password": SECRET})
    save_credentials(db, vault, "T1", None, "inokufu", {"api_key": SECRET})
    primary = Fernet.generate_key().decode()
    assert rotate_all(db, Vault([primary, key])) == 2
    only_new = Vault([primary])
    assert load_personal(db, only_new, "T1", "U1") == {"learnflow": {"password": SECRET}}
    assert load_shared(db, only_new, "T1") == {"inokufu": {"api_key": SECRET}}
