"""The local catalog as a provider, the bundled starter catalog, and catalog file imports.

`CatalogProvider` answers searches from the SQLite catalog (`store.catalog`) and accepts
every enrollment in an item it knows. `bundled_rows()` reads the starter catalog shipped
in `providers/data/catalog.json`. `import_catalog()` is the logic behind
`learnbot catalog import FILE`: it reads a CSV, JSON or YAML file, checks every row, and
imports all of them in one transaction, or none when any row is wrong.

The file format is the one of `catalog.json`: id (optional), title, url, provider (the
publisher; `source` is accepted too), type, language, duration_minutes (or duration),
level, description and topics. Other columns are ignored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import ftfy
import yaml
from sqlite_utils import Database

from providers.errors import NotFound
from providers.model import (
    LEVELS,
    TYPES,
    EnrollmentResult,
    Learner,
    LearningObject,
    ProviderPage,
    SearchQuery,
)
from providers.search import canonical_url
from providers.vocabulary import Equivalents
from store.catalog import (
    catalog_version,
    catalog_words,
    get_item,
    query_words,
    search_catalog,
    upsert_items,
)

KEY = "catalog"
LABEL = "Local catalog"

MAX_LENGTH = {"id": 100, "title": 300, "url": 2048, "source": 200, "description": 2000}
MAX_TOPICS = 20
MAX_TOPIC_LENGTH = 50
IMPORT_BATCH = 100
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
LANGUAGE_PATTERN = re.compile(r"^[a-z]{2}$")
DURATION_PATTERN = re.compile(r"^(?:(?P<hours>\d+)\s*h)?\s*(?:(?P<minutes>\d+)\s*(?:m|mn|min)?)?$")
TOPIC_SEPARATORS = re.compile(r"[,;]")


class CatalogProvider:
    """The local catalog, searched like any other provider.

    Each word is searched with its synonyms and translations (`providers.vocabulary`);
    the answer carries the real total and says when no item had every word.

    The SQLite calls run synchronously inside the async methods on purpose: they take
    well under a millisecond, and each sqlite3 connection belongs to one thread (see
    `store.pool`), so handing them to `asyncio.to_thread` would cost more than it saves.
    """

    key = KEY
    label = LABEL
    can_enroll = True

    def __init__(self, db: Database, equivalents: Equivalents | None = None):
        self.db = db
        self.equivalents = equivalents or Equivalents()
        self._words: tuple[tuple[int, str | None], frozenset[str]] | None = None

    def __repr__(self) -> str:
        return "CatalogProvider()"

    async def search(self, query: SearchQuery) -> list[LearningObject]:
        return (await self.search_page(query)).items

    async def search_page(self, query: SearchQuery) -> ProviderPage:
        return self.find(query)

    def find(self, query: SearchQuery) -> ProviderPage:
        """The search itself, synchronous (for benchmarks and suggestions)."""
        words = query_words(query.keywords)
        keywords = self.equivalents.expand(words) if words else query.keywords
        found = search_catalog(
            self.db,
            keywords,
            types=query.types,
            languages=query.languages,
            level=query.level,
            max_minutes=query.max_minutes,
            min_minutes=query.min_minutes,
            limit=query.limit,
            random_order=query.sort == "random",
        )
        return ProviderPage([to_learning_object(row) for row in found.rows], found.total, found.partial)

    def words(self) -> frozenset[str]:
        """The catalog's searchable words, re-read only when the catalog changed."""
        version = catalog_version(self.db)
        if self._words is None or self._words[0] != version:
            self._words = (version, frozenset(catalog_words(self.db)))
        return self._words[1]

    async def enroll(self, item: LearningObject, learner: Learner) -> EnrollmentResult:
        """Accept the enrollment if the item exists; the handler records it in the store."""
        row = get_item(self.db, item.id)
        if row is None:
            raise NotFound(LABEL)
        return EnrollmentResult("enrolled", f"You are enrolled in {row['title']} (local catalog).",
                                external_id=row["id"])


def to_learning_object(row: Mapping[str, Any]) -> LearningObject:
    return LearningObject(
        id=row["id"],
        provider=KEY,
        title=row["title"],
        url=row["url"],
        source=row.get("source") or "",
        description=row.get("description") or "",
        type=row.get("type"),
        language=row.get("language"),
        duration_minutes=row.get("duration_minutes"),
        level=row.get("level"),
        enrollable=True,
        topics=tuple(row.get("topics") or ()),
    )


def bundled_rows() -> list[dict[str, Any]]:
    """The starter catalog shipped with learnbot, as store rows ready for `load_bundled`."""
    text = resources.files("providers").joinpath("data", "catalog.json").read_text("utf-8")
    rows, errors = validate_rows(json.loads(text))
    if errors:
        raise ValueError(f"the bundled catalog is invalid: {errors[0]}")
    return rows


# --- Import -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row of an imported file. Row 1 is the first record."""

    row_number: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row_number}, {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportReport:
    imported: int
    errors: list[RowError] = field(default_factory=list)


class CatalogFileError(ValueError):
    """The file as a whole cannot be read: wrong extension, not UTF-8, malformed, empty."""


def import_catalog(db: Database, path: str | Path,
                   progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row of `path`, then import all of them in one transaction."""
    return import_rows(db, read_rows(path), progress)


def import_rows(db: Database, raw_rows: list[dict[str, Any]],
                progress: Callable[[int], None] | None = None) -> ImportReport:
    """Validate every row, then import all of them in one transaction.

    When any row is wrong nothing is imported and the report lists every error.
    `progress(n)` is called after each batch with the number of rows just written.
    """
    rows, errors = validate_rows(raw_rows)
    if errors:
        return ImportReport(imported=0, errors=errors)
    with db.atomic():
        for start in range(0, len(rows), IMPORT_BATCH):
            batch = rows[start:start + IMPORT_BATCH]
            upsert_items(db, batch, "import")
            if progress:
                progress(len(batch))
    return ImportReport(imported=len(rows))


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The records of a .csv, .json, .yaml or .yml file, as dicts (not yet validated)."""
    path = Path(path)
    readers = {".csv": _read_csv, ".json": _read_json, ".yaml": _read_yaml, ".yml": _read_yaml}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise CatalogFileError(f"{path.name}: unsupported file type; use .csv, .json, .yaml or .yml.")
    try:
        text = path.read_text(encoding="utf-8-sig")  # -sig: spreadsheets often add a BOM
    except UnicodeDecodeError as error:
        raise CatalogFileError(f"{path.name} is not UTF-8 text.") from error
    except OSError as error:
        raise CatalogFileError(f"{path.name} cannot be read ({error.strerror}).") from error
    rows = reader(text, path.name)
    if not rows:
        raise CatalogFileError(f"{path.name} contains no catalog rows.")
    if not all(isinstance(row, dict) for row in rows):
        raise CatalogFileError(f"{path.name}: every entry must map field names to values.")
    return rows


def validate_rows(rows: Sequence[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Check and normalise every row: (the rows without errors, every error in row order)."""
    clean: list[dict[str, Any]] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        row, row_errors = _validate_row(raw, number)
        item_id = row.get("id")
        if item_id in first_row_of:
            row_errors.append(RowError(number, "id",
                                       f"{item_id!r} is already used by row {first_row_of[item_id]}"))
        elif item_id:
            first_row_of[item_id] = number
        errors.extend(row_errors)
        if not row_errors:
            clean.append(row)
    return clean, errors


def parse_duration(value: Any) -> int | None:
    """Minutes from 90, "90", "45m", "2h", "1h30"; None when the value is not one of those."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return round(value) if value >= 1 else None
    match = DURATION_PATTERN.match(str(value).strip().lower())
    if not match or not (match["hours"] or match["minutes"]):
        return None
    minutes = int(match["hours"] or 0) * 60 + int(match["minutes"] or 0)
    return minutes or None


def _validate_row(raw: Mapping[str, Any], number: int) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []

    def fail(name: str, message: str) -> None:
        errors.append(RowError(number, name, message))

    values = {str(key).strip().lower(): value for key, value in raw.items() if key is not None}
    row: dict[str, Any] = {
        "title": _text(values.get("title")),
        "url": _text(values.get("url")),
        "source": _text(values.get("provider") or values.get("source")),
        "description": _text(values.get("description")),
    }
    for name in ("title", "url", "source", "description"):
        if len(row[name]) > MAX_LENGTH[name]:
            fail(name, f"is longer than {MAX_LENGTH[name]} characters")
    for name in ("title", "url"):
        if not row[name]:
            fail(name, "is missing")
    if row["url"] and not _is_web_url(row["url"]):
        fail("url", "must be a web address starting with http:// or https://")

    row["id"] = _text(values.get("id")).lower() or _id_from_url(row["url"])
    if len(row["id"]) > MAX_LENGTH["id"]:
        fail("id", f"is longer than {MAX_LENGTH['id']} characters")
    elif row["id"] and not ID_PATTERN.match(row["id"]):
        fail("id", "may only contain letters, digits, '.', '_' and '-'")

    row["type"] = _choice(values.get("type"), TYPES, "type", fail)
    row["level"] = _choice(values.get("level"), LEVELS, "level", fail)
    row["language"] = _text(values.get("language")).lower() or None
    if row["language"] and not LANGUAGE_PATTERN.match(row["language"]):
        fail("language", "must be a two-letter code such as en or fr")
    row["duration_minutes"] = _duration(values, fail)
    row["topics"] = _topics(values.get("topics"), fail)
    return row, errors


def _duration(values: Mapping[str, Any], fail: Callable[[str, str], None]) -> int | None:
    name = "duration_minutes" if "duration_minutes" in values else "duration"
    value = values.get(name)
    if _is_blank(value):
        return None
    minutes = parse_duration(value)
    if minutes is None:
        fail(name, f"{value!r} is not a positive duration; write minutes (90) or 1h30, 45m, 2h")
    return minutes


def _choice(value: Any, allowed: Sequence[str], name: str,
            fail: Callable[[str, str], None]) -> str | None:
    text = _text(value).lower()
    if not text:
        return None
    if text not in allowed:
        fail(name, f"{text!r} is not one of {', '.join(allowed)}")
        return None
    return text


def _topics(value: Any, fail: Callable[[str, str], None]) -> list[str]:
    if _is_blank(value):
        return []
    parts = value if isinstance(value, list) else TOPIC_SEPARATORS.split(str(value))
    topics = list(dict.fromkeys(t for t in (_text(part).lower() for part in parts) if t))
    if len(topics) > MAX_TOPICS:
        fail("topics", f"has more than {MAX_TOPICS} topics")
    too_long = [topic for topic in topics if len(topic) > MAX_TOPIC_LENGTH]
    if too_long:
        fail("topics", f"topic {too_long[0][:20]!r}… is longer than {MAX_TOPIC_LENGTH} characters")
    return topics


def _text(value: Any) -> str:
    """Trimmed single-spaced text with mojibake repaired (spreadsheets exported in Latin-1)."""
    if _is_blank(value):
        return ""
    return " ".join(ftfy.fix_text(str(value)).split())


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in url


def _id_from_url(url: str) -> str:
    """A stable id for rows without one: the same address always gets the same id."""
    if not url:
        return ""
    return "url-" + hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:12]


def _read_csv(text: str, name: str) -> list[dict[str, Any]]:
    try:
        return list(csv.DictReader(io.StringIO(text)))
    except csv.Error as error:
        raise CatalogFileError(f"{name} is not valid CSV ({error}).") from error


def _read_json(text: str, name: str) -> list[Any]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogFileError(f"{name} is not valid JSON (line {error.lineno}: {error.msg}).") from error
    return _records(data, name)


def _read_yaml(text: str, name: str) -> list[Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogFileError(f"{name} is not valid YAML.") from error
    return _records(data, name)


def _records(data: Any, name: str) -> list[Any]:
    """A JSON/YAML file holds a list of records, or a mapping with an `items` list."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return data["items"]
    if isinstance(data, list):
        return data
    raise CatalogFileError(f"{name} must hold a list of items (or an 'items' list).")
