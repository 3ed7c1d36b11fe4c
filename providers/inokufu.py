"""Inokufu Learning Object API v2: one index of videos, MOOCs, podcasts and apps.

Reached directly (header `x-api-key`) or through RapidAPI (`x-rapidapi-key` plus
`x-rapidapi-host`). Over its life the service has answered `/search` in three JSON shapes
(REFERENCE.md §1.2); `entries_of` accepts all of them. Its items carry no ids, so an
item's id is a hash of its URL. Inokufu only lists items: nothing can be enrolled in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import math
from collections.abc import Mapping
from typing import Any

import httpx

from providers.base import HttpClient
from providers.errors import BadRequest, BadResponse, NotConfigured
from providers.model import CredentialField, EnrollmentResult, Learner, LearningObject, Price, SearchQuery
from providers.registry import Persist, ProviderSpec
from providers.search import credential_fingerprint, merge

DIRECT_URL = "https://api.inokufu.com/learningobject/v2"
RAPIDAPI_URL = "https://learning-objects-v2.p.rapidapi.com"
URL_ENV = "LEARNBOT_INOKUFU_URL"

LANGUAGES = ("en", "fr")  # the only languages the service supports
MAX_PER_SEARCH = 20  # the documented range of `max` is 1–20

# Our type names → Inokufu's. Inokufu has no plain "course": MOOCs are its courses.
SEARCH_TYPES = {"video": "video", "mooc": "mooc", "podcast": "podcast", "app": "app", "course": "mooc"}
# `type` takes one value; no document gives a way to ask for several at once. Sent empty it
# means every type: the folder document's own example echoes `"type": ""`, and the docs of
# 21 May 2021 say "If empty, response will include LO of any type" (REFERENCE.md §1.2). So a
# search with no type asked is one request, not one per type.
ANY_TYPE = ""

# The folder document accepts `best|random`; later public docs renamed `best` to
# `popularity` (REFERENCE.md §1.2, CONFLICT). We follow the folder document, our contract.
SORTS = {"best": "best", "random": "random"}

# `p` counts pages. Reading to learn runs at roughly two minutes a page, so a page-counted
# item gets an estimated duration rather than none: people filter on duration.
MINUTES_PER_UNIT = {"h": 60.0, "min": 1.0, "p": 2.0}

CURRENCY_CODES = {"$": "USD", "€": "EUR", "£": "GBP"}
NO_RESULTS = "C00"  # `msg` code: "No result to display for this query"


class InokufuClient:
    """Searches Inokufu's index and reads its lookup lists (types, languages, Bloom levels, sources)."""

    key = "inokufu"
    label = "Inokufu"
    can_enroll = False

    def __init__(self, http: HttpClient, credentials: dict[str, str], env: Mapping[str, str] = {},
                 persist: Persist | None = None):
        api_key = credentials.get("api_key")
        if not api_key:
            raise NotConfigured(self.label)
        self.http = http
        self.credential_fingerprint = credential_fingerprint(credentials)
        self.rapidapi = is_true(credentials.get("rapidapi"))
        # The hub builds the HttpClient from LEARNBOT_INOKUFU_URL or the direct URL; a RapidAPI
        # key with no URL set belongs to the RapidAPI host instead.
        self.base_url = RAPIDAPI_URL if self.rapidapi and not env.get(URL_ENV) else http.base_url
        self._headers = auth_headers(api_key, self.rapidapi, self.base_url)

    def __repr__(self) -> str:
        return f"InokufuClient(base_url={self.base_url!r}, rapidapi={self.rapidapi})"

    async def search(self, query: SearchQuery) -> list[LearningObject]:
        """One request for one language and any or one type (the usual search); otherwise one
        per asked language and type, run together and merged by rank.

        `lang` and `type` each take a single value, so several languages or several types
        cannot share a request; asking every type and filtering here would not work, as the
        folder document's answer does not say each entry's type.
        """
        searches = [self._search_one(query, lang, kind)
                    for lang in search_languages(query) for kind in search_types(query)]
        if len(searches) == 1:
            return (await searches[0])[: query.limit]
        results = await asyncio.gather(*searches, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return merge(results)[: query.limit]

    async def _search_one(self, query: SearchQuery, lang: str, kind: str) -> list[LearningObject]:
        """`max` is at most 20, so a longer list (`more` past the first 20) is read page by page
        (`page` 0, 1, …) until it is long enough or a page comes back short."""
        items: list[LearningObject | None] = []
        for page in range(math.ceil(max(query.limit, 1) / MAX_PER_SEARCH)):
            response = await self.http.request("GET", f"{self.base_url}/search", headers=self._headers,
                                               params=search_params(query, lang, kind, page))
            entries = entries_of(HttpClient.json(response, self.label), self.label)
            items += [to_learning_object(entry, lang, kind) for entry in entries]
            if len(entries) < MAX_PER_SEARCH:
                break
        # The service filters type and language itself, but duration only for videos and
        # level not at all: check what is left here.
        remaining = dataclasses.replace(query, types=(), languages=())
        return [item for item in items if item is not None and remaining.matches(item)]

    async def enroll(self, item: LearningObject, learner: Learner, *,
                     idempotency_key: str | None = None) -> EnrollmentResult:
        raise BadRequest(self.label, "Inokufu items can be opened and saved, not enrolled in.")

    async def types(self) -> list[str]:
        """Learning-object types the service knows (`video`, `mooc`, …)."""
        return [entry["type"] for entry in await self._lookup("type") if entry.get("type")]

    async def languages(self) -> list[str]:
        return [entry["lang"] for entry in await self._lookup("lang") if entry.get("lang")]

    async def providers(self) -> dict[str, str]:
        """Inokufu's own sources (YouTube, Coursera…), name by id."""
        return {entry["id"]: entry.get("name") or entry["id"]
                for entry in await self._lookup("provider") if entry.get("id")}

    async def _lookup(self, path: str) -> list[dict[str, Any]]:
        response = await self.http.request("GET", f"{self.base_url}/{path}", headers=self._headers)
        data = HttpClient.json(response, self.label)
        if isinstance(data, dict):  # `/provider` wraps its list in `response`; the others are bare
            data = data.get("response", [])
        if not isinstance(data, list):
            raise BadResponse(self.label)
        return [entry for entry in data if isinstance(entry, dict)]


def is_true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def auth_headers(api_key: str, rapidapi: bool, base_url: str) -> dict[str, str]:
    if rapidapi:
        return {"x-rapidapi-key": api_key, "x-rapidapi-host": httpx.URL(base_url).host}
    return {"x-api-key": api_key}


def search_languages(query: SearchQuery) -> list[str]:
    """The asked languages Inokufu supports; English when none is asked."""
    if not query.languages:
        return ["en"]
    return [lang for lang in dict.fromkeys(query.languages) if lang in LANGUAGES]


def search_types(query: SearchQuery) -> list[str]:
    """Inokufu's names of the asked types, each once; `ANY_TYPE` alone when none is asked."""
    if not query.types:
        return [ANY_TYPE]
    return list(dict.fromkeys(SEARCH_TYPES[kind] for kind in query.types if kind in SEARCH_TYPES))


def search_params(query: SearchQuery, lang: str, kind: str, page: int = 0) -> dict[str, str | int]:
    params: dict[str, str | int] = {
        "keywords": query.keywords,
        "lang": lang,
        "type": kind,
        "model": "strict",  # fewer, more relevant results than `extended`
        # The folder document marks `bloom` required, yet its own example echoes `"bloom": ""`
        # and later docs make it optional: send it empty so every Bloom level is searched.
        "bloom": "",
        "sort": SORTS.get(query.sort, "best"),
        "max": min(max(query.limit, 1), MAX_PER_SEARCH),
        "page": page,
    }
    if kind == "video":  # the service applies duration bounds to videos only
        if query.max_minutes is not None:
            params["learningTimeMax"] = query.max_minutes
        if query.min_minutes is not None:
            params["learningTimeMin"] = query.min_minutes
    return params


def entries_of(data: Any, label: str) -> list[dict[str, Any]]:
    """The result entries of any documented `/search` shape.

    (a) `{"response": [...]}`; (b) and (c) `{"response": {"content": [...], "metadata": {...},
    "msg": "A00 - ..."}}`, where a `C00` message means there is nothing to show.
    """
    response = data.get("response") if isinstance(data, dict) else None
    if isinstance(response, dict):
        if str(response.get("msg") or data.get("msg") or "").startswith(NO_RESULTS):
            return []
        response = response.get("content", [])
    if not isinstance(response, list):
        raise BadResponse(label)
    return [entry for entry in response if isinstance(entry, dict)]


def to_learning_object(entry: dict[str, Any], lang: str, kind: str) -> LearningObject | None:
    """Map one entry; None when it lacks the only two fields the service promises (title, url)."""
    title = text(entry.get("title"))
    url = present(entry.get("url"))
    if not title or not isinstance(url, str):
        return None
    return LearningObject(
        id=hashlib.sha256(url.strip().encode()).hexdigest()[:16],
        provider=InokufuClient.key,
        title=title,
        url=url.strip(),
        source=", ".join(source_names(entry)),
        description=text(entry.get("description")),
        type=item_type(entry, kind),
        language=present(entry.get("lang")) or lang,
        duration_minutes=duration_minutes(entry),
        level=level_name(entry.get("level")),
        image=picture(entry),
        price=price(entry.get("PriceSpecification")),
    )


def present(value: Any) -> Any:
    """`value`, or None for the service's ways of saying "no value": null, "", "nan", -1."""
    if isinstance(value, str) and value.strip().lower() in ("", "nan"):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == -1:
        return None
    return value


def number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        parsed = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(parsed) else parsed


def text(value: Any) -> str:
    """Trimmed text with double-encoded UTF-8 (`L'Ã©lectronique`) repaired."""
    value = present(value)
    if not isinstance(value, str):
        return ""
    # Plain ASCII cannot hold mojibake: skip ftfy, the costliest step of mapping a result
    # (and of importing: it is imported at its first use, not when `learnbot chat` starts).
    if value.isascii():
        return value.strip()
    import ftfy

    return ftfy.fix_text(value).strip()


def names(value: Any) -> list[str]:
    """Names from a comma-joined string ("IBM , edX"), a list, or `{"name": ...}` objects."""
    if isinstance(value, list):
        return [name for element in value for name in names(element)]
    if isinstance(value, dict):
        return names(value.get("name"))
    return [part.strip() for part in text(value).split(",") if part.strip()]


def source_names(entry: dict[str, Any]) -> list[str]:
    """Publishers first (IBM), then the platform (edX), each once."""
    unique: dict[str, str] = {}
    for name in names(entry.get("publisher")) + names(entry.get("provider")):
        unique.setdefault(name.casefold(), name)
    return list(unique.values())


def item_type(entry: dict[str, Any], kind: str) -> str | None:
    """Inokufu's type ("MOOC", ["Video"]) in our lower-case words; else the searched type, if any."""
    found = names(entry.get("type"))
    return found[0].lower() if found else (kind or None)


def duration_minutes(entry: dict[str, Any]) -> int | None:
    value = number(present(entry.get("learningTimeValue")))
    per_unit = MINUTES_PER_UNIT.get(str(entry.get("learningTimeUnit") or "").strip().lower())
    if value is None or value <= 0 or per_unit is None:
        return None
    return max(1, round(value * per_unit))


def level_name(value: Any) -> str | None:
    """Inokufu rates level from −1 (beginner) to 1 (advanced): here −1 is a level, not "missing"."""
    level = number(value)
    if level is None:
        return None
    if level < -1 / 3:
        return "beginner"
    if level > 1 / 3:
        return "advanced"
    return "intermediate"


def picture(entry: dict[str, Any]) -> str | None:
    """`picture` (later shapes), else the square picture (best as a thumbnail), else the wide one."""
    for key in ("picture", "pictureSquare", "pictureFullwidth"):
        value = present(entry.get(key))
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            return value
    return None


def price(specification: Any) -> Price | None:
    """A schema.org PriceSpecification, kept only when the item costs something."""
    if not isinstance(specification, dict) or is_true(str(specification.get("price-free"))):
        return None
    amount = number(present(specification.get("price")))
    if amount is None or amount <= 0:
        return None
    currency = str(present(specification.get("priceCurrency")) or "").strip()
    return Price(amount, CURRENCY_CODES.get(currency, currency))


def read_error(response: httpx.Response) -> str | None:
    """Inokufu documents no error body; RapidAPI and the gateway send `message` (or `msg`)."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    detail = body.get("message") or body.get("msg")
    return detail.strip() if isinstance(detail, str) and detail.strip() else None


SPEC = ProviderSpec(
    key=InokufuClient.key,
    label=InokufuClient.label,
    default_url=DIRECT_URL,
    url_env=URL_ENV,
    fields=(
        CredentialField("api_key", "API key", hint="From RapidAPI or from Inokufu for direct access."),
        CredentialField("rapidapi", "Through RapidAPI", secret=False, optional=True,
                        hint="yes when the key comes from RapidAPI."),
    ),
    build=InokufuClient,
    credential_env={"api_key": "LEARNBOT_INOKUFU_API_KEY"},
    options_env={"rapidapi": "LEARNBOT_INOKUFU_RAPIDAPI"},
    required=("api_key",),
    rate_per_second=10,  # RapidAPI Basic plan
    read_error=read_error,
)
