"""Encryption of stored credentials, and where the key comes from.

`Vault` wraps `cryptography`'s MultiFernet: the first key encrypts, every key decrypts.
Rotating means putting a new key first in ``LEARNBOT_SECRET_KEY`` (keeping the old one
after it), running `store.credentials.rotate_all`, then dropping the old key.

Every problem with the setting or the key file is a `KeyProblem`, whose message is one
line for the operator: learnbot stops with it at start.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

KEY_SETTING = "LEARNBOT_SECRET_KEY"
KEY_FILE_NAME = "learnbot.key"


class VaultError(Exception):
    """A stored credential set cannot be decrypted with any of the configured keys."""


class KeyProblem(ValueError):
    """The key setting or key file is unusable, or does not match the stored credentials."""


UNREADABLE = "stored credentials cannot be read with the current key"


class Vault:
    """Encrypts a credential set (field name → value) into one Fernet token and back."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise ValueError("a Vault needs at least one key")
        self._fernet = MultiFernet([Fernet(key) for key in keys])
        self._key_count = len(keys)

    def __repr__(self) -> str:
        return f"<Vault with {self._key_count} key(s)>"

    def encrypt(self, values: dict[str, str]) -> str:
        plaintext = json.dumps(values).encode("utf-8")
        return self._fernet.encrypt(plaintext).decode("ascii")

    def decrypt(self, token: str) -> dict[str, str]:
        try:
            plaintext = self._fernet.decrypt(token.encode("utf-8"))
        except InvalidToken:
            raise VaultError(UNREADABLE) from None
        return json.loads(plaintext)

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the first key (readable by any of the keys)."""
        try:
            return self._fernet.rotate(token.encode("utf-8")).decode("ascii")
        except InvalidToken:
            raise VaultError(UNREADABLE) from None


def resolve_keys(
    env_value: str | None, db_path: Path | None, *, create: bool = True
) -> tuple[list[str], Path | None]:
    """Find the Fernet keys to use, and the key file they came from, if any.

    `env_value` is the ``LEARNBOT_SECRET_KEY`` setting: one or more comma-separated
    keys, newest first. Without it, the key lives in ``learnbot.key`` next to the
    database (created on first run when `create`, readable by the owner only) and its
    path is returned so the caller can tell the operator to back it up. Pass
    `create=False` when credentials are already stored: a new key could not read them,
    so a missing key file is then a `KeyProblem`. An in-memory database (`db_path`
    None) gets a throwaway key: its credentials die with it anyway.
    An empty setting counts as unset, as a blank line in a .env file would give.
    """
    if env_value and env_value.strip():
        return _keys_from_setting(env_value), None
    if db_path is None:
        return [Fernet.generate_key().decode("ascii")], None
    key_path = key_file_path(db_path)
    if not create and not key_path.exists():
        raise KeyProblem(
            f"the key file {key_path} is missing but the database holds encrypted credentials: "
            f"restore it from a backup, or set {KEY_SETTING} to the key they were saved with"
        )
    return [_read_or_create_key_file(key_path)], key_path


def key_file_path(db_path: Path) -> Path:
    """Where the key file of the database at `db_path` lives (whether or not it is used)."""
    return Path(db_path).parent / KEY_FILE_NAME


def key_file_is_loose(path: Path) -> bool:
    """Whether anyone but the owner may read or write the key file (mode looser than 0600)."""
    return bool(stat.S_IMODE(os.stat(path).st_mode) & 0o077)


def wrong_key(key_file: Path | None) -> KeyProblem:
    """The one line for stored credentials that none of the configured keys decrypts."""
    where = f"the key file {key_file}" if key_file else "the key file"
    return KeyProblem(
        f"stored credentials cannot be decrypted with the configured key: set {KEY_SETTING} "
        f"to the key they were saved with, or restore {where} from a backup"
    )


def _keys_from_setting(env_value: str) -> list[str]:
    keys = [key.strip() for key in env_value.split(",") if key.strip()]
    for position, key in enumerate(keys, start=1):
        if not _is_fernet_key(key):
            raise KeyProblem(
                f"{KEY_SETTING} is not a valid Fernet key (key {position} of {len(keys)}): "
                "each comma-separated key must be 32 url-safe base64-encoded bytes, "
                "as made by cryptography.fernet.Fernet.generate_key()"
            )
    return keys


def _is_fernet_key(key: str) -> bool:
    try:
        Fernet(key)
    except ValueError:
        return False
    return True


def _read_or_create_key_file(path: Path) -> str:
    """Create `path` with a new key, or read it if it exists (also if another process
    created it a moment ago: O_EXCL lets exactly one creator win)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_key_file(path)
    key = Fernet.generate_key()
    with os.fdopen(descriptor, "wb") as key_file:
        key_file.write(key + b"\n")
    return key.decode("ascii")


def _read_key_file(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii", errors="replace").strip()
    except OSError as error:
        raise KeyProblem(f"cannot read the key file {path} ({error.strerror}): "
                         f"fix its owner and mode, or set {KEY_SETTING}") from None
    if not _is_fernet_key(key):
        raise KeyProblem(
            f"{path} does not hold a valid Fernet key: restore it from a backup, "
            f"or set {KEY_SETTING}"
        )
    return key
