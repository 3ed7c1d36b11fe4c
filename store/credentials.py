"""Provider credentials, personal or shared by a workspace, encrypted at rest.

The `token` column holds only a Fernet token from `store.crypto.Vault`: no secret is
ever written in clear, and listing who is connected needs no decryption.

A set that does not decrypt (saved under a key since dropped, or damaged) disables
that one provider for its owner, who is asked to connect again; only when no stored
set decrypts at all is the key itself wrong, and learnbot refuses to start
(`checked_keys`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from store.crypto import Vault, VaultError, key_file_path, resolve_keys, wrong_key
from store.db import utc_timestamp

SHARED = ""
"""The user_id of a workspace's shared credentials (see the credentials migration)."""


class LoadedCredentials(dict):
    """provider → values for every stored set that decrypts.

    `unreadable` names the providers whose stored set does not decrypt: the caller
    treats them as not connected and asks the person to connect them again.
    """

    def __init__(self, readable: dict[str, dict[str, str]], unreadable: Iterable[str] = ()):
        super().__init__(readable)
        self.unreadable = tuple(unreadable)


def checked_keys(db: Database, env_value: str | None, db_path: Path | None) -> tuple[list[str], Path | None]:
    """`store.crypto.resolve_keys`, checked against the credentials already stored.

    No new key file is made when credentials exist (a new key could not read them),
    and when none of them decrypts with the keys found, the start stops: both as a
    one-line `store.crypto.KeyProblem` naming ``LEARNBOT_SECRET_KEY`` and the key file.
    """
    keys, key_path = resolve_keys(env_value, db_path, create=not has_credentials(db))
    check_keys(db, Vault(keys), key_file_path(db_path) if db_path else None)
    return keys, key_path


def has_credentials(db: Database) -> bool:
    return db.execute("SELECT EXISTS (SELECT 1 FROM credentials)").fetchone()[0] == 1


def check_keys(db: Database, vault: Vault, key_file: Path | None = None) -> None:
    """Raise `KeyProblem` when credentials are stored and not one of them decrypts.

    Stops at the first set that decrypts, so a right key costs one decryption.
    """
    tokens = [row[0] for row in db.execute("SELECT token FROM credentials")]
    if tokens and not any(_readable(vault, token) is not None for token in tokens):
        raise wrong_key(key_file)


def save_credentials(
    db: Database,
    vault: Vault,
    team_id: str,
    user_id: str | None,
    provider: str,
    values: dict[str, str],
    *,
    now: datetime | None = None,
) -> None:
    """Store `values` for `provider`, replacing any earlier set.

    `user_id` None stores the workspace's shared credentials.
    """
    db["credentials"].upsert(
        {
            "team_id": team_id,
            "user_id": _owner(user_id),
            "provider": provider,
            "token": vault.encrypt(values),
            "updated_at": utc_timestamp(now),
        },
        pk=("team_id", "user_id", "provider"),
    )


def load_personal(db: Database, vault: Vault, team_id: str, user_id: str) -> LoadedCredentials:
    """The person's own credentials, provider → values (see `LoadedCredentials`)."""
    return _load(db, vault, team_id, user_id)


def load_shared(db: Database, vault: Vault, team_id: str) -> LoadedCredentials:
    """The workspace's shared credentials, provider → values (see `LoadedCredentials`)."""
    return _load(db, vault, team_id, SHARED)


def delete_credentials(db: Database, team_id: str, user_id: str | None, provider: str) -> bool:
    """Forget one provider's credentials; False when there were none."""
    cursor = db.execute(
        "DELETE FROM credentials WHERE team_id = ? AND user_id = ? AND provider = ?",
        [team_id, _owner(user_id), provider],
    )
    return cursor.rowcount > 0


def rotate_all(
    db: Database, vault: Vault, *, key_file: Path | None = None, now: datetime | None = None
) -> int:
    """Re-encrypt every readable stored token under the vault's first key; returns how many.

    When tokens are stored and none decrypts, the key is wrong: nothing changes and a
    one-line `KeyProblem` naming `key_file` is raised. A token no configured key reads
    is left as it is (it already disables only its provider), so dropping the old key
    afterwards loses nothing more. Each update only applies if the token is still the
    one read, so credentials saved meanwhile (already under the first key) are not
    overwritten with older ones.
    """
    rows = list(db.query("SELECT rowid, token FROM credentials"))
    rotated_tokens = {row["rowid"]: _rotated(vault, row["token"]) for row in rows}
    if rows and not any(rotated_tokens.values()):
        raise wrong_key(key_file)
    updated_at = utc_timestamp(now)
    rotated = 0
    with db.atomic():
        for row in rows:
            if rotated_tokens[row["rowid"]] is None:
                continue
            cursor = db.execute(
                "UPDATE credentials SET token = ?, updated_at = ? WHERE rowid = ? AND token = ?",
                [rotated_tokens[row["rowid"]], updated_at, row["rowid"], row["token"]],
            )
            rotated += cursor.rowcount
    return rotated


def _owner(user_id: str | None) -> str:
    return SHARED if user_id is None else user_id


def _load(db: Database, vault: Vault, team_id: str, owner: str) -> LoadedCredentials:
    rows = db.query(
        "SELECT provider, token FROM credentials WHERE team_id = ? AND user_id = ? ORDER BY provider",
        [team_id, owner],
    )
    readable, unreadable = {}, []
    for row in rows:
        values = _readable(vault, row["token"])
        if values is None:
            unreadable.append(row["provider"])
        else:
            readable[row["provider"]] = values
    return LoadedCredentials(readable, unreadable)


def _rotated(vault: Vault, token: str) -> str | None:
    try:
        return vault.rotate(token)
    except VaultError:
        return None


def _readable(vault: Vault, token: str) -> dict[str, str] | None:
    try:
        return vault.decrypt(token)
    except VaultError:
        return None
