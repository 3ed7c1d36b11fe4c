"""The local catalog as a provider, the bundled starter catalog, and catalog file imports.

`CatalogProvider` answers searches from the SQLite catalog (`store.catalog`) and accepts
every enrollment in an item it knows. `load_bundled_catalog()` loads the starter catalog
shipped in `providers/data/catalog.json`. `read_catalog()` and `import_rows()` are the logic
behind `learnbot catalog import FILE`: they read a CSV, JSON or YAML file, check every row,
and import all of them in one transaction, or none when any row is wrong.

The file format is the one of `catalog.json`; `COLUMNS` documents each column (the CLI's
`catalog import --help` and the README show `COLUMNS_HELP`).
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
    bundled_digest,
    catalog_version,
    catalog_words,
    get_item,
    load_bundled,
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
# Characters no web address needs, refused so a link cannot break out of its Slack markup.
URL_FORBIDDEN = re.compile(r"[\s|<>\"]")

COLUMNS: tuple[tuple[str, str], ...] = (
    ("title", "required; up to 300 characters"),
    ("url", "required; a web address starting with http:// or https://"),
    ("id", "optional; letters, digits, '.', '_' and '-'; made from the url when missing; "
           "a row with an id already in the catalog replaces it"),
    ("provider", "optional; who publishes it (also accepted as `source`)"),
    ("type", f"optional but needed by type filters: one of {', '.join(TYPES)}"),
    ("language", "optional but needed by language filters: a two-letter code such as en or fr"),
    ("duration_minutes", "optional (also `duration`): minutes (90) or 1h30, 45m, 2h"),
    ("level", f"optional: one of {', '.join(LEVELS)}"),
    ("description", "optional; up to 2000 characters"),
    ("topics", "optional; separated by commas or semicolons (a list in JSON or YAML)"),
)
COLUMNS_HELP = (
    "A CSV file (with a header line; comma or semicolon separated; UTF-8 or Windows-1252), "
    "or a JSON or YAML list of items (or an `items` list). Columns (others are ignored):\n"
    + "\n".join(f"  {name}: {meaning}" for name, meaning in COLUMNS)
)


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
        return ProviderPage([to_learning_object(row) for row in found.rows], found.total, found.partial,
                            found.missing)

    def words(self) -> frozenset[str]:
        """The catalog's searchable words, re-read only when the catalog changed."""
        version = catalog_version(self.db)
        if self._words is None or self._words[0] != version:
            self._words = (version, frozenset(catalog_words(self.db)))
        return self._words[1]

    async def enroll(self, item: LearningObject, learner: Learner, *,
                     idempotency_key: str | None = None) -> EnrollmentResult:
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


def load_bundled_catalog(db: Database) -> int:
    """Load the starter catalog when it changed since the last start; returns rows written.

    The file's own hash is compared first, so an unchanged bundle is neither parsed nor
    checked again (checking runs ftfy on every text: ~40 ms at each start).
    """
    text = _bundle_text()
    digest = "file-" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    if bundled_digest(db) == digest:
        return 0
    return load_bundled(db, _validated_bundle(text), digest=digest)


def _bundle_text() -> str:
    return resources.files("providers").joinpath("data", "catalog.json").read_text("utf-8")


def _validated_bundle(text: str) -> list[dict[str, Any]]:
    rows, errors = validate_rows(json.loads(text))
    if errors:
        raise ValueError(f"the bundled catalog is invalid: {errors[0]}")
    return rows


# --- Import -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row of an imported file.

    Row 1 is the first record; `line` is where it starts in the file (a CSV header is
    line 1), when the format says (CSV). Messages name the line, else the item.
    """

    row_number: int
    field: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else f"item {self.row_number}"
        return f"{where}, {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. `warnings` are about rows imported that some searches will skip."""

    imported: int
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """The records of a file, the file line where each starts (CSV only), and notes on how
    it was read (an encoding or separator other than the default)."""

    rows: list[dict[str, Any]]
    lines: list[int] | None = None
    notes: list[str] = field(default_factory=list)


class CatalogFileError(ValueError):
    """The file as a whole cannot be read: wrong extension, not UTF-8, malformed, empty."""


def import_rows(db: Database, raw_rows: list[dict[str, Any]],
                progress: Callable[[int], None] | None = None, *,
                lines: Sequence[int] | None = None) -> ImportReport:
    """Validate every row, then import all of them in one transaction.

    When any row is wrong nothing is imported and the report lists every error (by file
    line when `lines` gives where each row starts). Rows without a language or a type
    are imported with a warning: searches filtered on those skip them.
    `progress(n)` is called after each batch with the number of rows just written.
    """
    rows, errors = validate_rows(raw_rows, lines)
    if errors:
        return ImportReport(imported=0, errors=errors)
    with db.atomic():
        for start in range(0, len(rows), IMPORT_BATCH):
            batch = rows[start:start + IMPORT_BATCH]
            upsert_items(db, batch, "import")
            if progress:
                progress(len(batch))
    return ImportReport(imported=len(rows), warnings=_missing_filter_warnings(rows, lines))


def _missing_filter_warnings(rows: Sequence[Mapping[str, Any]], lines: Sequence[int] | None) -> list[str]:
    warnings = []
    for column, filtered in (("language", "a language (lang:)"), ("type", "a type (type:)")):
        where = [str(lines[n]) if lines else str(n + 1) for n, row in enumerate(rows) if not row[column]]
        if where:
            shown = ", ".join(where[:10]) + (f" and {len(where) - 10} more" if len(where) > 10 else "")
            place = ("line" if lines else "item") + ("" if len(where) == 1 else "s")
            warnings.append(f"{len(where)} {'row has' if len(where) == 1 else 'rows have'} no {column} "
                            f"({place} {shown}): searches filtered by "
                            f"{filtered} will skip {'it' if len(where) == 1 else 'them'}.")
    return warnings


def read_catalog(path: str | Path) -> CatalogFile:
    """The records of a .csv, .json, .yaml or .yml file (not yet validated), with where
    each starts in the file. UTF-8 (with or without a byte order mark) is expected; a
    file that is not is read as Windows-1252 (Latin-1), as spreadsheets save it, and the
    notes say so."""
    path = Path(path)
    readers = {".csv": _read_csv, ".json": _read_json, ".yaml": _read_yaml, ".yml": _read_yaml}
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise CatalogFileError(f"{path.name}: unsupported file type; use .csv, .json, .yaml or .yml.")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CatalogFileError(f"{path.name} cannot be read ({error.strerror}).") from error
    text, notes = _decode(data)
    found = reader(text, path.name)
    if not found.rows:
        raise CatalogFileError(f"{path.name} contains no catalog rows.")
    if not all(isinstance(row, dict) for row in found.rows):
        raise CatalogFileError(f"{path.name}: every entry must map field names to values.")
    return CatalogFile(found.rows, found.lines, notes + found.notes)


def _decode(data: bytes) -> tuple[str, list[str]]:
    try:
        return data.decode("utf-8-sig"), []  # -sig: spreadsheets often add a BOM
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text, ["The file is not UTF-8; it was read as Windows-1252 (Latin-1). If accented "
                  "letters look wrong, save it as \"CSV UTF-8\" and import it again."]


def validate_rows(rows: Sequence[Mapping[str, Any]],
                  lines: Sequence[int] | None = None) -> tuple[list[dict[str, Any]], list[RowError]]:
    """Check and normalise every row: (the rows without errors, every error in row order)."""
    clean: list[dict[str, Any]] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        line = lines[number - 1] if lines else None
        row, row_errors = _validate_row(raw, number, line)
        item_id = row.get("id")
        if item_id in first_row_of:
            first = first_row_of[item_id]
            where = f"line {lines[first - 1]}" if lines else f"item {first}"
            row_errors.append(RowError(number, "id", f"{item_id!r} is already used by {where}", line))
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


def _validate_row(raw: Mapping[str, Any], number: int,
                  line: int | None = None) -> tuple[dict[str, Any], list[RowError]]:
    errors: list[RowError] = []

    def fail(name: str, message: str) -> None:
        errors.append(RowError(number, name, message, line))

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
        fail("url", "must be a web address starting with http:// or https://, "
                    "without spaces, quotes, |, < or >")

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
    import ftfy  # here, not at the top: `learnbot chat` starts without it (~25 ms) on an unchanged bundle

    return " ".join(ftfy.fix_text(str(value)).split())


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_web_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not URL_FORBIDDEN.search(url)


def _id_from_url(url: str) -> str:
    """A stable id for rows without one: the same address always gets the same id."""
    if not url:
        return ""
    return "url-" + hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()[:12]


def _read_csv(text: str, name: str) -> CatalogFile:
    """Rows of a CSV with a header line; comma- or semicolon-separated (as French
    spreadsheets save it), told apart by which the header uses more."""
    header = text.split("\n", 1)[0]
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, lines = [], []
    try:
        next_line = 2  # the header is line 1
        for row in reader:
            rows.append(row)
            lines.append(next_line)
            next_line = reader.line_num + 1
    except csv.Error as error:
        raise CatalogFileError(f"{name} is not valid CSV (line {reader.line_num}: {error}).") from error
    if reader.fieldnames and not {"title", "url"} <= {f.strip().lower() for f in reader.fieldnames if f}:
        raise CatalogFileError(
            f"{name}: the first line must name the columns, with at least title and url "
            f"(found: {', '.join(reader.fieldnames)[:200]}). Separate columns with commas or semicolons.")
    notes = ["The file is semicolon-separated."] if delimiter == ";" else []
    return CatalogFile(rows, lines, notes)


def _read_json(text: str, name: str) -> CatalogFile:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogFileError(f"{name} is not valid JSON (line {error.lineno}: {error.msg}).") from error
    return CatalogFile(_records(data, name))


def _read_yaml(text: str, name: str) -> CatalogFile:
    import yaml  # here, not at the top: only an import reads YAML, and `learnbot chat` starts without it

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogFileError(f"{name} is not valid YAML.") from error
    return CatalogFile(_records(data, name))


def _records(data: Any, name: str) -> list[Any]:
    """A JSON/YAML file holds a list of records, or a mapping with an `items` list."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return data["items"]
    if isinstance(data, list):
        return data
    raise CatalogFileError(f"{name} must hold a list of items (or an 'items' list).")
