"""Deleting everything learnbot keeps about one person ("forget me")."""

from __future__ import annotations

from sqlite_utils import Database

PERSONAL_TABLES = (
    "credentials",
    "preferences",
    "saved_items",
    "enrollments",
    "searches",
    "seen_items",
    "digest_ledger",
    "users",
)
"""Every table with rows keyed by (team_id, user_id). A new table holding personal
data must be added here; a test fails until it is."""


def forget_user(db: Database, team_id: str, user_id: str) -> dict[str, int]:
    """Delete the person's rows from every table in one transaction; rows deleted per table.

    Only this person in this workspace: the same user id in another team is someone
    else, and the workspace's shared credentials are not theirs to delete.
    """
    if not user_id:
        raise ValueError("forget_user needs a user id: an empty one names the workspace's shared rows")
    with db.atomic():
        return {
            table: db.execute(
                f"DELETE FROM {table} WHERE team_id = ? AND user_id = ?", [team_id, user_id]
            ).rowcount
            for table in PERSONAL_TABLES
        }
