"""Workspaces that removed learnbot (`app_uninstalled`) or revoked its tokens (`tokens_revoked`).

learnbot stops sending to such a workspace (the digest sweep skips it) and forgets the
credentials it shared with everyone there. The mark holds until the workspace talks to
learnbot again (a reinstall sends events and requests), which clears it.
"""

from __future__ import annotations

from datetime import datetime

from sqlite_utils import Database

from store.credentials import SHARED
from store.db import utc_timestamp
from store.transactions import write_transaction


def mark_gone(db: Database, team_id: str, reason: str, *, now: datetime | None = None) -> int | None:
    """Record that learnbot can no longer act in `team_id` and delete the workspace's shared
    credentials, in one transaction; returns how many were deleted, or None when the
    workspace was already marked (a resent event)."""
    with write_transaction(db):
        marked = db.execute(
            "INSERT INTO workspaces (team_id, gone_at, reason) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [team_id, utc_timestamp(now), reason],
        ).rowcount
        if not marked:
            return None
        return db.execute(
            "DELETE FROM credentials WHERE team_id = ? AND user_id = ?", [team_id, SHARED]
        ).rowcount


def clear_gone(db: Database, team_id: str) -> bool:
    """The workspace talks to learnbot again; True when it had been marked gone."""
    if not is_gone(db, team_id):  # a read first: most requests come from workspaces never gone
        return False
    return db.execute("DELETE FROM workspaces WHERE team_id = ?", [team_id]).rowcount > 0


def is_gone(db: Database, team_id: str) -> bool:
    return next(db.query("SELECT 1 FROM workspaces WHERE team_id = ?", [team_id]), None) is not None


def gone_teams(db: Database) -> set[str]:
    """Every workspace learnbot must not send to."""
    return {row["team_id"] for row in db.query("SELECT team_id FROM workspaces")}
