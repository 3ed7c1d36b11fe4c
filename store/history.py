"""A person's recent searches (for paging through results) and the items they have seen.

Seen items let the weekly digest show only what is new to the person.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from store.db import utc_timestamp

SEARCHES_KEPT = 50


@dataclass(frozen=True)
class SearchRecord:
    """One search: what was typed, the parsed query, the merged items and each
    provider's status, all as plain dicts; `outcome` holds what the answer said beyond
    its items (real total, correction, partial matches, suggestions)."""

    id: int
    text: str
    query: dict[str, Any]
    items: list[dict[str, Any]]
    statuses: list[dict[str, Any]]
    created_at: str
    page: int = 0
    outcome: dict[str, Any] = field(default_factory=dict)


def record_search(
    db: Database,
    team_id: str,
    user_id: str,
    text: str,
    query: dict[str, Any],
    items: list[dict[str, Any]],
    statuses: list[dict[str, Any]],
    *,
    outcome: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> SearchRecord:
    """Keep a search, mark its items as seen, and drop all but the last `SEARCHES_KEPT`."""
    created_at = utc_timestamp(now)
    with db.atomic():
        cursor = db.execute(
            "INSERT INTO searches (team_id, user_id, text, query, items, statuses, created_at, outcome) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [team_id, user_id, text, json.dumps(query), json.dumps(items), json.dumps(statuses), created_at,
             json.dumps(outcome or {})],
        )
        mark_seen(db, team_id, user_id, (item_ref(item) for item in items), via="search", now=now)
        _prune_searches(db, team_id, user_id)
    return SearchRecord(cursor.lastrowid, text, query, items, statuses, created_at, outcome=outcome or {})


def last_search(db: Database, team_id: str, user_id: str) -> SearchRecord | None:
    rows = db.query(
        "SELECT * FROM searches WHERE team_id = ? AND user_id = ? ORDER BY id DESC LIMIT 1",
        [team_id, user_id],
    )
    row = next(rows, None)
    return _record(row) if row else None


def get_search(db: Database, team_id: str, user_id: str, search_id: int) -> SearchRecord | None:
    """The search with `search_id`, or None if it is gone or someone else's."""
    rows = db.query(
        "SELECT * FROM searches WHERE id = ? AND team_id = ? AND user_id = ?",
        [search_id, team_id, user_id],
    )
    row = next(rows, None)
    return _record(row) if row else None


def set_page_shown(db: Database, team_id: str, user_id: str, search_id: int, page: int) -> None:
    db.execute(
        "UPDATE searches SET page = ? WHERE id = ? AND team_id = ? AND user_id = ?",
        [page, search_id, team_id, user_id],
    )


def mark_seen(
    db: Database,
    team_id: str,
    user_id: str,
    refs: Iterable[str],
    via: str,
    *,
    now: datetime | None = None,
) -> None:
    """Note that the person was shown `refs` (through `via`: "search", "digest"…).

    The first sighting is kept: seeing an item again changes nothing.
    """
    first_seen = utc_timestamp(now)
    with db.atomic():
        for ref in refs:
            db.execute(
                "INSERT INTO seen_items (team_id, user_id, ref, via, first_seen) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [team_id, user_id, ref, via, first_seen],
            )


def seen_refs(db: Database, team_id: str, user_id: str) -> set[str]:
    rows = db.query(
        "SELECT ref FROM seen_items WHERE team_id = ? AND user_id = ?", [team_id, user_id]
    )
    return {row["ref"] for row in rows}


def item_ref(item: dict[str, Any]) -> str:
    """The ``provider:id`` reference of an item dict (as `LearningObject.ref`)."""
    return f"{item['provider']}:{item['id']}"


def _prune_searches(db: Database, team_id: str, user_id: str) -> None:
    db.execute(
        "DELETE FROM searches WHERE team_id = :team_id AND user_id = :user_id AND id NOT IN "
        "(SELECT id FROM searches WHERE team_id = :team_id AND user_id = :user_id "
        "ORDER BY id DESC LIMIT :kept)",
        {"team_id": team_id, "user_id": user_id, "kept": SEARCHES_KEPT},
    )


def _record(row: dict[str, Any]) -> SearchRecord:
    return SearchRecord(
        id=row["id"],
        text=row["text"],
        query=json.loads(row["query"]),
        items=json.loads(row["items"]),
        statuses=json.loads(row["statuses"]),
        created_at=row["created_at"],
        page=row.get("page") or 0,
        outcome=json.loads(row.get("outcome") or "{}"),
    )


def extend_search(db: Database, team_id: str, user_id: str, search_id: int,
                  items: list[dict[str, Any]], outcome: dict[str, Any], *,
                  now: datetime | None = None) -> SearchRecord:
    """Add a later page's `items` after a search's items (numbers already shown stay put)."""
    with db.atomic():
        record = get_search(db, team_id, user_id, search_id)
        if record is None:
            raise LookupError(f"search {search_id} is gone")
        kept = [*record.items, *items]
        db.execute(
            "UPDATE searches SET items = ?, outcome = ? WHERE id = ? AND team_id = ? AND user_id = ?",
            [json.dumps(kept), json.dumps(outcome), search_id, team_id, user_id],
        )
        mark_seen(db, team_id, user_id, (item_ref(item) for item in items), via="search", now=now)
    return get_search(db, team_id, user_id, search_id)
