"""The local catalog store: schema, full-text search, filters and bundled loading."""

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlite_utils import Database

from store.catalog import (
    catalog_migrations,
    catalog_version,
    catalog_words,
    get_item,
    load_bundled,
    query_words,
    search_catalog,
    upsert_items,
)


def item(item_id, title, **fields):
    return {"id": item_id, "title": title, "url": f"https://example.org/{item_id}", **fields}


@pytest.fixture
def db():
    database = Database(memory=True)
    catalog_migrations.apply(database)
    return database


@pytest.fixture
def shelf(db):
    """A small catalog exercising every filter."""
    upsert_items(db, [
        item("py-video", "Python in one hour", type="video", language="en",
             duration_minutes=60, level="beginner", topics=["python"]),
        item("py-mooc", "Python avancé", type="mooc", language="fr",
             duration_minutes=3000, level="advanced", topics=["python"]),
        item("py-course", "Python for data work", type="course", language="en",
             duration_minutes=600, level="intermediate", topics=["python", "pandas"]),
        item("py-unknown", "Python odds and ends", type="podcast", language="en"),
    ], "bundled")
    return db


def ids(found):
    return [row["id"] for row in found.rows]


def test_applying_the_migrations_twice_is_a_no_op(db):
    catalog_migrations.apply(db)

    assert [m.name for m in catalog_migrations.applied(db)] == [
        "create_catalog_tables", "index_stemmed_terms"]


def test_the_stemmed_index_migration_indexes_rows_written_before_it():
    database = Database(memory=True)
    catalog_migrations.apply(database, stop_before="index_stemmed_terms")
    database["catalog_items"].insert({"id": "k", "title": "Kubernetes clusters", "url": "https://e.org",
                                      "origin": "bundled", "topics": "[]"})

    catalog_migrations.apply(database)

    assert ids(search_catalog(database, "cluster")) == ["k"]


def test_an_upserted_row_reads_back_with_its_topics_as_a_list(db):
    now = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    upsert_items(db, [item("sql", "SQL basics", source="Khan Academy", type="course",
                           language="en", duration_minutes=90, level="beginner",
                           description="Queries.", topics=["sql", "databases"])],
                 "import", now=now)

    assert get_item(db, "sql") == {
        "id": "sql", "title": "SQL basics", "url": "https://example.org/sql",
        "source": "Khan Academy", "type": "course", "language": "en", "duration_minutes": 90,
        "level": "beginner", "description": "Queries.", "topics": ["sql", "databases"],
        "origin": "import", "imported_at": "2025-03-01T09:30:00+00:00",
    }


def test_get_item_returns_none_for_an_unknown_id(db):
    assert get_item(db, "nope") is None


def test_upsert_replaces_a_row_and_its_index_entry(db):
    upsert_items(db, [item("a", "Astronomy for all")], "bundled")
    upsert_items(db, [item("a", "Botany for all")], "bundled")

    assert db["catalog_items"].count == 1
    assert ids(search_catalog(db, "astronomy")) == []
    assert ids(search_catalog(db, "botany")) == ["a"]


def test_upsert_refuses_an_unknown_origin(db):
    with pytest.raises(ValueError, match="origin"):
        upsert_items(db, [item("a", "A")], "scraped")


def test_upsert_records_each_rows_origin(db):
    upsert_items(db, [item("a", "A"), item("b", "B")], "bundled")
    upsert_items(db, [item("c", "C")], "import")

    assert {row["id"]: row["origin"] for row in db["catalog_items"].rows} == {
        "a": "bundled", "b": "bundled", "c": "import"}


def test_a_title_match_ranks_above_a_description_only_match(db):
    # Unweighted bm25 would put "described" first: its matching field is much shorter.
    unrelated = [item(f"other{n}", f"Other {n}", description="Something else, at some length.")
                 for n in range(8)]
    upsert_items(db, [
        item("described", "Containers", description="Kubernetes explained."),
        item("titled", "Operating kubernetes clusters for teams that run many services in production",
             description="Clusters explained."),
        *unrelated,
    ], "bundled")

    assert ids(search_catalog(db, "kubernetes")) == ["titled", "described"]


@pytest.mark.parametrize("keywords", ["electronique", "ÉLECTRONIQUE", "électronique"])
def test_search_ignores_accents_and_case(db, keywords):
    upsert_items(db, [item("elec", "Électronique numérique")], "bundled")

    assert ids(search_catalog(db, keywords)) == ["elec"]


@pytest.mark.parametrize(("title", "language", "keywords"), [
    ("Docker containers", "en", "container"),
    ("Running a container", "en", "containers"),
    ("Les réseaux", "fr", "reseau"),
    ("Statistiques", "fr", "statistics"),
    ("Programming basics", "en", "programs"),
])
def test_plurals_and_word_forms_match_in_english_and_french(db, title, language, keywords):
    upsert_items(db, [item("p", title, language=language)], "bundled")

    assert ids(search_catalog(db, keywords)) == ["p"]


def test_a_word_no_longer_matches_a_longer_word_it_begins(db):
    upsert_items(db, [item("js", "JavaScript in depth"), item("java", "Java in depth")], "bundled")

    assert ids(search_catalog(db, "java")) == ["java"]


@pytest.mark.parametrize(("keywords", "expected"), [
    ("C++", ["cpp"]), ("c#", ["cs"]), (".NET", ["cs"]), ("F#", ["fs"]), ("C", ["c"]), ("R", ["r"]),
])
def test_names_written_with_symbols_are_words_of_their_own(db, keywords, expected):
    upsert_items(db, [
        item("cpp", "Modern C++"), item("cs", "C# and .NET"), item("fs", "F# for fun"),
        item("c", "The C language"), item("r", "Statistics with R"),
    ], "bundled")

    assert ids(search_catalog(db, keywords)) == expected


@pytest.mark.parametrize("keywords", ["1=1", "🐍🐍", "a", "the of", "?!", "1 a"])
def test_numbers_single_letters_stop_words_and_symbols_alone_match_nothing(shelf, keywords):
    upsert_items(shelf, [item("u", "A 1 of the things")], "bundled")

    found = search_catalog(shelf, keywords)

    assert (ids(found), found.total) == ([], 0)


def test_query_words_name_symbols_fold_accents_and_drop_what_cannot_match():
    assert query_words("Le C++ pour l'IA, en 2 heures !") == ["cplusplus", "ia", "heures"]


@pytest.mark.parametrize("keywords", ["pandas", "Khan"])
def test_topics_and_source_are_searched(db, keywords):
    upsert_items(db, [item("t", "Tables", topics=["pandas"], source="Khan Academy")], "bundled")

    assert ids(search_catalog(db, keywords)) == ["t"]


def test_all_words_must_match_when_some_row_has_them_all(db):
    upsert_items(db, [item("both", "Python and SQL"), item("one", "Python alone")], "bundled")

    assert ids(search_catalog(db, "python sql")) == ["both"]


def test_rows_with_the_most_words_are_flagged_partial_when_none_has_them_all(db):
    upsert_items(db, [item("two", "Python for data"), item("one", "Python alone"),
                      item("other", "Gardening")], "bundled")

    found = search_catalog(db, "python data cooking")

    assert (ids(found), found.total, found.partial, found.missing) == (["two"], 1, True, ("cooking",))


def test_a_complete_match_is_not_partial(db):
    upsert_items(db, [item("both", "Python and SQL")], "bundled")

    assert search_catalog(db, "python sql").partial is False


def test_a_word_found_nowhere_finds_nothing(shelf):
    assert ids(search_catalog(shelf, "zzyzx")) == []


@pytest.mark.parametrize(("filters", "expected"), [
    ({"types": ["video", "mooc"]}, {"py-video", "py-mooc"}),
    ({"languages": ["fr"]}, {"py-mooc"}),
    ({"level": "advanced"}, {"py-mooc", "py-unknown"}),
    ({"max_minutes": 600}, {"py-video", "py-course", "py-unknown"}),
    ({"min_minutes": 600}, {"py-mooc", "py-course", "py-unknown"}),
    ({"types": ["course"], "languages": ["en"], "level": "intermediate"}, {"py-course"}),
])
def test_filters_apply_with_and_without_keywords(shelf, filters, expected):
    assert set(ids(search_catalog(shelf, "python", **filters))) == expected
    assert set(ids(search_catalog(shelf, "", **filters))) == expected


def test_rows_without_level_or_duration_pass_those_filters(shelf):
    rows = search_catalog(shelf, "odds", level="beginner", max_minutes=1, min_minutes=1)

    assert ids(rows) == ["py-unknown"]


def test_limit_caps_the_rows_but_not_the_total(shelf):
    assert [(len(f.rows), f.total) for f in (search_catalog(shelf, "python", limit=2),
                                             search_catalog(shelf, "", limit=3))] == [(2, 4), (3, 4)]


def test_empty_keywords_list_imported_rows_first_then_by_title(shelf):
    upsert_items(shelf, [item("ours", "Zoology at our company")], "import")

    assert ids(search_catalog(shelf, "  ")) == [
        "ours", "py-mooc", "py-course", "py-video", "py-unknown"]


def test_random_order_returns_the_same_rows_in_varying_order(db):
    upsert_items(db, [item(f"r{n}", f"Rust lesson {n}") for n in range(12)], "bundled")

    orders = [tuple(ids(search_catalog(db, "rust", random_order=True))) for _ in range(5)]

    assert {frozenset(order) for order in orders} == {frozenset(f"r{n}" for n in range(12))}
    assert len(set(orders)) > 1


def test_groups_of_alternatives_match_any_of_their_terms(db):
    upsert_items(db, [item("ml", "Machine learning crash course"), item("ia", "L'IA pour tous", language="fr")],
                 "bundled")

    found = search_catalog(db, [["ml", "machine learning", "ia"]])

    assert set(ids(found)) == {"ml", "ia"}


@pytest.mark.parametrize("hostile", [
    '"python" OR *', "NEAR(", "NEAR(a b", "title:python", "python AND", "-python", "^python",
    '"', "'", "*", "(", ")", "a OR OR b", "{title}: x", "\x00", "x" * 10_000,
])
def test_fts_syntax_in_keywords_never_raises(shelf, hostile):
    assert isinstance(search_catalog(shelf, hostile).rows, list)


@pytest.fixture(scope="module")
def one_row_db():
    database = Database(memory=True)
    catalog_migrations.apply(database)
    upsert_items(database, [item("a", "Python électronique", topics=["x"])], "bundled")
    return database


@settings(max_examples=300, deadline=None)
@given(keywords=st.text())
def test_any_text_is_a_safe_query(one_row_db, keywords):
    assert isinstance(search_catalog(one_row_db, keywords).rows, list)


def test_load_bundled_loads_every_row(db):
    assert load_bundled(db, [item("a", "A"), item("b", "B")]) == 2
    assert db["catalog_items"].count_where("origin = 'bundled'") == 2


def test_load_bundled_does_nothing_when_the_bundle_is_unchanged(db):
    rows = [item("a", "A")]
    load_bundled(db, rows)
    db.execute("update catalog_items set imported_at = 'first load'")

    assert load_bundled(db, rows) == 0
    assert get_item(db, "a")["imported_at"] == "first load"


def test_load_bundled_applies_a_changed_bundle_and_drops_removed_rows(db):
    load_bundled(db, [item("a", "Old title"), item("gone", "Gone")])

    assert load_bundled(db, [item("a", "New title")]) == 1
    assert get_item(db, "a")["title"] == "New title"
    assert get_item(db, "gone") is None


def test_load_bundled_never_overwrites_an_imported_row(db):
    upsert_items(db, [item("a", "Our own version")], "import")

    load_bundled(db, [item("a", "Bundled version"), item("b", "B")])

    assert get_item(db, "a")["title"] == "Our own version"
    assert get_item(db, "a")["origin"] == "import"



def test_load_bundled_removes_dropped_rows_from_the_index(db):
    load_bundled(db, [item("gone", "Astronomy")])
    load_bundled(db, [item("a", "Botany")])

    assert db.execute("select count(*) from catalog_terms").fetchone()[0] == 1


def test_catalog_words_are_the_matchable_words_of_titles_and_topics(db):
    upsert_items(db, [item("a", "Learn C++ fast", topics=["Programmation"])], "bundled")

    assert catalog_words(db) == {"cplusplus", "fast", "programmation"}


def test_catalog_version_changes_when_rows_are_added(db):
    before = catalog_version(db)
    upsert_items(db, [item("a", "A")], "import")

    assert catalog_version(db) != before
