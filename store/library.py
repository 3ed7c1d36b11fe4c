"""A person's saved items and enrollments.

Item payloads are the plain dicts of `LearningObject.to_dict()`, stored as JSON; `ref`
is the item's ``provider:id``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlite_utils import Database

from store.db import utc_timestamp

ENROLLMENT_STATUSES = ("pending", "unconfirmed", "enrolled", "failed")
FINAL_STATUSES = ("enrolled", "failed")
LEASE_SECONDS = 120.0
"""How long a 'pending' claim holds: well above the provider call's timeout, so only a
claim whose process stopped mid-call expires."""


@dataclass(frozen=True)
class SavedItem:
    ref: str
    item: dict[str, Any]
    saved_at: str


@dataclass(frozen=True)
class Enrollment:
    """One enrollment of a person in an item.

    'pending' while a call to the provider is under way (until `lease_until`), then
    'enrolled' or 'failed'; 'unconfirmed' when the request was sent but no answer came.
    `idempotency_key` is the key to send to the provider for this enrollment, on every
    attempt.
    """

    ref: str
    provider: str
    item: dict[str, Any]
    status: str
    external_id: str | None
    progress_completed: int | None
    progress_total: int | None
    idempotency_key: str
    created_at: str
    updated_at: str
    lease_until: str | None = None


# --- saved items ---------------------------------------------------------------------------------


def save_item(
    db: Database, team_id: str, user_id: str, ref: str, item: dict[str, Any], *, now: datetime | None = None
) -> bool:
    """Save `item` for later; False when it was already saved (the first save is kept)."""
    cursor = db.execute(
        "INSERT INTO saved_items (team_id, user_id, ref, item, saved_at) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        [team_id, user_id, ref, json.dumps(item), utc_timestamp(now)],
    )
    return cursor.rowcount == 1


def list_saved(db: Database, team_id: str, user_id: str) -> list[SavedItem]:
    """The person's saved items, newest first."""
    rows = db.query(
        "SELECT ref, item, saved_at FROM saved_items WHERE team_id = ? AND user_id = ? "
        "ORDER BY saved_at DESC, rowid DESC",
        [team_id, user_id],
    )
    return [SavedItem(row["ref"], json.loads(row["item"]), row["saved_at"]) for row in rows]


def remove_saved(db: Database, team_id: str, user_id: str, ref: str) -> bool:
    """Unsave an item; False when it was not saved."""
    cursor = db.execute(
        "DELETE FROM saved_items WHERE team_id = ? AND user_id = ? AND ref = ?",
        [team_id, user_id, ref],
    )
    return cursor.rowcount > 0


# --- enrollments -----------------------------------------------------------------------------------


def claim_enrollment(
    db: Database,
    team_id: str,
    user_id: str,
    ref: str,
    provider: str,
    item: dict[str, Any],
    idempotency_key: str,
    *,
    now: datetime | None = None,
    lease_seconds: float = LEASE_SECONDS,
) -> tuple[Enrollment, bool]:
    """Claim the right to enroll the person in `ref`: (the row, whether this call claimed it).

    One statement inserts a 'pending' row holding a lease of `lease_seconds`, or turns a
    'failed' or 'unconfirmed' row, or a 'pending' one whose lease ran out (its process
    stopped mid-call), back into 'pending'; a pending row still leased, or an enrolled
    one, is left alone. SQLite runs it under the write lock, so of two simultaneous
    calls (a double-clicked button, two processes) exactly one claims.
    A re-claimed row keeps its first idempotency key: the earlier attempt may have
    reached the provider, and the same key lets the provider recognise the retry.
    """
    moment = now or datetime.now(UTC)
    timestamp, lease_until = utc_timestamp(moment), utc_timestamp(moment + timedelta(seconds=lease_seconds))
    cursor = db.execute(
        "INSERT INTO enrollments (team_id, user_id, ref, provider, item, status, "
        "idempotency_key, created_at, updated_at, lease_until) "
        "VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?) "
        "ON CONFLICT (team_id, user_id, ref) DO UPDATE SET "
        "status = 'pending', provider = excluded.provider, item = excluded.item, "
        "external_id = NULL, updated_at = excluded.updated_at, lease_until = excluded.lease_until "
        "WHERE enrollments.status IN ('failed', 'unconfirmed') OR (enrollments.status = 'pending' "
        "AND (enrollments.lease_until IS NULL OR enrollments.lease_until <= excluded.updated_at))",
        [team_id, user_id, ref, provider, json.dumps(item), idempotency_key, timestamp, timestamp,
         lease_until],
    )
    return get_enrollment(db, team_id, user_id, ref), cursor.rowcount == 1


def mark_unconfirmed(
    db: Database, team_id: str, user_id: str, ref: str, *, now: datetime | None = None
) -> bool:
    """Record that the enrollment request was sent but no answer came (a timeout, or a
    stop while waiting); returns whether a pending enrollment was marked.

    The next attempt claims it again at once and sends the same idempotency key, so
    the provider enrolls the person once whether or not the first request arrived.
    """
    cursor = db.execute(
        "UPDATE enrollments SET status = 'unconfirmed', lease_until = NULL, updated_at = ? "
        "WHERE team_id = ? AND user_id = ? AND ref = ? AND status = 'pending'",
        [utc_timestamp(now), team_id, user_id, ref],
    )
    return cursor.rowcount > 0


def complete_enrollment(
    db: Database,
    team_id: str,
    user_id: str,
    ref: str,
    status: str,
    external_id: str | None = None,
    *,
    now: datetime | None = None,
) -> bool:
    """Record how the enrollment ended ('enrolled' or 'failed'); False when there is none.

    A None `external_id` keeps the one already stored.
    """
    if status not in FINAL_STATUSES:
        raise ValueError(f"an enrollment ends as {' or '.join(FINAL_STATUSES)}, not {status!r}")
    cursor = db.execute(
        "UPDATE enrollments SET status = ?, external_id = COALESCE(?, external_id), updated_at = ? "
        "WHERE team_id = ? AND user_id = ? AND ref = ?",
        [status, external_id, utc_timestamp(now), team_id, user_id, ref],
    )
    return cursor.rowcount > 0


def release_enrollment(
    db: Database, team_id: str, user_id: str, ref: str, *, now: datetime | None = None
) -> bool:
    """Mark a pending enrollment as failed, so the next attempt can claim it again.

    An enrollment that already succeeded is left as it is; returns whether one was released.
    """
    cursor = db.execute(
        "UPDATE enrollments SET status = 'failed', updated_at = ? "
        "WHERE team_id = ? AND user_id = ? AND ref = ? AND status = 'pending'",
        [utc_timestamp(now), team_id, user_id, ref],
    )
    return cursor.rowcount > 0


def update_progress(
    db: Database,
    team_id: str,
    user_id: str,
    ref: str,
    completed: int,
    total: int,
    *,
    now: datetime | None = None,
) -> bool:
    """Record the provider's latest progress report; False when there is no such enrollment."""
    cursor = db.execute(
        "UPDATE enrollments SET progress_completed = ?, progress_total = ?, updated_at = ? "
        "WHERE team_id = ? AND user_id = ? AND ref = ?",
        [completed, total, utc_timestamp(now), team_id, user_id, ref],
    )
    return cursor.rowcount > 0


def get_enrollment(db: Database, team_id: str, user_id: str, ref: str) -> Enrollment | None:
    rows = db.query(
        "SELECT * FROM enrollments WHERE team_id = ? AND user_id = ? AND ref = ?",
        [team_id, user_id, ref],
    )
    row = next(rows, None)
    return _enrollment(row) if row else None


def list_enrollments(db: Database, team_id: str, user_id: str) -> list[Enrollment]:
    """The person's enrollments, newest first, whatever their status."""
    rows = db.query(
        "SELECT * FROM enrollments WHERE team_id = ? AND user_id = ? "
        "ORDER BY created_at DESC, rowid DESC",
        [team_id, user_id],
    )
    return [_enrollment(row) for row in rows]


def _enrollment(row: dict[str, Any]) -> Enrollment:
    return Enrollment(
        ref=row["ref"],
        provider=row["provider"],
        item=json.loads(row["item"]),
        status=row["status"],
        external_id=row["external_id"],
        progress_completed=row["progress_completed"],
        progress_total=row["progress_total"],
        idempotency_key=row["idempotency_key"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        lease_until=row["lease_until"],
    )
