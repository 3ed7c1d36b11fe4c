"""People learnbot has met: what Slack told us about them and a few flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from store.db import utc_timestamp

UPDATABLE_FIELDS = ("tz", "locale", "email", "name", "tz_checked_at", "digest_notice_sent")


@dataclass(frozen=True)
class User:
    team_id: str
    user_id: str
    tz: str | None
    locale: str | None
    email: str | None
    name: str | None
    tz_checked_at: str | None
    created_at: str
    digest_notice_sent: bool


def upsert_user(
    db: Database, team_id: str, user_id: str, *, now: datetime | None = None, **fields: Any
) -> User:
    """Create the person if new, then change only the `fields` given.

    `created_at` is set on the first call and never changed afterwards. Nothing is
    written when the person exists with these values already: this runs on every
    command, and a read-only command must not wait for (or take) the write lock.
    """
    unknown = sorted(set(fields) - set(UPDATABLE_FIELDS))
    if unknown:
        raise TypeError(f"upsert_user() got unknown fields: {', '.join(unknown)}")
    if "digest_notice_sent" in fields:
        fields["digest_notice_sent"] = int(bool(fields["digest_notice_sent"]))
    known = get_user(db, team_id, user_id)
    if known is not None and all(getattr(known, name) == value for name, value in fields.items()):
        return known
    row = {"team_id": team_id, "user_id": user_id, "created_at": utc_timestamp(now), **fields}
    columns = ", ".join(row)
    placeholders = ", ".join(f":{column}" for column in row)
    on_conflict = (
        "DO UPDATE SET " + ", ".join(f"{name} = excluded.{name}" for name in fields)
        if fields
        else "DO NOTHING"
    )
    db.execute(
        f"INSERT INTO users ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT (team_id, user_id) {on_conflict}",
        row,
    )
    return get_user(db, team_id, user_id)


def get_user(db: Database, team_id: str, user_id: str) -> User | None:
    rows = db.query(
        "SELECT * FROM users WHERE team_id = ? AND user_id = ?", [team_id, user_id]
    )
    row = next(rows, None)
    return _user(row) if row else None


def list_users(db: Database, team_id: str | None = None) -> list[User]:
    """Everyone learnbot knows, in one workspace or in all of them."""
    if team_id is None:
        rows = db.query("SELECT * FROM users ORDER BY team_id, user_id")
    else:
        rows = db.query("SELECT * FROM users WHERE team_id = ? ORDER BY user_id", [team_id])
    return [_user(row) for row in rows]


def _user(row: dict[str, Any]) -> User:
    return User(**{**row, "digest_notice_sent": bool(row["digest_notice_sent"])})
