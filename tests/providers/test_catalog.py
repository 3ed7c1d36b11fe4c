"""The local catalog provider and the catalog file import."""

import asyncio
import json

import pytest
import yaml
from sqlite_utils import Database

from providers.catalog import (
    COLUMNS,
    COLUMNS_HELP,
    CatalogFileError,
    CatalogProvider,
    ImportReport,
    RowError,
    import_rows,
    parse_duration,
    read_catalog,
    validate_rows,
)
from providers.errors import NotFound
from providers.model import Learner, LearningObject, Provider, SearchQuery
from store.catalog import catalog_migrations, get_item, upsert_items

LEARNER = Learner(team_id="T1", user_id="U1", email="ada@example.org")
VALID = {"id": "sql-intro", "title": "SQL intro", "url": "https://example.org/sql",
         "provider": "Example U", "type": "course", "language": "en",
         "duration_minutes": "1h30", "level": "beginner", "description": "Queries.",
         "topics": "sql; databases"}


@pytest.fixture
def db():
    database = Database(memory=True)
    catalog_migrations.apply(database)
    return database


@pytest.fixture
def provider(db):
    upsert_items(db, [
        {"id": "py", "title": "Python basics", "url": "https://example.org/py",
         "source": "Example U", "type": "video", "language": "en", "duration_minutes": 60,
         "level": "beginner", "description": "Start here.", "topics": ["python", "basics"]},
        {"id": "py-fr", "title": "Python en français", "url": "https://example.org/py-fr",
         "type": "mooc", "language": "fr", "duration_minutes": 900, "level": "advanced"},
    ], "bundled")
    return CatalogProvider(db)


def search(provider, **query):
    return asyncio.run(provider.search(SearchQuery(**query)))


def catalog_item(item_id="py"):
    return LearningObject(id=item_id, provider="catalog", title="Python basics",
                          url="https://example.org/py")


# --- Provider ---------------------------------------------------------------------------


def test_the_provider_meets_the_provider_protocol(provider):
    assert isinstance(provider, Provider)
    assert (provider.key, provider.label, provider.can_enroll) == ("catalog", "Local catalog", True)


def test_search_maps_rows_to_enrollable_learning_objects(provider):
    assert search(provider, keywords="basics") == [LearningObject(
        id="py", provider="catalog", title="Python basics", url="https://example.org/py",
        source="Example U", description="Start here.", type="video", language="en",
        duration_minutes=60, level="beginner", image=None, price=None, enrollable=True,
        topics=("python", "basics"))]


@pytest.mark.parametrize(("query", "expected"), [
    ({"types": ("mooc",)}, ["py-fr"]),
    ({"languages": ("en",)}, ["py"]),
    ({"level": "advanced"}, ["py-fr"]),
    ({"max_minutes": 120}, ["py"]),
    ({"min_minutes": 120}, ["py-fr"]),
])
def test_search_passes_the_query_filters_to_the_store(provider, query, expected):
    assert [item.id for item in search(provider, keywords="python", **query)] == expected


def test_search_returns_at_most_the_query_limit(provider):
    assert len(search(provider, keywords="python", limit=1)) == 1


def test_random_sort_shuffles_the_results(db):
    upsert_items(db, [{"id": f"r{n}", "title": f"Rust {n}", "url": f"https://e.org/{n}"}
                      for n in range(12)], "bundled")
    provider = CatalogProvider(db)

    orders = {tuple(item.id for item in search(provider, keywords="rust", sort="random"))
              for _ in range(5)}

    assert len(orders) > 1


def test_enroll_accepts_an_item_of_the_catalog(provider):
    result = asyncio.run(provider.enroll(catalog_item("py"), LEARNER))

    assert (result.status, result.message, result.external_id) == (
        "enrolled", "You are enrolled in Python basics (local catalog).", "py")


def test_enroll_in_an_unknown_item_raises_not_found(provider):
    with pytest.raises(NotFound) as raised:
        asyncio.run(provider.enroll(catalog_item("deleted"), LEARNER))

    assert "Local catalog" in raised.value.sentence


# --- Reading files ----------------------------------------------------------------------


def test_read_catalog_reads_csv_with_a_header(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("title,url,topics\nSQL,https://e.org/sql,\"sql, databases\"\n", "utf-8")

    assert read_catalog(path).rows == [{"title": "SQL", "url": "https://e.org/sql",
                                       "topics": "sql, databases"}]


def test_read_catalog_skips_a_spreadsheet_byte_order_mark(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("title,url\nSQL,https://e.org/sql\n", "utf-8-sig")

    assert list(read_catalog(path).rows[0]) == ["title", "url"]


@pytest.mark.parametrize("data", [[VALID], {"items": [VALID]}])
def test_read_catalog_reads_json_lists_and_items_mappings(tmp_path, data):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps(data), "utf-8")

    assert read_catalog(path).rows == [VALID]


@pytest.mark.parametrize("suffix", [".yaml", ".yml", ".YML"])
def test_read_catalog_reads_yaml(tmp_path, suffix):
    path = tmp_path / f"catalog{suffix}"
    path.write_text(yaml.safe_dump([VALID]), "utf-8")

    assert read_catalog(path).rows == [VALID]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("catalog.txt", "title,url", "unsupported file type"),
    ("catalog.json", "[{", "not valid JSON"),
    ("catalog.json", '{"title": "x"}', "list of items"),
    ("catalog.json", "[]", "no catalog rows"),
    ("catalog.json", '["just a string"]', "every entry"),
    ("catalog.yaml", "- [unclosed", "not valid YAML"),
    ("catalog.csv", "", "no catalog rows"),
])
def test_read_catalog_rejects_unreadable_files_with_a_sentence(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, "utf-8")

    with pytest.raises(CatalogFileError, match=message):
        read_catalog(path)


@pytest.mark.parametrize(("encoding", "title"), [("latin-1", "Café crème"), ("cp1252", "Café – crème")])
def test_a_spreadsheet_csv_in_windows_1252_is_read_and_the_notes_say_so(tmp_path, encoding, title):
    path = tmp_path / "catalog.csv"
    path.write_bytes(f"title,url\n{title},https://e.org/c\n".encode(encoding))

    found = read_catalog(path)

    assert found.rows[0]["title"] == title
    assert "not UTF-8" in found.notes[0] and "CSV UTF-8" in found.notes[0]


def test_a_semicolon_separated_csv_is_read(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("title;url;topics\nPython, vite;https://e.org/p;python,web\n", "utf-8")

    found = read_catalog(path)

    assert found.rows == [{"title": "Python, vite", "url": "https://e.org/p", "topics": "python,web"}]
    assert found.notes == ["The file is semicolon-separated."]


def test_a_csv_whose_header_lacks_title_and_url_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text("name|link\nPython|https://e.org/p\n", "utf-8")

    with pytest.raises(CatalogFileError, match="first line must name the columns, with at least title and url"):
        read_catalog(path)


def test_csv_rows_are_numbered_by_the_line_they_start_on(tmp_path):
    path = tmp_path / "catalog.csv"
    path.write_text('title,url,description\nA,https://e.org/a,"two\nlines"\nB,nope,\n', "utf-8")
    found = read_catalog(path)

    _, errors = validate_rows(found.rows, found.lines)

    assert found.lines == [2, 4]
    assert [str(error) for error in errors] == [
        "line 4, url: must be a web address starting with http:// or https://, "
        "without spaces, quotes, |, < or >"]


def test_json_rows_are_numbered_as_items(tmp_path):
    path = tmp_path / "catalog.json"
    path.write_text(json.dumps([VALID, {"title": "", "url": "https://e.org"}]), "utf-8")

    found = read_catalog(path)
    _, errors = validate_rows(found.rows, found.lines)

    assert str(errors[0]) == "item 2, title: is missing"


def test_read_catalog_reports_a_missing_file(tmp_path):
    with pytest.raises(CatalogFileError, match="cannot be read"):
        read_catalog(tmp_path / "absent.csv")


# --- Validation -------------------------------------------------------------------------


def test_a_valid_row_is_normalised_to_a_store_row():
    assert validate_rows([VALID]) == ([{
        "id": "sql-intro", "title": "SQL intro", "url": "https://example.org/sql",
        "source": "Example U", "type": "course", "language": "en", "duration_minutes": 90,
        "level": "beginner", "description": "Queries.", "topics": ["sql", "databases"],
    }], [])


@pytest.mark.parametrize(("value", "minutes"), [
    (90, 90), (2.6, 3), ("90", 90), ("1h30", 90), ("1h 30m", 90), ("45m", 45),
    ("45 min", 45), ("2h", 120), ("2H", 120), (" 15 ", 15),
])
def test_durations_are_read_in_minutes(value, minutes):
    assert parse_duration(value) == minutes


@pytest.mark.parametrize("value", [0, -5, 0.4, "0", "-5", "abc", "1.5h", "h", "", True, "90s"])
def test_durations_that_are_not_positive_are_refused(value):
    assert parse_duration(value) is None


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"title": ""}, "title", "is missing"),
    ({"title": None}, "title", "is missing"),
    ({"url": "  "}, "url", "is missing"),
    ({"url": "ftp://example.org/x"}, "url", "http:// or https://"),
    ({"url": "example.org/x"}, "url", "http:// or https://"),
    ({"type": "book"}, "type", "'book' is not one of video, mooc, podcast, app, course"),
    ({"level": "expert"}, "level", "'expert' is not one of beginner, intermediate, advanced"),
    ({"language": "french"}, "language", "two-letter code"),
    ({"language": "f1"}, "language", "two-letter code"),
    ({"duration_minutes": "-10"}, "duration_minutes", "not a positive duration"),
    ({"duration_minutes": "soon"}, "duration_minutes", "not a positive duration"),
    ({"title": "T" * 301}, "title", "longer than 300 characters"),
    ({"description": "d" * 2001}, "description", "longer than 2000 characters"),
    ({"provider": "p" * 201}, "source", "longer than 200 characters"),
    ({"id": "i" * 101}, "id", "longer than 100 characters"),
    ({"id": "has space"}, "id", "may only contain"),
    ({"topics": [f"t{n}" for n in range(21)]}, "topics", "more than 20 topics"),
    ({"topics": "x" * 51}, "topics", "longer than 50 characters"),
])
def test_each_invalid_field_is_reported_with_its_row_number(change, field, message):
    rows = [VALID, {**VALID, "id": "second", **change}]

    clean, errors = validate_rows(rows)

    assert len(errors) == 1
    assert (errors[0].row_number, errors[0].field) == (2, field)
    assert message in errors[0].message
    assert [row["id"] for row in clean] == ["sql-intro"]


def test_every_error_of_every_row_is_reported():
    rows = [{"title": "", "url": "nope"}, VALID, {"title": "x", "url": "https://e.org", "type": "?"}]

    _, errors = validate_rows(rows)

    assert [(e.row_number, e.field) for e in errors] == [(1, "title"), (1, "url"), (3, "type")]


def test_a_duplicate_id_names_the_row_that_used_it_first():
    _, errors = validate_rows([VALID, {**VALID, "url": "https://example.org/other"}])

    assert errors == [RowError(2, "id", "'sql-intro' is already used by item 1")]


def test_a_duplicate_id_names_the_file_line_that_used_it_first():
    _, errors = validate_rows([VALID, {**VALID, "url": "https://example.org/other"}], lines=[2, 5])

    assert str(errors[0]) == "line 5, id: 'sql-intro' is already used by line 2"


def test_a_row_error_reads_as_a_sentence_naming_the_line_or_the_item():
    assert str(RowError(3, "url", "is missing", line=4)) == "line 4, url: is missing"
    assert str(RowError(3, "url", "is missing")) == "item 3, url: is missing"


@pytest.mark.parametrize("url", ["https://e.org/a|b", "https://e.org/>x", "https://e.org/<x", 'https://e.org/"'])
def test_urls_with_characters_that_break_a_link_are_refused(url):
    _, errors = validate_rows([{**VALID, "url": url}])

    assert [(e.field, "without spaces, quotes, |, < or >" in e.message) for e in errors] == [("url", True)]


def test_every_column_is_documented_for_the_cli_help():
    assert [name for name, _ in COLUMNS] == [
        "title", "url", "id", "provider", "type", "language", "duration_minutes", "level",
        "description", "topics"]
    assert all(f"  {name}: " in COLUMNS_HELP for name, _ in COLUMNS)


@pytest.mark.parametrize("blank", ["", None])
def test_optional_fields_may_be_left_blank(blank):
    row = {"title": "T", "url": "https://e.org/t", "type": blank, "language": blank,
           "duration": blank, "level": blank, "topics": blank, "provider": blank}

    clean, errors = validate_rows([row])

    assert errors == []
    assert {k: clean[0][k] for k in ("type", "language", "duration_minutes", "level", "topics",
                                     "source")} == {
        "type": None, "language": None, "duration_minutes": None, "level": None, "topics": [],
        "source": ""}


def test_rows_without_id_get_the_same_id_for_the_same_address():
    first, _ = validate_rows([{"title": "T", "url": "https://www.e.org/t/?utm_source=x"}])
    second, _ = validate_rows([{"title": "T", "url": "https://e.org/t"}])

    assert first[0]["id"] == second[0]["id"]
    assert first[0]["id"].startswith("url-")


def test_two_rows_with_the_same_address_and_no_id_are_duplicates():
    _, errors = validate_rows([{"title": "A", "url": "https://e.org/a"},
                               {"title": "B", "url": "https://e.org/a"}])

    assert [(e.row_number, e.field) for e in errors] == [(2, "id")]


def test_text_is_trimmed_and_mojibake_repaired():
    clean, _ = validate_rows([{"title": "  CafÃ©   crÃ¨me ", "url": "https://e.org",
                               "type": " Video ", "language": "FR", "topics": "Python;SQL,python"}])

    assert (clean[0]["title"], clean[0]["type"], clean[0]["language"], clean[0]["topics"]) == (
        "Café crème", "video", "fr", ["python", "sql"])


def test_the_publisher_may_be_given_as_source_or_provider():
    clean, _ = validate_rows([{"title": "T", "url": "https://e.org/t", "source": "MIT"}])

    assert clean[0]["source"] == "MIT"


def test_search_page_reports_the_real_total_and_partial_matches(provider):
    page = asyncio.run(provider.search_page(SearchQuery("python", limit=1)))
    partial = asyncio.run(provider.search_page(SearchQuery("python cooking")))

    assert (len(page.items), page.total, page.partial) == (1, 2, False)
    assert (partial.total, partial.partial) == (2, True)


def test_search_expands_abbreviations_and_translations(db):
    upsert_items(db, [{"id": "k", "title": "Kubernetes basics", "url": "https://e.org/k"},
                      {"id": "s", "title": "Statistiques", "url": "https://e.org/s", "language": "fr"}],
                 "bundled")
    provider = CatalogProvider(db)

    assert [[i.id for i in search(provider, keywords=words)] for words in ("k8s", "statistics")] == [["k"], ["s"]]


def test_words_are_re_read_after_an_import(db, provider):
    before = provider.words()
    upsert_items(db, [{"id": "t", "title": "Terraform", "url": "https://e.org/t"}], "import")

    assert "terraform" not in before and "terraform" in provider.words()


# --- Import -----------------------------------------------------------------------------


def write_csv(path, rows):
    header = "id,title,url,provider,type,language,duration_minutes,level,description,topics"
    lines = [header] + [",".join(f'"{value}"' for value in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def import_file(db, path, progress=None) -> ImportReport:
    """Import a file as `learnbot catalog import FILE` does."""
    found = read_catalog(path)
    return import_rows(db, found.rows, progress, lines=found.lines)


def test_import_writes_every_row_as_an_imported_item(db, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ("a", "Alpha", "https://e.org/a", "Pub", "video", "en", "45m", "beginner", "", "x; y"),
        ("b", "Beta", "https://e.org/b", "Pub", "app", "fr", "2h", "advanced", "", ""),
    ])

    assert import_file(db, path) == ImportReport(imported=2, errors=[])
    assert get_item(db, "a")["topics"] == ["x", "y"]
    assert (get_item(db, "b")["duration_minutes"], get_item(db, "b")["origin"]) == (120, "import")


def test_import_of_a_file_with_one_bad_row_imports_nothing(db, tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump([VALID, {**VALID, "id": "bad", "url": "nope"}]), "utf-8")

    report = import_file(db, path)

    assert report.imported == 0
    assert [(e.row_number, e.field) for e in report.errors] == [(2, "url")]
    assert db["catalog_items"].count == 0


def test_import_replaces_an_item_with_the_same_id(db, tmp_path):
    path = tmp_path / "c.json"
    upsert_items(db, [{"id": "sql-intro", "title": "Old", "url": "https://e.org/old"}], "bundled")
    path.write_text(json.dumps([VALID]), "utf-8")

    import_file(db, path)

    assert (get_item(db, "sql-intro")["title"], db["catalog_items"].count) == ("SQL intro", 1)


def test_rows_without_language_or_type_are_imported_with_a_warning(db):
    rows = [VALID, {**VALID, "id": "b", "language": ""}, {**VALID, "id": "c", "language": "", "type": ""}]

    report = import_rows(db, rows, lines=[2, 3, 4])

    assert report.imported == 3
    assert report.warnings == [
        "2 rows have no language (lines 3, 4): searches filtered by a language (lang:) will skip them.",
        "1 row has no type (line 4): searches filtered by a type (type:) will skip it."]


def test_complete_rows_are_imported_without_warnings(db):
    assert import_rows(db, [VALID]).warnings == []


def test_import_reports_progress_after_each_batch(db, tmp_path):
    rows = [{**VALID, "id": f"r{n}", "url": f"https://e.org/{n}"} for n in range(250)]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(rows), "utf-8")
    calls = []

    import_file(db, path, progress=calls.append)

    assert calls == [100, 100, 50]
    assert db["catalog_items"].count_where("origin = 'import'") == 250


def test_import_rolls_back_every_batch_when_writing_fails(db, tmp_path):
    rows = [{**VALID, "id": f"r{n}", "url": f"https://e.org/{n}"} for n in range(150)]
    path = tmp_path / "c.json"
    path.write_text(json.dumps(rows), "utf-8")

    def fail_after_first_batch(count):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        import_file(db, path, progress=fail_after_first_batch)

    assert db["catalog_items"].count == 0
