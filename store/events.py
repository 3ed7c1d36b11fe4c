"""Acting once on each Slack delivery.

Slack resends an event (same ``event_id``) when our 200 came late, and a signed
interaction payload can be replayed within Slack's five-minute window. Before acting,
the handler claims the delivery here: the first claim inserts its row (the primary key
refuses a second), every later one gets False and is acknowledged without acting.

Rows are kept a day, far beyond Slack's retries and replay window, then pruned by the
next claim (an indexed delete, in the same transaction as the insert).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from store.db import utc_timestamp
from store.transactions import write_transaction

KEPT_FOR = timedelta(days=1)


def claim_event(db: Database, team_id: str, event_id: str, *, now: datetime | None = None) -> bool:
    """Claim the Events API delivery `event_id` of `team_id`; True only for the first claim."""
    return _claim(db, "event", f"{team_id}/{event_id}", now)


def claim_action(
    db: Database,
    team_id: str,
    user_id: str,
    action_id: str,
    action_ts: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Claim one interaction (a button's `action_id` and `action_ts`, or a view
    submission's callback id and `trigger_id`); True only for the first claim.

    Only a hash of the parts is stored, so the table holds no one's user id.
    """
    parts = "\x1f".join((team_id, user_id, action_id, action_ts))
    return _claim(db, "action", hashlib.sha256(parts.encode("utf-8")).hexdigest(), now)


def _claim(db: Database, kind: str, key: str, now: datetime | None) -> bool:
    moment = now or datetime.now(UTC)
    with write_transaction(db):
        db.execute("DELETE FROM deliveries WHERE claimed_at < ?", [utc_timestamp(moment - KEPT_FOR)])
        cursor = db.execute(
            "INSERT INTO deliveries (kind, key, claimed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            [kind, key, utc_timestamp(moment)],
        )
    return cursor.rowcount == 1
