"""The local catalog: learning resources kept in SQLite and searched with FTS5.

Rows have two origins: the starter catalog bundled with learnbot (``bundled``) and files
an administrator imports (``import``). Both live in `catalog_items`; the full-text index
`catalog_items_fts` (title, description, topics, source) is kept in step by triggers and
folds accents, so "electronique" finds "Électronique".

Rows are plain dicts: id, title, url, source (the publisher), type, language,
duration_minutes, level, description and topics (a list of strings).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any

from sqlite_utils import Database, Migrations

from store.transactions import write_transaction

catalog_migrations = Migrations("learnbot-catalog")

ITEMS = "catalog_items"
INDEX = "catalog_items_fts"
META = "catalog_meta"
BUNDLED_HASH_KEY = "bundled_catalog_sha256"
ORIGINS = ("bundled", "import")

SEARCHED_COLUMNS = ("title", "description", "topics", "source")
# bm25 weight of each searched column, in SEARCHED_COLUMNS order: a word found in the
# title counts five times as much as the same word found in the description.
BM25_WEIGHTS = (10.0, 2.0, 4.0, 1.0)
MAX_TERMS = 16
# Runs of letters and digits in any script. Everything else (quotes, `*`, `:`, parentheses,
# `-`, `^`…) is FTS5 syntax or punctuation and is dropped, so user text cannot inject syntax.
WORD = re.compile(r"[^\W_]+")


@catalog_migrations()
def create_catalog_tables(db: Database) -> None:
    items = db[ITEMS]
    items.create(
        {
            "id": str,
            "title": str,
            "url": str,
            "source": str,
            "type": str,
            "language": str,
            "duration_minutes": int,
            "level": str,
            "description": str,
            "topics": str,
            "origin": str,
            "imported_at": str,
        },
        pk="id",
        not_null={"title", "url", "origin"},
    )
    items.create_index(["type"])
    items.create_index(["language"])
    items.enable_fts(SEARCHED_COLUMNS, create_triggers=True,
                     tokenize="unicode61 remove_diacritics 2")
    db[META].create({"key": str, "value": str}, pk="key")


def upsert_items(db: Database, rows: Iterable[Mapping[str, Any]], origin: str,
                 *, now: datetime | None = None) -> int:
    """Insert or replace `rows` (matched on id) in one transaction; returns how many."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    records = [_record(row, origin, stamp) for row in rows]
    with db.atomic():
        db[ITEMS].upsert_all(records, pk="id")
    return len(records)


def load_bundled(db: Database, rows: Sequence[Mapping[str, Any]]) -> int:
    """Load the bundled starter catalog, only when it differs from the one loaded last.

    Returns how many rows were written (0 when nothing changed). Rows the organisation
    imported under the same id are left alone, and bundled rows that disappeared from
    the new bundle are removed.
    """
    digest = content_hash(rows)
    if _meta(db, BUNDLED_HASH_KEY) == digest:
        return 0
    # The write lock is taken first, so of two processes starting on a new database one
    # loads the bundle and the other then finds it loaded.
    with write_transaction(db):
        if _meta(db, BUNDLED_HASH_KEY) == digest:
            return 0
        imported = {row["id"] for row in db.query(
            f"select id from {ITEMS} where origin = 'import'")}
        fresh = [row for row in rows if row["id"] not in imported]
        upsert_items(db, fresh, "bundled")
        _delete_bundled_except(db, {row["id"] for row in rows})
        db[META].upsert({"key": BUNDLED_HASH_KEY, "value": digest}, pk="key")
    return len(fresh)


def search_catalog(
    db: Database,
    keywords: str,
    *,
    types: Sequence[str] = (),
    languages: Sequence[str] = (),
    level: str | None = None,
    max_minutes: int | None = None,
    min_minutes: int | None = None,
    limit: int = 20,
    random_order: bool = False,
) -> list[dict[str, Any]]:
    """Rows matching `keywords` and the filters, best first (bm25) or in random order.

    Every word must match (as a prefix); if that finds nothing, any word may match. Empty
    keywords list the rows passing the filters, imported ones first. Like
    `SearchQuery.matches`, rows without a level or duration are kept by those filters.
    """
    where, params = _filters(types, languages, level, max_minutes, min_minutes)
    terms = fts_terms(keywords)
    if not terms:
        order = "random()" if random_order else "origin = 'import' desc, title collate nocase"
        sql = f"select * from {ITEMS} where {where} order by {order} limit :limit"
        return _rows(db, sql, {**params, "limit": limit})
    rows = _match(db, " ".join(terms), where, params, limit, random_order)
    if not rows and len(terms) > 1:
        rows = _match(db, " OR ".join(terms), where, params, limit, random_order)
    return rows


def fts_terms(keywords: str) -> list[str]:
    """Each word of `keywords` as a quoted FTS5 prefix term: `C++ "NEAR(` → `"C"*`, `"NEAR"*`."""
    return [f'"{word}"*' for word in WORD.findall(keywords or "")[:MAX_TERMS]]


def get_item(db: Database, item_id: str) -> dict[str, Any] | None:
    rows = _rows(db, f"select * from {ITEMS} where id = :id", {"id": item_id})
    return rows[0] if rows else None


def count_items(db: Database, origin: str | None = None) -> int:
    if origin is None:
        return db[ITEMS].count
    return db.execute(f"select count(*) from {ITEMS} where origin = ?", [origin]).fetchone()[0]


def content_hash(rows: Sequence[Mapping[str, Any]]) -> str:
    canonical = json.dumps(list(rows), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _match(db: Database, expression: str, where: str, params: dict[str, Any], limit: int,
           random_order: bool) -> list[dict[str, Any]]:
    weights = ", ".join(str(weight) for weight in BM25_WEIGHTS)
    order = "random()" if random_order else "rank"
    sql = (
        f"select {ITEMS}.*, bm25({INDEX}, {weights}) as rank "
        f"from {INDEX} join {ITEMS} on {ITEMS}.rowid = {INDEX}.rowid "
        f"where {INDEX} match :expression and {where} "
        f"order by {order} limit :limit"
    )
    return _rows(db, sql, {**params, "expression": expression, "limit": limit})


def _filters(types: Sequence[str], languages: Sequence[str], level: str | None,
             max_minutes: int | None, min_minutes: int | None) -> tuple[str, dict[str, Any]]:
    clauses = ["1 = 1"]
    params: dict[str, Any] = {}
    for column, values in (("type", types), ("language", languages)):
        if values:
            names = [f"{column}{n}" for n in range(len(values))]
            clauses.append(f"{column} in ({', '.join(':' + name for name in names)})")
            params.update(zip(names, values))
    if level:
        clauses.append("(level is null or level = :level)")
        params["level"] = level
    if max_minutes is not None:
        clauses.append("(duration_minutes is null or duration_minutes <= :max_minutes)")
        params["max_minutes"] = max_minutes
    if min_minutes is not None:
        clauses.append("(duration_minutes is null or duration_minutes >= :min_minutes)")
        params["min_minutes"] = min_minutes
    return " and ".join(clauses), params


def _rows(db: Database, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [_decode(row) for row in db.query(sql, params)]


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("rank", None)
    row["topics"] = json.loads(row["topics"] or "[]")
    return row


def _record(row: Mapping[str, Any], origin: str, stamp: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "title": row["title"],
        "url": row["url"],
        "source": row.get("source") or "",
        "type": row.get("type"),
        "language": row.get("language"),
        "duration_minutes": row.get("duration_minutes"),
        "level": row.get("level"),
        "description": row.get("description") or "",
        "topics": json.dumps(list(row.get("topics") or []), ensure_ascii=False),
        "origin": origin,
        "imported_at": stamp,
    }


def _meta(db: Database, key: str) -> str | None:
    row = db.execute(f"select value from {META} where key = ?", [key]).fetchone()
    return row[0] if row else None


def _delete_bundled_except(db: Database, keep: set[str]) -> None:
    stale = [row["id"] for row in db.query(f"select id from {ITEMS} where origin = 'bundled'")
             if row["id"] not in keep]
    for item_id in stale:
        db.execute(f"delete from {ITEMS} where id = ?", [item_id])
