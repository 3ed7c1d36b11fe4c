"""Provider credentials, personal or shared by a workspace, encrypted at rest.

The `token` column holds only a Fernet token from `store.crypto.Vault`: no secret is
ever written in clear, and listing who is connected needs no decryption.
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from store.crypto import Vault
from store.db import utc_timestamp

SHARED = ""
"""The user_id of a workspace's shared credentials (see the credentials migration)."""


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


def load_personal(db: Database, vault: Vault, team_id: str, user_id: str) -> dict[str, dict[str, str]]:
    """The person's own credentials, provider → values."""
    return _load(db, vault, team_id, user_id)


def load_shared(db: Database, vault: Vault, team_id: str) -> dict[str, dict[str, str]]:
    """The workspace's shared credentials, provider → values."""
    return _load(db, vault, team_id, SHARED)


def delete_credentials(db: Database, team_id: str, user_id: str | None, provider: str) -> bool:
    """Forget one provider's credentials; False when there were none."""
    cursor = db.execute(
        "DELETE FROM credentials WHERE team_id = ? AND user_id = ? AND provider = ?",
        [team_id, _owner(user_id), provider],
    )
    return cursor.rowcount > 0


def connected_providers(db: Database, team_id: str, user_id: str) -> list[str]:
    """Providers the person has connected with their own credentials."""
    return _providers(db, team_id, user_id)


def shared_providers(db: Database, team_id: str) -> list[str]:
    """Providers the workspace has connected for everyone."""
    return _providers(db, team_id, SHARED)


def rotate_all(db: Database, vault: Vault, *, now: datetime | None = None) -> int:
    """Re-encrypt every stored token under the vault's first key; returns how many.

    Each update only applies if the token is still the one read, so credentials saved
    meanwhile (already under the first key) are not overwritten with older ones.
    """
    rows = list(db.query("SELECT rowid, token FROM credentials"))
    updated_at = utc_timestamp(now)
    rotated = 0
    with db.atomic():
        for row in rows:
            cursor = db.execute(
                "UPDATE credentials SET token = ?, updated_at = ? WHERE rowid = ? AND token = ?",
                [vault.rotate(row["token"]), updated_at, row["rowid"], row["token"]],
            )
            rotated += cursor.rowcount
    return rotated


def _owner(user_id: str | None) -> str:
    return SHARED if user_id is None else user_id


def _load(db: Database, vault: Vault, team_id: str, owner: str) -> dict[str, dict[str, str]]:
    rows = db.query(
        "SELECT provider, token FROM credentials WHERE team_id = ? AND user_id = ? ORDER BY provider",
        [team_id, owner],
    )
    return {row["provider"]: vault.decrypt(row["token"]) for row in rows}


def _providers(db: Database, team_id: str, owner: str) -> list[str]:
    rows = db.query(
        "SELECT provider FROM credentials WHERE team_id = ? AND user_id = ? ORDER BY provider",
        [team_id, owner],
    )
    return [row["provider"] for row in rows]
