import os
import stat

import pytest
from cryptography.fernet import Fernet

from store.crypto import KeyProblem, Vault, VaultError, key_file_is_loose, resolve_keys

SECRET = {"api_key": "sk-live-0123456789abcdef"}


def new_key() -> str:
    return Fernet.generate_key().decode()


def test_vault_decrypts_what_it_encrypted(vault):
    assert vault.decrypt(vault.encrypt(SECRET)) == SECRET


def test_encrypted_token_does_not_contain_the_secret(vault):
    assert "sk-live-0123456789abcdef" not in vault.encrypt(SECRET)


def test_vault_repr_shows_no_key(key):
    vault = Vault([key])
    assert repr(vault) == "<Vault with 1 key(s)>"


def test_vault_needs_a_key():
    with pytest.raises(ValueError, match="at least one key"):
        Vault([])


def test_old_token_stays_readable_after_a_new_primary_key(key):
    token = Vault([key]).encrypt(SECRET)
    assert Vault([new_key(), key]).decrypt(token) == SECRET


def test_rotate_makes_the_token_readable_with_the_new_key_alone(key):
    token = Vault([key]).encrypt(SECRET)
    primary = new_key()
    rotated = Vault([primary, key]).rotate(token)
    assert Vault([primary]).decrypt(rotated) == SECRET


@pytest.mark.parametrize("operation", ["decrypt", "rotate"])
def test_wrong_key_raises_vault_error_without_the_secret(key, operation):
    token = Vault([key]).encrypt(SECRET)
    with pytest.raises(VaultError) as raised:
        getattr(Vault([new_key()]), operation)(token)
    assert str(raised.value) == "stored credentials cannot be read with the current key"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def test_env_keys_are_used_newest_first_without_a_key_file(tmp_path):
    first, second = new_key(), new_key()
    keys, key_path = resolve_keys(f"{first}, {second}", tmp_path / "learnbot.db")
    assert (keys, key_path) == ([first, second], None)
    assert not (tmp_path / "learnbot.key").exists()


@pytest.mark.parametrize("bad", ["hunter2-not-a-key", "ÄÖÜ", "x" * 44])
def test_invalid_env_key_names_the_setting_without_echoing_it(tmp_path, bad):
    with pytest.raises(KeyProblem) as raised:
        resolve_keys(f"{new_key()},{bad}", tmp_path / "learnbot.db")
    message = str(raised.value)
    assert message.startswith("LEARNBOT_SECRET_KEY is not a valid Fernet key (key 2 of 2)")
    assert bad not in message


def test_without_env_key_a_key_file_is_created_next_to_the_db(tmp_path):
    keys, key_path = resolve_keys(None, tmp_path / "learnbot.db")
    assert key_path == tmp_path / "learnbot.key"
    assert key_path.read_text().strip() == keys[0]


def test_key_file_is_readable_by_its_owner_only(tmp_path):
    _, key_path = resolve_keys(None, tmp_path / "learnbot.db")
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600


@pytest.mark.parametrize("env_value", [None, "", "  "])
def test_key_file_is_reused_on_the_next_start(tmp_path, env_value):
    first_keys, _ = resolve_keys(None, tmp_path / "learnbot.db")
    assert resolve_keys(env_value, tmp_path / "learnbot.db") == (first_keys, tmp_path / "learnbot.key")


def test_a_corrupt_key_file_is_refused(tmp_path):
    (tmp_path / "learnbot.key").write_text("not a key\n")
    with pytest.raises(KeyProblem, match="does not hold a valid Fernet key"):
        resolve_keys(None, tmp_path / "learnbot.db")


def test_a_malformed_setting_is_one_line(tmp_path):
    with pytest.raises(KeyProblem) as raised:
        resolve_keys("notakey", tmp_path / "learnbot.db")
    assert str(raised.value).startswith("LEARNBOT_SECRET_KEY is not a valid Fernet key (key 1 of 1)")
    assert "\n" not in str(raised.value) and "notakey" not in str(raised.value)
    assert raised.value.__cause__ is None


def test_without_create_a_missing_key_file_is_a_key_problem_and_none_is_made(tmp_path):
    with pytest.raises(KeyProblem) as raised:
        resolve_keys(None, tmp_path / "learnbot.db", create=False)
    assert str(tmp_path / "learnbot.key") in str(raised.value)
    assert "LEARNBOT_SECRET_KEY" in str(raised.value) and "\n" not in str(raised.value)
    assert list(tmp_path.iterdir()) == []


def test_without_create_an_existing_key_file_is_read(tmp_path):
    keys, _ = resolve_keys(None, tmp_path / "learnbot.db")
    assert resolve_keys(None, tmp_path / "learnbot.db", create=False) == (keys, tmp_path / "learnbot.key")


@pytest.mark.parametrize(("mode", "loose"), [(0o600, False), (0o400, False), (0o640, True), (0o604, True)])
def test_key_file_is_loose_when_others_may_read_it(tmp_path, mode, loose):
    _, key_path = resolve_keys(None, tmp_path / "learnbot.db")
    key_path.chmod(mode)
    assert key_file_is_loose(key_path) is loose


def test_in_memory_db_gets_an_ephemeral_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    keys, key_path = resolve_keys(None, None)
    assert key_path is None
    assert Vault(keys).decrypt(Vault(keys).encrypt(SECRET)) == SECRET
    assert list(tmp_path.iterdir()) == []
