import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from cryptography.fernet import Fernet

from store.crypto import Vault
from store.db import open_db


@pytest.fixture
def now():
    """A fixed "now" for functions that stamp rows; it renders as 2026-11-23T09:30:00+00:00."""
    return datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.fixture
def db():
    database = open_db(memory=True)
    yield database
    database.close()


@pytest.fixture
def db_path(tmp_path):
    """A migrated database file, closed again so each test opens its own connections."""
    path = tmp_path / "learnbot.db"
    open_db(path).close()
    return path


@pytest.fixture
def key():
    return Fernet.generate_key().decode()


@pytest.fixture
def vault(key):
    return Vault([key])


LOCK_HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


@contextmanager
def write_lock_held(path, seconds: float):
    """Another process holds the database's write lock for `seconds` once this yields."""
    holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(path), str(seconds)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield holder
    finally:
        holder.wait(timeout=seconds + 30)


@pytest.fixture
def lock_held():
    return write_lock_held
