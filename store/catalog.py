"""The local catalog: learning resources kept in SQLite and searched with FTS5.

Rows have two origins: the starter catalog bundled with learnbot (``bundled``) and files
an administrator imports (``import``). Both live in `catalog_items`; the full-text index
`catalog_terms` (title, description, topics, source) holds each row's words stemmed in its
language, accents folded and symbol names spelled out (C++ → cplusplus), so "electronique"
finds "Électronique", "containers" finds "container" and "C++" does not find "C".

Rows are plain dicts: id, title, url, source (the publisher), type, language,
duration_minutes, level, description and topics (a list of strings).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import Stemmer
from sqlite_utils import Database, Migrations

from store.transactions import write_transaction

catalog_migrations = Migrations("learnbot-catalog")

ITEMS = "catalog_items"
INDEX = "catalog_terms"
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

# --- Text analysis: the same at index and at query time ------------------------------------
# Names written with symbols are words of their own; a lone "c" or "r" is the language.
SYMBOL_NAMES = (
    (re.compile(r"c\+\+"), " cplusplus "),
    (re.compile(r"c#|c♯"), " csharp "),
    (re.compile(r"f#|f♯"), " fsharp "),
    (re.compile(r"(?<![\w])\.net\b"), " dotnet "),
    (re.compile(r"(?<![\w.'’+#-])c(?![\w'’+#-])"), " clang "),
    (re.compile(r"(?<![\w.'’+#-])r(?![\w'’+#-])"), " rlang "),
)
# French elisions ("l'anglais", "d'une", "qu'est"): the article is not a word.
ELISION = re.compile(r"\b(?:qu|[cdjlmnst])['’]")
# Words that alone say nothing about a topic, in English and French (accents folded).
STOP_WORDS = frozenset("""
    a about an and any are as at be best by can course courses do for from get good have how i
    in into is it learn like me my need of on or please some something the this to
    teach understand want what with would you your
    au aux avec ce ces comment cours dans de des du en est et je la le les ma mes moi mon ne
    nous ou par pas pour qui que quoi sur ta te tes ton tu un une veux voudrais vous apprendre
    formation formations
""".split())
STEMMERS = {"en": Stemmer.Stemmer("english"), "fr": Stemmer.Stemmer("french")}


def query_words(text: str) -> list[str]:
    """The words of `text` that can match: symbols named, accents folded, stop words,
    numbers and one-letter tokens left out. `C++ pour l'IA` → ["cplusplus", "ia"]."""
    folded = _fold(text or "")
    for pattern, name in SYMBOL_NAMES:
        folded = pattern.sub(name, folded)
    folded = ELISION.sub(" ", folded)
    return [word for word in WORD.findall(folded)
            if len(word) > 1 and not word.isdigit() and word not in STOP_WORDS][:MAX_TERMS]


def stems(text: str, language: str | None) -> list[str]:
    """The indexed form of `text`: its query words stemmed in `language` (English by default)."""
    stemmer = STEMMERS.get(language or "", STEMMERS["en"])
    return stemmer.stemWords(query_words(text))


def _fold(text: str) -> str:
    if text.isascii():  # nothing to decompose: most titles, and the costliest step of ranking
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return "".join(c for c in decomposed if not unicodedata.combining(c))


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


@catalog_migrations()
def index_stemmed_terms(db: Database) -> None:
    """Replace the accent-folding index by one of stemmed terms (plurals, symbol names).

    Python does the analysis (SQLite has no stemmer for French), so the index is kept in
    step by `upsert_items` and `_delete_items` rather than by triggers.
    """
    db[ITEMS].disable_fts()
    db.execute(f"create virtual table {INDEX} using fts5({', '.join(SEARCHED_COLUMNS)})")
    _reindex(db, [row["id"] for row in db.query(f"select id from {ITEMS}")])


def upsert_items(db: Database, rows: Iterable[Mapping[str, Any]], origin: str,
                 *, now: datetime | None = None) -> int:
    """Insert or replace `rows` (matched on id) in one transaction; returns how many."""
    if origin not in ORIGINS:
        raise ValueError(f"origin must be one of {', '.join(ORIGINS)}, not {origin!r}")
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    records = [_record(row, origin, stamp) for row in rows]
    with db.atomic():
        db[ITEMS].upsert_all(records, pk="id")
        _reindex(db, [record["id"] for record in records])
    return len(records)


def _reindex(db: Database, ids: Sequence[str]) -> None:
    """Write the stemmed terms of the rows `ids` into the index, replacing their old ones."""
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        marks = ", ".join("?" * len(chunk))
        rows = list(db.query(f"select rowid, * from {ITEMS} where id in ({marks})", chunk))
        db.execute(f"delete from {INDEX} where rowid in "
                   f"(select rowid from {ITEMS} where id in ({marks}))", chunk)
        db.conn.executemany(
            f"insert into {INDEX} (rowid, {', '.join(SEARCHED_COLUMNS)}) values (?, ?, ?, ?, ?)",
            [(row["rowid"], *(_indexed(row, column) for column in SEARCHED_COLUMNS)) for row in rows])


def _indexed(row: Mapping[str, Any], column: str) -> str:
    text = row[column] or ""
    if column == "topics":
        text = " ".join(json.loads(text or "[]"))
    return " ".join(stems(text, row["language"]))


def bundled_digest(db: Database) -> str | None:
    """The digest of the bundled catalog loaded last (None before the first load)."""
    return _meta(db, BUNDLED_HASH_KEY)


def load_bundled(db: Database, rows: Sequence[Mapping[str, Any]], digest: str | None = None) -> int:
    """Load the bundled starter catalog, only when it differs from the one loaded last.

    `digest` identifies the bundle (by default a hash of `rows`). Returns how many rows
    were written (0 when nothing changed). Rows the organisation imported under the same
    id are left alone, and bundled rows that disappeared from the new bundle are removed.
    """
    digest = digest or content_hash(rows)
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


@dataclass(frozen=True, slots=True)
class CatalogMatches:
    """Rows found for a search: at most `limit` of them, the real `total`, whether they are
    `partial` (no row had every word, so these have the most of them) and, then, the words
    `missing` from every row found (each group named by its first term)."""

    rows: list[dict[str, Any]]
    total: int
    partial: bool = False
    missing: tuple[str, ...] = ()


def search_catalog(
    db: Database,
    keywords: str | Sequence[Sequence[str]],
    *,
    types: Sequence[str] = (),
    languages: Sequence[str] = (),
    level: str | None = None,
    max_minutes: int | None = None,
    min_minutes: int | None = None,
    limit: int = 20,
    random_order: bool = False,
) -> CatalogMatches:
    """Rows matching `keywords` and the filters, best first (bm25) or in random order.

    `keywords` is text, or groups of alternatives (`[["ml", "machine learning"], ["python"]]`,
    each group one word and its synonyms). Every group must match; when no row matches them
    all, the rows matching the most groups are returned, flagged `partial`. Words are
    compared stemmed in English and French. Blank keywords list the rows passing the
    filters, imported ones first; keywords with no word that can match find nothing. Like
    `SearchQuery.matches`, rows without a level or duration are kept by those filters.
    """
    where, params = _filters(types, languages, level, max_minutes, min_minutes)
    if isinstance(keywords, str):
        blank = not keywords.strip()
        groups: Sequence[Sequence[str]] = [[word] for word in query_words(keywords)]
    else:
        blank, groups = not keywords, keywords
    searched = [(group[0], expression) for group in groups if (expression := _group_expression(group))]
    expressions = [expression for _, expression in searched]
    if blank:
        order = "random()" if random_order else "origin = 'import' desc, title collate nocase"
        total = db.execute(f"select count(*) from {ITEMS} where {where}", params).fetchone()[0]
        sql = f"select * from {ITEMS} where {where} order by {order} limit :limit"
        return CatalogMatches(_rows(db, sql, {**params, "limit": limit}), total)
    if not expressions:
        return CatalogMatches([], 0)
    ranked = _ranked_rowids(db, " OR ".join(expressions), where, params)
    matching = {word: set(_matching_rowids(db, expression)) for word, expression in searched}
    hits = Counter(rowid for rowids in matching.values() for rowid in rowids)
    best = max((hits[rowid] for rowid in ranked), default=0)
    kept = [rowid for rowid in ranked if hits[rowid] == best]
    if random_order:
        kept = random.sample(kept, len(kept))
    missing = tuple(word for word, rowids in matching.items() if kept and not rowids.intersection(kept))
    return CatalogMatches(_rows_by_rowid(db, kept[:limit]), len(kept),
                          partial=bool(kept) and best < len(expressions), missing=missing)


def _group_expression(alternatives: Sequence[str]) -> str:
    """One FTS5 expression for a word and its synonyms, each stemmed in English and French:
    `["ml", "machine learning"]` → `("ml" OR "machin learn" OR "machin learning")`."""
    phrases = dict.fromkeys(
        " ".join(stemmer.stemWords(words))
        for words in (query_words(text) for text in alternatives) if words
        for stemmer in STEMMERS.values())
    return "(" + " OR ".join(f'"{phrase}"' for phrase in phrases) + ")" if phrases else ""


def _ranked_rowids(db: Database, expression: str, where: str, params: dict[str, Any]) -> list[int]:
    weights = ", ".join(str(weight) for weight in BM25_WEIGHTS)
    sql = (f"select {ITEMS}.rowid from {INDEX} join {ITEMS} on {ITEMS}.rowid = {INDEX}.rowid "
           f"where {INDEX} match :expression and {where} order by bm25({INDEX}, {weights})")
    return [row[0] for row in db.execute(sql, {**params, "expression": expression})]


def _matching_rowids(db: Database, expression: str) -> list[int]:
    return [row[0] for row in db.execute(
        f"select rowid from {INDEX} where {INDEX} match ?", [expression])]


def _rows_by_rowid(db: Database, rowids: Sequence[int]) -> list[dict[str, Any]]:
    marks = ", ".join("?" * len(rowids))
    by_rowid = {row.pop("rowid"): _decode(row) for row in db.query(
        f"select rowid, * from {ITEMS} where rowid in ({marks})", list(rowids))}
    return [by_rowid[rowid] for rowid in rowids]


def catalog_words(db: Database) -> set[str]:
    """Every word that can match in the catalog's titles and topics (for spelling help)."""
    words: set[str] = set()
    for row in db.query(f"select title, topics from {ITEMS}"):
        words.update(query_words(row["title"] + " " + " ".join(json.loads(row["topics"] or "[]"))))
    return words


def get_item(db: Database, item_id: str) -> dict[str, Any] | None:
    rows = _rows(db, f"select * from {ITEMS} where id = :id", {"id": item_id})
    return rows[0] if rows else None


def catalog_version(db: Database) -> tuple[int, str | None]:
    """Changes whenever rows are added, replaced or removed (row count, latest write)."""
    count, latest = db.execute(f"select count(*), max(imported_at) from {ITEMS}").fetchone()
    return count, latest


def content_hash(rows: Sequence[Mapping[str, Any]]) -> str:
    canonical = json.dumps(list(rows), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


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
        db.execute(f"delete from {INDEX} where rowid = (select rowid from {ITEMS} where id = ?)",
                   [item_id])
        db.execute(f"delete from {ITEMS} where id = ?", [item_id])
