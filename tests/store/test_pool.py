import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from store.db import StoreGone
from store.pool import ThreadLocalDatabase
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
