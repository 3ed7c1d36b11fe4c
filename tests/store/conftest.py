from datetime import datetime, timezone

import pytest
from cryptography.fernet import Fernet

from store.crypto import Vault
from store.db import open_db



@pytest.fixture
def now():
    """A fixed "now" for functions that stamp rows; it renders as 2026-11-23T09:30:00+00:00."""
    return datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)


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
