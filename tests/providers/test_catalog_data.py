"""The starter catalog bundled in providers/data/catalog.json."""

import json
from collections import Counter
from importlib import resources

import pytest
from sqlite_utils import Database

import providers.catalog as catalog_module
from providers.catalog import load_bundled_catalog, validate_rows
from providers.model import TYPES
from store.catalog import catalog_migrations, search_catalog

FIELDS = {"id", "title", "url", "provider", "type", "language", "duration_minutes", "level",
          "description", "topics"}


@pytest.fixture(scope="module")
def raw_rows():
    text = resources.files("providers").joinpath("data", "catalog.json").read_text("utf-8")
    return json.loads(text)


def test_every_row_passes_the_import_validation(raw_rows):
    _, errors = validate_rows(raw_rows)

    assert [str(error) for error in errors] == []


def test_every_row_fills_every_field(raw_rows):
    incomplete = [row.get("id") for row in raw_rows
                  if set(row) != FIELDS or any(row[name] in ("", None, []) for name in FIELDS)]

    assert incomplete == []


def test_the_catalog_holds_at_least_150_resources(raw_rows):
    assert len(raw_rows) >= 150


def test_at_least_40_resources_are_in_french(raw_rows):
    assert Counter(row["language"] for row in raw_rows)["fr"] >= 40


@pytest.mark.parametrize("kind", TYPES)
def test_each_type_has_at_least_15_resources(raw_rows, kind):
    assert Counter(row["type"] for row in raw_rows)[kind] >= 15


@pytest.mark.parametrize("name", ["id", "url"])
def test_ids_and_urls_are_unique(raw_rows, name):
    repeated = [value for value, count in Counter(row[name] for row in raw_rows).items()
                if count > 1]

    assert repeated == []


def test_every_url_is_https(raw_rows):
    assert [row["url"] for row in raw_rows if not row["url"].startswith("https://")] == []


def test_languages_are_english_or_french(raw_rows):
    assert {row["language"] for row in raw_rows} == {"en", "fr"}


def test_topics_are_lowercase(raw_rows):
    assert [row["id"] for row in raw_rows if any(t != t.lower() for t in row["topics"])] == []


def test_podcast_durations_say_they_are_per_episode(raw_rows):
    unclear = [row["id"] for row in raw_rows if row["type"] == "podcast"
               and "per episode" not in row["description"]
               and "par épisode" not in row["description"]]

    assert unclear == []


def test_the_bundled_rows_load_and_are_searchable_in_both_languages():
    db = Database(memory=True)
    catalog_migrations.apply(db)

    loaded = load_bundled_catalog(db)

    assert loaded == db["catalog_items"].count_where("origin = 'bundled'") >= 150
    assert search_catalog(db, "python", languages=["en"]).rows
    assert search_catalog(db, "programmation", languages=["fr"]).rows
    assert search_catalog(db, "securite", languages=["fr"]).rows


def test_an_unchanged_bundle_is_not_read_again_at_the_next_start(monkeypatch):
    db = Database(memory=True)
    catalog_migrations.apply(db)
    first = load_bundled_catalog(db)
    checked = []
    monkeypatch.setattr(catalog_module, "validate_rows", lambda *args: checked.append(args))

    assert (first, load_bundled_catalog(db), checked) == (db["catalog_items"].count, 0, [])


def test_a_changed_bundle_is_loaded_again(monkeypatch):
    db = Database(memory=True)
    catalog_migrations.apply(db)
    load_bundled_catalog(db)
    changed = catalog_module._bundle_text().replace("The Python Tutorial", "The Python Tutorial, 3rd edition")
    monkeypatch.setattr(catalog_module, "_bundle_text", lambda: changed)

    assert load_bundled_catalog(db) > 0
    assert search_catalog(db, "3rd edition").rows[0]["id"] == "python-tutorial"
