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


def release_claim(db: Database, team_id: str, user_id: str, week: str, claimer: str) -> bool:
    """Give up `claimer`'s claim on a digest that was not sent, so a later sweep claims it again.

    A row another process claimed, or one already marked sent, is left alone.
    """
    cursor = db.execute(
        "DELETE FROM digest_ledger WHERE team_id = ? AND user_id = ? AND week = ? "
        "AND status = 'claimed' AND claimed_by = ?",
        [team_id, user_id, week, claimer],
    )
    return cursor.rowcount > 0


def take_over_claim(
    db: Database,
    team_id: str,
    user_id: str,
    week: str,
    previous_claimer: str,
    claimer: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Move an abandoned claim to `claimer`; True only for the caller that moved it.

    The update matches the previous claimer, so of two processes taking over the same
    abandoned claim at once, exactly one succeeds.
    """
    cursor = db.execute(
        "UPDATE digest_ledger SET claimed_by = ?, claimed_at = ? "
        "WHERE team_id = ? AND user_id = ? AND week = ? AND status = 'claimed' AND claimed_by = ?",
        [claimer, utc_timestamp(now), team_id, user_id, week, previous_claimer],
    )
    return cursor.rowcount == 1


def rows_for_weeks(db: Database, weeks: list[str]) -> dict[tuple[str, str, str], dict]:
    """Every ledger row of the given ISO weeks, keyed by (team_id, user_id, week)."""
    if not weeks:
        return {}
    placeholders = ", ".join("?" for _ in weeks)
    rows = db.query(f"SELECT * FROM digest_ledger WHERE week IN ({placeholders})", list(weeks))
    return {(row["team_id"], row["user_id"], row["week"]): row for row in rows}


def digest_audience(db: Database) -> list[dict]:
    """Everyone a digest may go to: people who searched or saved preferences themselves.

    Each row has the person's `users` columns, their digest settings (`digest_day`,
    `digest_time`, `digest_enabled`, `snoozed_week`) and `interests`, the JSON of their topics
    and filters (equal for people who want the same searches); the preference columns are
    None when the person never saved preferences (the defaults of
    `store.preferences.Preferences` apply). People who only ever asked for help stay quiet:
    they are not in this list.
    """
    rows = db.query(
        "SELECT u.team_id, u.user_id, u.tz, u.email, u.name, u.tz_checked_at, u.created_at, "
        "p.digest_day, p.digest_time, p.digest_enabled, p.snoozed_week, "
        "json_array(p.topics, p.languages, p.types, p.providers, p.max_minutes) AS interests "
        "FROM users u LEFT JOIN preferences p ON p.team_id = u.team_id AND p.user_id = u.user_id "
        "WHERE p.explicit = 1 OR EXISTS "
        "(SELECT 1 FROM searches s WHERE s.team_id = u.team_id AND s.user_id = u.user_id) "
        "ORDER BY u.team_id, u.user_id"
    )
    return list(rows)
