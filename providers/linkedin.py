"""LinkedIn Learning: search an organisation's LinkedIn Learning library.

Two-legged OAuth 2.0 (client credentials): the client trades its ID and secret for an
access token that lives about 90 days, keeps it in a `TokenCache` (the hub creates one
with LinkedIn's HttpClient, as `http.state`) until shortly before it expires, and fetches
a fresh one once when the API answers 401. Search is the `learningAssets` criteria finder
(REFERENCE.md §4.2), paged by following `paging.links`.
LinkedIn's limits are daily and reset at midnight UTC, so a 429 is reported, not waited out.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from providers.base import HttpClient
from providers.errors import AuthError, BadRequest, BadResponse, NotConfigured, RateLimited
from providers.model import CredentialField, EnrollmentResult, Learner, LearningObject, SearchQuery
from providers.registry import Persist, ProviderSpec
from providers.search import credential_fingerprint

logger = logging.getLogger(__name__)

DEFAULT_URL = "https://api.linkedin.com"
TOKEN_URL = "https://www.linkedin.com/oauth/v2/accessToken"
TOKEN_URL_ENV = "LEARNBOT_LINKEDIN_TOKEN_URL"
ASSETS_PATH = "/v2/learningAssets"

MAX_COUNT = 100  # the largest page the criteria finder serves
MAX_PAGES = 5  # a guard against a service that keeps offering a `next` page
REFRESH_MARGIN_SECONDS = 300  # renew a token this long before LinkedIn says it expires
DAILY_LIMIT = "The LinkedIn Learning daily limit is reached until midnight UTC."

# Our types → LinkedIn asset types. LinkedIn has no MOOCs, podcasts or apps. Without an
# asked type only courses are searched: a LinkedIn video is one clip of a course.
ASSET_TYPES = {"course": "COURSE", "video": "VIDEO"}
DEFAULT_ASSET_TYPES = ("COURSE",)
DIFFICULTY_LEVELS = {"beginner": "BEGINNER", "intermediate": "INTERMEDIATE", "advanced": "ADVANCED"}
LEVEL_NAMES = {value: name for name, value in DIFFICULTY_LEVELS.items()}
SECONDS_PER_UNIT = {"SECOND": 1, "MINUTE": 60, "HOUR": 3600}

# Only what a result shows. LinkedIn leaves `fields` out of its paging links, so it is
# added again to every `next` link.
FIELDS = (
    "urn,type,title,"
    "details:(images:(primary),shortDescription:(value),level,timeToComplete,urls:(webLaunch),"
    "classifications:($*:(associatedClassification:(name:(value)))))"
)


@dataclasses.dataclass(frozen=True)
class _Token:
    value: str = dataclasses.field(repr=False)
    expires_at: float


class TokenCache:
    """Access tokens by token URL and credential fingerprint, shared by every bound client
    through the HttpClient they share.

    Two searches that start together may both fetch a token; LinkedIn accepts several live
    tokens per application, so that costs one request and nothing else.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._tokens: dict[tuple[str, str], _Token] = {}

    def get(self, key: tuple[str, str]) -> str | None:
        token = self._tokens.get(key)
        if token is None or token.expires_at <= self.clock():
            return None
        return token.value

    def put(self, key: tuple[str, str], value: str, expires_in: float) -> None:
        self._tokens[key] = _Token(value, self.clock() + expires_in - REFRESH_MARGIN_SECONDS)

    def drop(self, key: tuple[str, str]) -> None:
        self._tokens.pop(key, None)

    def clear(self) -> None:
        self._tokens.clear()


class LinkedInClient:
    """Searches LinkedIn Learning assets with an application (client-credentials) token."""

    key = "linkedin"
    label = "LinkedIn Learning"
    can_enroll = False

    def __init__(self, http: HttpClient, credentials: dict[str, str], env: Mapping[str, str] = {},
                 persist: Persist | None = None):
        if not credentials.get("client_id") or not credentials.get("client_secret"):
            raise NotConfigured(self.label)
        self.http = http
        self._tokens: TokenCache = http.state
        self.token_url = env.get(TOKEN_URL_ENV) or TOKEN_URL
        self.credential_fingerprint = credential_fingerprint(credentials)
        self._client_id = credentials["client_id"]
        self._client_secret = credentials["client_secret"]
        self._token_key = (self.token_url, self.credential_fingerprint)

    def __repr__(self) -> str:
        return f"LinkedInClient(base_url={self.http.base_url!r}, client_id={self._client_id!r})"

    async def search(self, query: SearchQuery) -> list[LearningObject]:
        # LinkedIn documents no Retry-After with its 429, so HttpClient gives up at once.
        try:
            return await self._search(query)
        except RateLimited:
            raise RateLimited(self.label, DAILY_LIMIT) from None

    async def enroll(self, item: LearningObject, learner: Learner, *,
                     idempotency_key: str | None = None) -> EnrollmentResult:
        raise BadRequest(self.label, "LinkedIn Learning courses can be opened and saved, not enrolled in "
                                     "from Slack.")

    async def _search(self, query: SearchQuery) -> list[LearningObject]:
        asset_types = asset_types_for(query)
        if not asset_types:
            return []
        # LinkedIn filters type and language itself; duration is checked here.
        remaining = dataclasses.replace(query, types=(), languages=())
        url, params = f"{self.http.base_url}{ASSETS_PATH}", criteria_params(query, asset_types)
        found: list[LearningObject] = []
        for _ in range(MAX_PAGES):
            page = await self._get(url, params)
            items = (to_learning_object(asset) for asset in page.get("elements") or [])
            found += [item for item in items if item is not None and remaining.matches(item)]
            href = next_href(page)
            if len(found) >= query.limit or href is None:
                break
            url, params = self._next_url(href), None
        return found[: query.limit]

    def _next_url(self, href: str) -> str:
        url = href if "://" in href else f"{self.http.base_url}{href}"
        return str(httpx.URL(url).copy_merge_params({"fields": FIELDS}))

    async def _get(self, url: str, params: dict[str, str | int] | None) -> dict[str, Any]:
        """GET with the application token; on a 401, renew the token and try once more."""
        token = await self._access_token()
        try:
            response = await self._get_with(token, url, params)
        except AuthError as error:
            if error.status != 401:
                raise
            self._tokens.drop(self._token_key)  # revoked or expired early: fetch another
            response = await self._get_with(await self._access_token(), url, params)
        data = HttpClient.json(response, self.label)
        if not isinstance(data, dict):
            raise BadResponse(self.label)
        return data

    async def _get_with(self, token: str, url: str, params: dict[str, str | int] | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        return await self.http.request("GET", url, params=params, headers=headers)

    async def _access_token(self) -> str:
        cached = self._tokens.get(self._token_key)
        if cached:
            return cached
        form = {"grant_type": "client_credentials", "client_id": self._client_id,
                "client_secret": self._client_secret}
        try:
            response = await self.http.request("POST", self.token_url, data=form)
        except BadRequest as error:  # OAuth servers answer an unknown client with 400 invalid_client
            raise AuthError(self.label, status=error.status) from None
        body = HttpClient.json(response, self.label)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise BadResponse(self.label)
        expires_in = body.get("expires_in")
        expires_in = float(expires_in) if isinstance(expires_in, (int, float)) else 0.0
        self._tokens.put(self._token_key, token, expires_in)
        logger.debug("fetched a LinkedIn Learning access token valid for %.0f s", expires_in)
        return token


def asset_types_for(query: SearchQuery) -> list[str]:
    if not query.types:
        return list(DEFAULT_ASSET_TYPES)
    return list(dict.fromkeys(ASSET_TYPES[kind] for kind in query.types if kind in ASSET_TYPES))


def indexed(name: str, values: list[str], suffix: str = "") -> dict[str, str]:
    """Rest.li array parameters: `name[0]suffix=a&name[1]suffix=b`."""
    return {f"{name}[{index}]{suffix}": value for index, value in enumerate(values)}


def criteria_params(query: SearchQuery, asset_types: list[str]) -> dict[str, str | int]:
    params: dict[str, str | int] = {
        "q": "criteria",
        "assetFilteringCriteria.keyword": query.keywords,
        **indexed("assetFilteringCriteria.assetTypes", asset_types),
        **indexed("assetFilteringCriteria.locales", list(dict.fromkeys(query.languages)), ".language"),
        "assetRetrievalCriteria.includeRetired": "false",
        # LinkedIn has no random order; relevance serves both of our sorts.
        "assetPresentationCriteria.sortBy": "RELEVANCE",
        "start": 0,
        "count": min(max(query.limit, 1), MAX_COUNT),
        "fields": FIELDS,
    }
    if query.level in DIFFICULTY_LEVELS:
        params["assetFilteringCriteria.difficultyLevels[0]"] = DIFFICULTY_LEVELS[query.level]
    return params


def next_href(page: dict[str, Any]) -> str | None:
    links = mapping(page.get("paging")).get("links") or []
    return next((link.get("href") for link in links
                 if isinstance(link, dict) and link.get("rel") == "next" and link.get("href")), None)


def to_learning_object(asset: Any) -> LearningObject | None:
    """Map one asset; None when it lacks a URN, a title or a launch URL."""
    if not isinstance(asset, dict):
        return None
    details = mapping(asset.get("details"))
    title = localized(asset.get("title"))
    url = mapping(details.get("urls")).get("webLaunch")
    if not asset.get("urn") or not title or not isinstance(url, str):
        return None
    image = mapping(details.get("images")).get("primary")
    return LearningObject(
        id=asset["urn"],
        provider=LinkedInClient.key,
        title=title,
        url=url,
        source=LinkedInClient.label,
        description=localized(details.get("shortDescription")),
        type=our_type(asset.get("type")),
        language=mapping(mapping(asset.get("title")).get("locale")).get("language"),
        duration_minutes=duration_minutes(details.get("timeToComplete")),
        level=LEVEL_NAMES.get(str(details.get("level"))),
        image=image if isinstance(image, str) and image.startswith("https://") else None,
        topics=topics(details.get("classifications")),
    )


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def localized(value: Any) -> str:
    """The text of a LinkedIn localized string `{"locale": {...}, "value": "..."}`."""
    text = mapping(value).get("value")
    return text.strip() if isinstance(text, str) else ""


def our_type(asset_type: Any) -> str | None:
    """COURSE → course, VIDEO → video, LEARNING_PATH → learning path."""
    return str(asset_type).replace("_", " ").lower() if asset_type else None


def duration_minutes(time_to_complete: Any) -> int | None:
    duration = mapping(time_to_complete).get("duration")
    per_unit = SECONDS_PER_UNIT.get(mapping(time_to_complete).get("unit", "SECOND"))
    if not isinstance(duration, (int, float)) or isinstance(duration, bool) or duration <= 0 or not per_unit:
        return None
    return max(1, round(duration * per_unit / 60))


def topics(classifications: Any) -> tuple[str, ...]:
    """Names of the asset's classifications (library, subject, topic, skill), each once."""
    if not isinstance(classifications, list):
        return ()
    names = (localized(mapping(mapping(entry).get("associatedClassification")).get("name"))
             for entry in classifications)
    return tuple(dict.fromkeys(name for name in names if name))


def read_error(response: httpx.Response) -> str | None:
    """The API's `{"message", "serviceErrorCode", "status"}` or OAuth's `error_description`."""
    body = response.json()
    if not isinstance(body, dict):
        return None
    detail = body.get("message") or body.get("error_description")
    return detail.strip() if isinstance(detail, str) and detail.strip() else None


SPEC = ProviderSpec(
    key=LinkedInClient.key,
    label=LinkedInClient.label,
    default_url=DEFAULT_URL,
    url_env="LEARNBOT_LINKEDIN_URL",
    fields=(
        CredentialField("client_id", "Client ID", secret=False,
                        hint="From LinkedIn Learning admin settings › Integrate › REST API application."),
        CredentialField("client_secret", "Client secret"),
    ),
    build=LinkedInClient,
    credential_env={"client_id": "LEARNBOT_LINKEDIN_CLIENT_ID",
                    "client_secret": "LEARNBOT_LINKEDIN_CLIENT_SECRET"},
    required=("client_id", "client_secret"),
    read_error=read_error,
    retry_rate_limits=False,  # a 429 is the daily limit: retrying cannot help
    new_state=TokenCache,
)
