"""Which weekly digests were claimed and sent, so each person gets at most one a week.

The digest job claims a (person, ISO week) row before building the digest. The claim
is one ``INSERT … ON CONFLICT DO NOTHING``, so when two processes run the job on the
same database file only one of them sends.
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from store.db import utc_timestamp


def claim_digest(
    db: Database, team_id: str, user_id: str, week: str, claimer: str, *, now: datetime | None = None
) -> bool:
    """Claim this week's digest for the person; True only for the caller that got it.

    `week` is an ISO week like "2026-W48"; `claimer` names the process, for the logs.
    """
    cursor = db.execute(
        "INSERT INTO digest_ledger (team_id, user_id, week, status, claimed_by, claimed_at) "
        "VALUES (?, ?, ?, 'claimed', ?, ?) ON CONFLICT DO NOTHING",
        [team_id, user_id, week, claimer, utc_timestamp(now)],
    )
    return cursor.rowcount == 1


def mark_sent(
    db: Database,
    team_id: str,
    user_id: str,
    week: str,
    channel: str,
    message_ts: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Record that the claimed digest was posted; False when it was never claimed."""
    cursor = db.execute(
        "UPDATE digest_ledger SET status = 'sent', sent_at = ?, channel = ?, message_ts = ? "
        "WHERE team_id = ? AND user_id = ? AND week = ?",
        [utc_timestamp(now), channel, message_ts, team_id, user_id, week],
    )
    return cursor.rowcount > 0


def digest_status(db: Database, team_id: str, user_id: str, week: str) -> str | None:
    """'claimed', 'sent', or None when nobody claimed that week's digest."""
    rows = db.query(
        "SELECT status FROM digest_ledger WHERE team_id = ? AND user_id = ? AND week = ?",
        [team_id, user_id, week],
    )
    row = next(rows, None)
    return row["status"] if row else None


def unsent_claims(db: Database, week: str) -> list[tuple[str, str]]:
    """(team_id, user_id) of digests claimed for `week` but not recorded as sent,
    e.g. because the process stopped in between."""
    rows = db.query(
        "SELECT team_id, user_id FROM digest_ledger WHERE week = ? AND status = 'claimed' "
        "ORDER BY team_id, user_id",
        [week],
    )
    return [(row["team_id"], row["user_id"]) for row in rows]


def last_sent(db: Database, team_id: str, user_id: str) -> str | None:
    """When the person's most recent digest was sent, or None if never."""
    rows = db.query(
        "SELECT MAX(sent_at) AS sent_at FROM digest_ledger "
        "WHERE team_id = ? AND user_id = ? AND status = 'sent'",
        [team_id, user_id],
    )
    return next(rows)["sent_at"]
