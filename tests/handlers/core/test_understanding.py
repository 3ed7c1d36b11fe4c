"""Every phrase of the search evaluation set (bench/search_eval.yaml) is understood as the set says,
in a direct message and after `/learn` alike."""

import json
from pathlib import Path

import pytest
import yaml

from handlers.core import grammar as g
from handlers.core.errors import UsageError
from providers.model import LearningObject, SearchQuery

ROOT = Path(__file__).resolve().parents[3]
CASES = yaml.safe_load((ROOT / "bench" / "search_eval.yaml").read_text(encoding="utf-8"))
CATALOG = {row["id"]: row for row in json.loads((ROOT / "providers" / "data" / "catalog.json").read_text())}


def expected_query(case: dict) -> SearchQuery:
    wanted = dict(case["understood"])
    for name in ("types", "languages", "providers"):
        wanted[name] = tuple(wanted.get(name) or ())
    return SearchQuery(**wanted)


@pytest.mark.parametrize("case", [c for c in CASES if not c.get("refused")], ids=lambda c: c["query"])
@pytest.mark.parametrize("parse", [g.parse_message, g.parse_command], ids=["message", "/learn"])
def test_the_phrase_is_understood_as_the_set_says(case, parse):
    assert parse(case["query"]).query == expected_query(case)


@pytest.mark.parametrize("case", [c for c in CASES if c.get("refused")], ids=lambda c: c["query"])
@pytest.mark.parametrize("parse", [g.parse_message, g.parse_command], ids=["message", "/learn"])
def test_a_phrase_with_nothing_to_search_asks_what_to_learn(case, parse):
    with pytest.raises(UsageError, match="what you want to learn"):
        parse(case["query"])


def test_the_set_has_at_least_80_queries_in_english_and_french():
    french = [c for c in CASES if any(w in c["query"].lower() for w in ("apprendre", "cours", " en ", "débutant",
                                                                          "moins", "entre", "sur "))]
    assert len(CASES) >= 80 and len(french) >= 15


@pytest.mark.parametrize("case", [c for c in CASES if c["relevant"]], ids=lambda c: c["query"])
def test_every_relevant_item_exists_and_passes_the_understood_filters(case):
    query = expected_query(case)
    for item_id in case["relevant"]:
        row = CATALOG[item_id]
        item = LearningObject(id=row["id"], provider="catalog", title=row["title"], url=row["url"],
                              type=row["type"], language=row["language"],
                              duration_minutes=row["duration_minutes"], level=row["level"])
        assert query.matches(item), f"{item_id} does not pass the filters of {case['query']!r}"
