"""Fan-out search: every provider at once, each within its own deadline.

The answer holds whatever arrived in time; each provider that timed out or failed is
named with the reason. Results are de-duplicated across providers and merged fairly:
interleaved by each provider's own rank.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
import unicodedata
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

from providers.errors import ProviderError
from providers.model import LearningObject, Provider, ProviderStatus, SearchOutcome, SearchQuery

logger = logging.getLogger(__name__)

DEFAULT_DEADLINE = 2.5
TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|ref|trk|fbclid|gclid)$")


class ResultCache:
    """A short-lived cache of provider answers for identical queries.

    Keyed by provider, credential fingerprint and query, so answers obtained with one
    person's private credentials are only ever reused for the same credentials.
    """

    def __init__(self, ttl_seconds: float = 120.0, max_entries: int = 2048):
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[tuple, tuple[float, list[LearningObject]]] = {}

    def get(self, key: tuple) -> list[LearningObject] | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: tuple, items: list[LearningObject]) -> None:
        if len(self._entries) >= self.max_entries:
            self._entries.pop(next(iter(self._entries)))
        self._entries[key] = (time.monotonic() + self.ttl, items)


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
) -> SearchOutcome:
    """Query every provider concurrently; never wait longer than `deadline` for any of them."""
    providers = [p for p in providers if not query.providers or p.key in query.providers]
    results = await asyncio.gather(*(_one(p, query, deadline, cache) for p in providers))
    statuses = [status for status, _ in results]
    merged = merge([items for _, items in results])
    return SearchOutcome(items=merged, statuses=statuses)


async def _one(provider: Provider, query: SearchQuery, deadline: float,
               cache: ResultCache | None) -> tuple[ProviderStatus, list[LearningObject]]:
    key = cache_key(provider, query)
    cached = cache.get(key) if cache else None
    if cached is not None:
        return ProviderStatus(provider.key, provider.label, "ok", len(cached)), cached
    try:
        items = await asyncio.wait_for(provider.search(query), timeout=deadline)
    except (asyncio.TimeoutError, TimeoutError):
        return ProviderStatus(provider.key, provider.label, "timeout",
                              reason=f"no answer within {deadline:g} s"), []
    except ProviderError as error:
        return ProviderStatus(provider.key, provider.label, "error", reason=error.sentence), []
    except Exception:
        logger.exception("provider %s failed during search", provider.key)
        return ProviderStatus(provider.key, provider.label, "error", reason="unexpected error"), []
    if cache:
        cache.put(key, items)
    return ProviderStatus(provider.key, provider.label, "ok", len(items)), items


def merge(ranked_lists: list[list[LearningObject]]) -> list[LearningObject]:
    """Interleave each provider's ranked list (round robin), dropping duplicates.

    Two items are the same when their canonical URLs match, or their normalised titles and
    sources match; the first seen (the better ranked) is kept.
    """
    seen: set[str] = set()
    merged: list[LearningObject] = []
    depth = max((len(items) for items in ranked_lists), default=0)
    for rank in range(depth):
        for items in ranked_lists:
            if rank >= len(items):
                continue
            item = items[rank]
            keys = dedupe_keys(item)
            if keys & seen:
                continue
            seen |= keys
            merged.append(item)
    return merged


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
    decomposed = unicodedata.normalize("NFKD", text or "").casefold()
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", stripped).strip()
