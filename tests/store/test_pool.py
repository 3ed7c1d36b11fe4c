import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
from cryptography.fernet import Fernet

from store.catalog import search_catalog
from store.credentials import load_personal, load_shared
from store.crypto import Vault
from store.db import StoreGone, health
from store.history import last_search
from store.library import list_enrollments, list_saved
from store.pool import ThreadLocalDatabase
from store.preferences import get_preferences
from store.users import get_user, upsert_user


@pytest.fixture
def pool(tmp_path):
    database = ThreadLocalDatabase(tmp_path / "data" / "learnbot.db")
    yield database
    database.close()


def in_new_thread(function):
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(function).result()


def test_each_thread_gets_its_own_connection_to_the_same_file(pool):
    upsert_user(pool, "T1", "U1", name="Ada")
    assert in_new_thread(lambda: get_user(pool, "T1", "U1").name) == "Ada"
    assert in_new_thread(lambda: pool.current()) is not pool.current()


def test_a_removed_folder_stops_every_thread_and_nothing_is_recreated(pool, tmp_path):
    upsert_user(pool, "T1", "U1", name="Ada")
    folder = tmp_path / "data"
    shutil.rmtree(folder)

    with pytest.raises(StoreGone) as raised:
        upsert_user(pool, "T1", "U1", name="Grace")
    with pytest.raises(StoreGone):
        in_new_thread(lambda: upsert_user(pool, "T1", "U2", name="Grace"))

    assert str(folder / "learnbot.db") in str(raised.value)
    assert not folder.exists()


def test_a_removed_file_is_not_recreated_by_a_new_thread(pool, tmp_path):
    path = tmp_path / "data" / "learnbot.db"
    for file in path.parent.iterdir():
        file.unlink()
    with pytest.raises(StoreGone):
        in_new_thread(lambda: get_user(pool, "T1", "U1"))
    assert list(path.parent.iterdir()) == []


def test_a_file_replaced_by_another_is_store_gone(pool, tmp_path):
    path = tmp_path / "data" / "learnbot.db"
    replacement = tmp_path / "other.db"
    ThreadLocalDatabase(replacement).close()
    shutil.move(replacement, path)
    with pytest.raises(StoreGone):
        get_user(pool, "T1", "U1")


def test_a_relative_path_keeps_naming_the_file_opened_first(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    database = ThreadLocalDatabase("learnbot.db")
    try:
        (tmp_path / "elsewhere").mkdir()
        monkeypatch.chdir(tmp_path / "elsewhere")
        upsert_user(database, "T1", "U1", name="Ada")
        assert list((tmp_path / "elsewhere").iterdir()) == []
        assert get_user(database, "T1", "U1").name == "Ada"
    finally:
        database.close()


def read_only_commands(db) -> None:
    """What `saved`, `enrollments`, `providers`, `preferences` and `more` read, on the
    connection of a thread that had none yet."""
    upsert_user(db, "T1", "U1", name="Ada")  # unchanged, as on every command
    list_saved(db, "T1", "U1")
    list_enrollments(db, "T1", "U1")
    vault = Vault([Fernet.generate_key().decode()])
    load_personal(db, vault, "T1", "U1")
    load_shared(db, vault, "T1")
    get_preferences(db, "T1", "U1")
    last_search(db, "T1", "U1")
    search_catalog(db, "python")


def test_read_only_commands_do_not_wait_for_another_process_write_lock(pool, lock_held):
    upsert_user(pool, "T1", "U1", name="Ada")
    with lock_held(pool.path, 3) as holder:
        in_new_thread(lambda: read_only_commands(pool))
        still_locked = holder.poll() is None
    assert still_locked


def test_health_of_a_pool_whose_folder_was_removed_is_store_gone(pool, tmp_path):
    assert health(pool) is None
    shutil.rmtree(tmp_path / "data")
    with pytest.raises(StoreGone):
        health(pool)
