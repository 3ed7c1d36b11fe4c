"""The fan-out search: deadlines, one fused ranking, honest totals, spelling help, suggestions, cache."""

import asyncio
import time

import pytest
from sqlite_utils import Database

from providers.catalog import CatalogProvider
from providers.errors import ProviderError
from providers.model import LearningObject, ProviderPage, SearchQuery
from providers.search import ResultCache, fan_out, fuse, merge
from providers.vocabulary import Equivalents, Speller
from store.catalog import catalog_migrations, upsert_items


def item(provider, n, title=None, **fields):
    return LearningObject(id=str(n), provider=provider, title=title or f"{provider} item {n}",
                          url=f"https://{provider}.example/{n}", **fields)


class Listed:
    """A provider answering a fixed list, after `delay` seconds (or failing with `error`)."""

    can_enroll = False

    def __init__(self, key, items, delay=0.0, error=None):
        self.key, self.label, self.items, self.delay, self.error = key, key.title(), items, delay, error
        self.calls = 0

    async def search(self, query):
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.error:
            raise self.error
        return self.items[:query.limit]


def search(providers, query, **options):
    return asyncio.run(fan_out(providers, query, **options))


@pytest.fixture
def catalog():
    db = Database(memory=True)
    catalog_migrations.apply(db)
    upsert_items(db, [
        {"id": "py", "title": "Python basics", "url": "https://e.org/py", "type": "video", "language": "en",
         "topics": ["python"]},
        {"id": "py-fr", "title": "Python pour débutants", "url": "https://e.org/pyfr", "type": "course",
         "language": "fr", "topics": ["python", "programmation"]},
        {"id": "ml", "title": "Machine learning crash course", "url": "https://e.org/ml", "type": "mooc",
         "language": "en", "topics": ["machine learning"]},
    ], "bundled")
    return CatalogProvider(db)


# --- deadlines and failures --------------------------------------------------------------------

def test_a_slow_provider_is_named_and_the_others_are_kept():
    fast, slow = Listed("fast", [item("fast", 1)]), Listed("slow", [item("slow", 1)], delay=1)

    outcome = search([fast, slow], SearchQuery("xml"), deadline=0.05)

    assert [i.provider for i in outcome.items] == ["fast"]
    assert [(s.key, s.state) for s in outcome.statuses] == [("fast", "ok"), ("slow", "timeout")]


def test_a_failing_provider_is_named_with_its_reason():
    broken = Listed("broken", [], error=ProviderError("Broken", "is down"))

    (status,) = search([broken], SearchQuery("xml")).statuses

    assert (status.state, status.reason) == ("error", broken.error.sentence)


# --- ranking -----------------------------------------------------------------------------------

def test_fusion_without_other_signals_interleaves_by_rank():
    a = [item("a", n) for n in range(3)]
    b = [item("b", n) for n in range(2)]

    assert [i.ref for i in merge([a, b])] == ["a:0", "b:0", "a:1", "b:1", "a:2"]


def test_an_item_several_providers_found_ranks_above_single_finds():
    shared = item("a", 9, "Shared course")
    copy = LearningObject(id="x", provider="b", title="Shared course", url="https://a.example/9/")

    ranked = fuse([[item("a", 1), shared], [item("b", 1), copy]])

    assert ranked[0] is shared
    assert len(ranked) == 3


def test_duplicates_are_merged_keeping_the_better_ranked_copy():
    first = item("a", 1, "Docker in depth")
    again = LearningObject(id="z", provider="b", title="Docker in depth", url="https://a.example/1?utm_source=x")

    assert fuse([[first], [item("b", 0), again]]) == [first, item("b", 0)]


def test_the_title_match_lifts_an_item_above_a_better_provider_rank():
    vague = item("a", 1, "Everything about computing")
    exact = item("b", 5, "Kubernetes in practice")

    ranked = fuse([[vague], [item("b", 0, "Other"), exact]], SearchQuery("kubernetes"))

    assert ranked.index(exact) < ranked.index(vague)


def test_the_persons_languages_come_first_when_ranks_are_equal():
    french = item("a", 1, "Git en pratique", language="fr")
    english = item("b", 1, "Git in practice", language="en")

    assert fuse([[french], [english]], SearchQuery("git"), languages=("en",))[0] is english
    assert fuse([[french], [english]], SearchQuery("git"))[0] is french


def test_the_level_asked_for_comes_first_when_ranks_are_equal():
    advanced = item("a", 1, "SQL tuning", level="advanced")
    beginner = item("b", 1, "SQL first steps", level="beginner")

    assert fuse([[advanced], [beginner]], SearchQuery("sql", level="beginner"))[0] is beginner


def test_items_matching_only_some_words_come_after_complete_matches():
    partial = item("a", 0, "Python")
    complete = item("b", 9, "Other")

    ranked = fuse([[partial], [*(item("b", n) for n in range(9)), complete]], SearchQuery("python data"),
                  partial_refs=frozenset({partial.ref}))

    assert ranked[-1] is partial


def test_a_synonym_in_the_title_counts_as_a_title_match():
    written_out = item("b", 3, "Machine learning explained")
    other = item("a", 1, "Statistics")

    ranked = fuse([[other], [item("b", 0), item("b", 1), item("b", 2), written_out]], SearchQuery("ML"),
                  equivalents=Equivalents())

    assert ranked.index(written_out) < ranked.index(other)


# --- totals and partial matches -----------------------------------------------------------------

def test_the_catalog_reports_its_real_total_beyond_the_page(catalog):
    outcome = search([catalog], SearchQuery("python", limit=1))

    assert (len(outcome.items), outcome.total, outcome.total_is_lower_bound) == (1, 2, False)
    assert outcome.statuses[0].total == 2


def test_a_provider_that_fills_its_page_without_a_total_gives_a_lower_bound(catalog):
    full = Listed("remote", [item("remote", n) for n in range(5)])

    outcome = search([catalog, full], SearchQuery("python", limit=5))

    assert (outcome.total, outcome.total_is_lower_bound) == (7, True)


def test_a_provider_with_fewer_items_than_its_page_gives_an_exact_total():
    short = Listed("remote", [item("remote", n) for n in range(3)])

    outcome = search([short], SearchQuery("python", limit=5))

    assert (outcome.total, outcome.total_is_lower_bound) == (3, False)


def test_partial_catalog_matches_are_marked_on_the_outcome(catalog):
    outcome = search([catalog], SearchQuery("python cooking"))

    assert outcome.partial
    assert outcome.partial_refs == {"catalog:py", "catalog:py-fr"}
    assert outcome.missing_words == ("cooking",)


def test_complete_matches_are_not_marked_partial(catalog):
    assert not search([catalog], SearchQuery("python")).partial


@pytest.mark.parametrize("keywords", ["🐍🐍", "1=1", "?!", "the"])
def test_keywords_with_nothing_to_search_ask_for_a_topic_without_searching(catalog, keywords):
    remote = Listed("remote", [item("remote", 1)])

    outcome = search([catalog, remote], SearchQuery(keywords))

    assert (outcome.unsearchable, outcome.items, remote.calls) == (True, [], 0)


# --- synonyms, translations and spelling --------------------------------------------------------

@pytest.mark.parametrize("keywords", ["ML", "machine learning", "apprentissage automatique"])
def test_abbreviations_and_translations_find_the_same_items(catalog, keywords):
    assert [i.id for i in search([catalog], SearchQuery(keywords)).items] == ["ml"]


def test_a_typo_is_corrected_from_the_catalog_words_and_the_outcome_says_so(catalog):
    outcome = search([catalog], SearchQuery("pyhton"), speller=Speller(catalog.words))

    assert {i.id for i in outcome.items} == {"py", "py-fr"}
    assert str(outcome.correction) == "Showing results for python (you wrote pyhton)"


def test_a_word_seen_in_recent_provider_results_can_correct_a_typo():
    remote = Listed("remote", [item("remote", 1, "Terraform modules")])
    speller = Speller()
    search([remote], SearchQuery("modules"), speller=speller)

    assert speller.correct("terrafrom") == "terraform"


def test_a_search_that_finds_enough_is_not_corrected(catalog):
    outcome = search([catalog], SearchQuery("python"), speller=Speller(lambda: {"pythons"}))

    assert outcome.correction is None


# --- nothing found ------------------------------------------------------------------------------

def test_nothing_found_suggests_dropping_the_filter_that_removed_the_most(catalog):
    outcome = search([catalog], SearchQuery("python", types=("podcast",), languages=("en",)))

    (suggestion,) = [s for s in outcome.suggestions if s.kind == "drop_filter"]
    assert (suggestion.query.types, suggestion.query.languages, suggestion.found) == ((), ("en",), 1)
    assert suggestion.text == "Without the type filter: 1 found"


def test_nothing_found_suggests_close_known_words(catalog):
    outcome = search([catalog], SearchQuery("pythn", types=("podcast",)), speller=Speller(catalog.words))

    assert [(s.kind, s.query.keywords) for s in outcome.suggestions][0] == ("correction", "python")


def test_something_found_carries_no_suggestions(catalog):
    assert search([catalog], SearchQuery("python")).suggestions == ()


# --- cache --------------------------------------------------------------------------------------

def test_the_cache_answers_an_identical_query_without_asking_again():
    provider = Listed("p", [item("p", 1)])
    cache = ResultCache()

    search([provider], SearchQuery("xml"), cache=cache)
    again = search([provider], SearchQuery("xml"), cache=cache)

    assert (provider.calls, [i.ref for i in again.items]) == (1, ["p:1"])


def test_expired_entries_are_evicted_though_the_cache_is_far_from_full():
    cache = ResultCache(ttl_seconds=0.05, max_entries=100)
    cache.put(("a",), ProviderPage([]))
    time.sleep(0.1)

    assert (cache.get(("a",)), len(cache)) == (None, 0)


def test_the_cache_holds_at_most_its_size():
    cache = ResultCache(max_entries=3)
    for n in range(10):
        cache.put((n,), ProviderPage([]))

    assert len(cache) == 3
    assert cache.get((9,)) is not None and cache.get((0,)) is None


# --- the language a query is written in ---------------------------------------------------------

@pytest.mark.parametrize(("keywords", "first"), [
    ("python", "catalog:py"), ("python pour débutants", "catalog:py-fr"), ("programmation python", "catalog:py-fr"),
])
def test_without_languages_of_their_own_the_language_of_the_words_comes_first(catalog, keywords, first):
    outcome = search([catalog], SearchQuery(keywords))

    assert outcome.items[0].ref == first


def test_the_persons_languages_win_over_the_language_of_the_words(catalog):
    assert search([catalog], SearchQuery("python"), languages=("fr",)).items[0].ref == "catalog:py-fr"


def test_partial_matches_do_not_count_in_the_total_when_another_provider_matched_every_word(catalog):
    remote = Listed("remote", [item("remote", 1, "Python cooking")])

    outcome = search([catalog, remote], SearchQuery("python cooking"))

    assert (outcome.total, outcome.items[0].ref) == (1, "remote:1")
    assert outcome.partial_refs == {"catalog:py", "catalog:py-fr"}
