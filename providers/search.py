"""Fan-out search: every provider at once, each within its own deadline.

The answer holds whatever arrived in time; each provider that timed out or failed is
named with the reason. Results are de-duplicated across providers and ranked once, by
reciprocal rank fusion of each provider's order with the title, language and level fit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit, urlunsplit

from cachetools import TTLCache

from providers.errors import ProviderError
from providers.model import (
    Correction,
    LearningObject,
    LocalSearch,
    PagedSearch,
    Provider,
    ProviderPage,
    ProviderStatus,
    SearchOutcome,
    SearchQuery,
    Suggestion,
)
from providers.vocabulary import Equivalents, Speller, guess_language
from store.catalog import STEMMERS, query_words

logger = logging.getLogger(__name__)

DEFAULT_DEADLINE = 2.5
TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|ref|trk|fbclid|gclid)$")


class ResultCache:
    """A short-lived cache of provider answers for identical queries, bounded by age and size.

    Keyed by provider, credential fingerprint and query, so answers obtained with one
    person's private credentials are only ever reused for the same credentials. Entries
    older than `ttl_seconds` are dropped as soon as the cache is touched, and the least
    recently used go when `max_entries` are held.
    """

    def __init__(self, ttl_seconds: float = 120.0, max_entries: int = 2048):
        self._entries: TTLCache[tuple, ProviderPage] = TTLCache(maxsize=max_entries, ttl=ttl_seconds)

    def __len__(self) -> int:
        self._entries.expire()
        return len(self._entries)

    def get(self, key: tuple) -> ProviderPage | None:
        return self._entries.get(key)

    def put(self, key: tuple, page: ProviderPage) -> None:
        self._entries[key] = page


def cache_key(provider: Provider, query: SearchQuery) -> tuple:
    fingerprint = getattr(provider, "credential_fingerprint", "")
    return (provider.key, fingerprint, query)


def credential_fingerprint(credentials: dict[str, str]) -> str:
    """A one-way fingerprint of a credential set, safe to keep in memory as a cache key."""
    joined = "\x1f".join(f"{k}={v}" for k, v in sorted(credentials.items()))
    return hashlib.sha256(joined.encode()).hexdigest()[:16]


async def fan_out(
    providers: Iterable[Provider],
    query: SearchQuery,
    *,
    deadline: float = DEFAULT_DEADLINE,
    cache: ResultCache | None = None,
    languages: Sequence[str] = (),
    speller: Speller | None = None,
    equivalents: Equivalents | None = None,
) -> SearchOutcome:
    """Query every provider concurrently; never wait longer than `deadline` for any of them.

    Results are ranked once (`fuse`), favouring `languages` (the person's: from their
    preferences, else their Slack locale; when none, the language the words are written
    in). With a `speller`, a search that finds little because of an unknown word is run
    again with the closest known word, and the outcome says so. When nothing is found the
    outcome carries suggestions. `equivalents` is the synonyms table used to rank titles.
    """
    providers = [p for p in providers if not query.providers or p.key in query.providers]
    words = query_words(query.keywords)
    if query.keywords.strip() and not words:
        return SearchOutcome(unsearchable=True)
    rank = Ranking(tuple(languages) or (guess_language(query.keywords),), equivalents or Equivalents())
    outcome = await _search(providers, query, deadline, cache, rank)
    if speller is not None:
        speller.learn(outcome.items)
        if len(outcome.items) < FEW:
            outcome = await _corrected(providers, query, words, outcome, speller, deadline, cache, rank)
    if not outcome.items:
        outcome.suggestions = suggestions(providers, query, words, speller)
    return outcome


FEW = 3  # a search finding fewer items than this tries a spelling correction


@dataclasses.dataclass(frozen=True, slots=True)
class Ranking:
    """What the fused ranking favours besides the providers' own order."""

    languages: tuple[str, ...]
    equivalents: Equivalents


async def _search(providers: list[Provider], query: SearchQuery, deadline: float,
                  cache: ResultCache | None, rank: Ranking) -> SearchOutcome:
    results = await asyncio.gather(*(_one(p, query, deadline, cache) for p in providers))
    statuses = [status for status, _ in results]
    pages = [page for _, page in results]
    partial = frozenset(item.ref for page in pages if page.partial for item in page.items)
    ranked = fuse([page.items for page in pages], query, languages=rank.languages, partial_refs=partial,
                  equivalents=rank.equivalents)
    total, lower_bound = _total(query, pages, statuses)
    missing = tuple(dict.fromkeys(word for page in pages if page.partial for word in page.missing_words))
    return SearchOutcome(items=ranked, statuses=statuses, total=total, total_is_lower_bound=lower_bound,
                         partial_refs=partial & {item.ref for item in ranked}, missing_words=missing)


async def _corrected(providers: list[Provider], query: SearchQuery, words: list[str],
                     outcome: SearchOutcome, speller: Speller, deadline: float,
                     cache: ResultCache | None, rank: Ranking) -> SearchOutcome:
    """The outcome for the query with its unknown words corrected, if that finds more."""
    fixes = {word: speller.correct(word) for word in words}
    fixes = {word: fixed for word, fixed in fixes.items() if fixed}
    if not fixes:
        return outcome
    keywords = " ".join(fixes.get(word, word) for word in words)
    better = await _search(providers, dataclasses.replace(query, keywords=keywords), deadline, cache, rank)
    if len(better.items) <= len(outcome.items):
        return outcome
    better.correction = Correction(" ".join(fixes), " ".join(fixes.values()))
    return better


def _total(query: SearchQuery, pages: list[ProviderPage],
           statuses: list[ProviderStatus]) -> tuple[int, bool]:
    """Items matching across providers, and whether that is only a lower bound.

    Partial matches count only when no provider found an item with every word.
    """
    answered = [page for page, status in zip(pages, statuses) if status.state == "ok"]
    complete = [page for page in answered if page.items and not page.partial]
    total, lower_bound = 0, False
    for page in complete or answered:
        if page.total is not None:
            total += page.total
        else:
            total += len(page.items)
            lower_bound |= len(page.items) >= query.limit
    return total, lower_bound


async def _one(provider: Provider, query: SearchQuery, deadline: float,
               cache: ResultCache | None) -> tuple[ProviderStatus, ProviderPage]:
    key = cache_key(provider, query)
    page = cache.get(key) if cache is not None else None
    if page is None:
        try:
            page = await asyncio.wait_for(_page(provider, query), timeout=deadline)
        except TimeoutError:
            return ProviderStatus(provider.key, provider.label, "timeout",
                                  reason=f"no answer within {deadline:g} s"), ProviderPage([])
        except ProviderError as error:
            return ProviderStatus(provider.key, provider.label, "error", reason=error.sentence), ProviderPage([])
        except Exception:
            logger.exception("provider %s failed during search", provider.key)
            return ProviderStatus(provider.key, provider.label, "error",
                                  reason="unexpected error"), ProviderPage([])
        if cache is not None:
            cache.put(key, page)
    return ProviderStatus(provider.key, provider.label, "ok", len(page.items), total=page.total), page


async def _page(provider: Provider, query: SearchQuery) -> ProviderPage:
    if isinstance(provider, PagedSearch):
        return await provider.search_page(query)
    return ProviderPage(await provider.search(query))


# --- Nothing found ---------------------------------------------------------------------------

FILTERS = {  # SearchQuery field → (its value when unset, how a suggestion names it)
    "types": ((), "type"),
    "languages": ((), "language"),
    "providers": ((), "provider"),
    "level": (None, "level"),
    "max_minutes": (None, "maximum duration"),
    "min_minutes": (None, "minimum duration"),
}


def suggestions(providers: list[Provider], query: SearchQuery, words: list[str],
                speller: Speller | None) -> tuple[Suggestion, ...]:
    """What may help when nothing was found: a close known word, the filter that removed
    the most (counted by the providers that can answer at once: the local catalog), and
    related known words."""
    found: list[Suggestion] = []
    close = {word: speller.close(word) for word in words} if speller else {}
    first = {word: options[0] for word, options in close.items() if options}
    if first:
        keywords = " ".join(first.get(word, word) for word in words)
        found.append(Suggestion("correction", f"Did you mean {keywords}?",
                                dataclasses.replace(query, keywords=keywords)))
    local = [p for p in providers if isinstance(p, LocalSearch)]
    best = max((_without(query, name, local) for name in FILTERS if getattr(query, name) != FILTERS[name][0]),
               key=lambda suggestion: suggestion.found or 0, default=None)
    if best is not None and best.found:
        found.append(best)
    for word, options in close.items():
        for option in options[1:]:
            keywords = " ".join(option if other == word else other for other in words)
            found.append(Suggestion("related", f"Related: {keywords}",
                                    dataclasses.replace(query, keywords=keywords)))
    return tuple(found)


def _without(query: SearchQuery, name: str, local: list[LocalSearch]) -> Suggestion:
    unset, label = FILTERS[name]
    wider = dataclasses.replace(query, **{name: unset})
    found = sum(provider.find(wider).total or 0 for provider in local)
    return Suggestion("drop_filter", f"Without the {label} filter: {found} found", wider, found)


# --- Ranking --------------------------------------------------------------------------------

RRF_K = 60  # the usual reciprocal rank fusion constant: rank r of a provider scores 1 / (60 + r)
TITLE_WEIGHT = 1 / RRF_K  # every word in the title is worth as much as a first place elsewhere
LANGUAGE_WEIGHT = 2 / RRF_K  # the language a person reads outweighs a title match
LEVEL_WEIGHT = 0.5 / RRF_K
PARTIAL_PENALTY = 1.0  # more than any score: items with only some words come after the rest


def fuse(ranked_lists: list[list[LearningObject]], query: SearchQuery | None = None, *,
         languages: Sequence[str] = (), partial_refs: frozenset[str] = frozenset(),
         equivalents: Equivalents | None = None) -> list[LearningObject]:
    """One ranking of every provider's ranked list, duplicates merged.

    Reciprocal rank fusion of each provider's order (an item several providers found adds
    their scores), plus the share of the query's words in the title, the person's
    `languages` and the level asked for. Two items are the same when their canonical URLs
    match, or their normalised titles and sources match; the better ranked copy is kept.
    """
    scores: dict[str, float] = {}
    kept: dict[str, LearningObject] = {}
    alias: dict[str, str] = {}
    for rank in range(max((len(items) for items in ranked_lists), default=0)):
        for items in ranked_lists:  # round-robin order settles ties
            if rank >= len(items):
                continue
            item = items[rank]
            keys = dedupe_keys(item)
            ref = next((alias[key] for key in keys if key in alias), item.ref)
            if ref not in kept:
                kept[ref] = item
            alias.update(dict.fromkeys(keys, ref))
            scores[ref] = scores.get(ref, 0.0) + 1 / (RRF_K + rank + 1)
    if query is not None:
        groups = [[_stem_set(term) for term in group]
                  for group in (equivalents or Equivalents()).expand(query_words(query.keywords))]
        for ref, item in kept.items():
            scores[ref] += _fit(item, query, groups, languages) - PARTIAL_PENALTY * (ref in partial_refs)
    refs = list(kept)
    refs.sort(key=lambda ref: -scores[ref])  # stable: ties keep the round-robin order
    return [kept[ref] for ref in refs]


def merge(ranked_lists: list[list[LearningObject]]) -> list[LearningObject]:
    """Every provider's ranked list in one, duplicates merged (rank fusion alone)."""
    return fuse(ranked_lists)


def _fit(item: LearningObject, query: SearchQuery, groups: list[list[set[str]]],
         languages: Sequence[str]) -> float:
    score = 0.0
    if groups:
        title = _stem_set(item.title)
        in_title = sum(any(term <= title for term in group) for group in groups)
        score += TITLE_WEIGHT * in_title / len(groups)
    if languages and item.language in languages:
        score += LANGUAGE_WEIGHT
    if query.level and item.level == query.level:
        score += LEVEL_WEIGHT
    return score


def _stem_set(text: str) -> set[str]:
    words = query_words(text)
    return {stem for stemmer in STEMMERS.values() for stem in stemmer.stemWords(words)}


def dedupe_keys(item: LearningObject) -> set[str]:
    keys = {"url:" + canonical_url(item.url)}
    title = normalise(item.title)
    if title:
        keys.add(f"title:{title}|{normalise(item.source)}")
    return keys


def canonical_url(url: str) -> str:
    """Lower-case host without `www.`, no scheme, fragment, tracking parameters or trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = "&".join(p for p in parts.query.split("&")
                     if p and not TRACKING_PARAMS.match(p.split("=", 1)[0].lower()))
    return urlunsplit(("", host, parts.path.rstrip("/"), query, ""))


def normalise(text: str) -> str:
    text = text or ""
    if text.isascii():
        stripped = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text).casefold()
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", stripped).strip()
