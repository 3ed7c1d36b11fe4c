"""LearnFlow: a course marketplace with priced courses and hourly access tokens.

Built from the folder document alone (learnflow.md): REFERENCE.md §5 found no public trace
of this API. The document gives neither host nor paths, so the client calls
`/v1/courses`, `/v1/enrollments` and `/v1/auth/refresh` under `LEARNBOT_LEARNFLOW_URL`.

A person's access token expires after an hour. With a refresh token the client renews it
shortly before it expires, and once when LearnFlow answers 401, and hands the new set to
`persist` so the store keeps it. The workspace token (`LEARNBOT_LEARNFLOW_API_TOKEN`) is
long-lived and has no refresh token.

An enrollment names the LearnFlow user (`user_id`), as the document's body does: from a
personal connection's form, else the id the person gave learnbot before
(`Learner.learnflow_user_id`), else their work email when `LEARNBOT_LEARNFLOW_USER_ID=email`
says LearnFlow user ids are work emails. Without any, `NeedsLearnflowUserId` asks for it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from providers.base import MAX_RETRY_AFTER, HttpClient, retry_after_seconds, text_field
from providers.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    EnrollmentUnconfirmed,
    NeedsLearnflowUserId,
    RateLimited,
    Unconfirmed,
)
from providers.model import (
    CredentialField,
    EnrollmentResult,
    Learner,
    LearningObject,
    Price,
    SearchQuery,
)
from providers.registry import ProviderSpec
from providers.search import credential_fingerprint

logger = logging.getLogger(__name__)

KEY = "learnflow"
LABEL = "LearnFlow"

# No public LearnFlow host exists (REFERENCE.md §5; api.learnflow.com belongs to an
# unrelated design). A reserved .example host fails to resolve instead of sending tokens
# to a stranger; deployments set LEARNBOT_LEARNFLOW_URL.
DEFAULT_URL = "https://api.learnflow.example"

MAX_PAGE_SIZE = 50  # "limit: Results per page (max: 50)"
ACCESS_TOKEN_LIFETIME = 3600.0  # "Access tokens expire after 1 hour"
REFRESH_MARGIN_SECONDS = 60  # renew this long before expiry, so a slow call does not outlive its token
LEVELS = {"beginner": "beginner", "intermediate": "intermediate", "advanced": "advanced"}  # "all" → None

USER_ID_ENV = "LEARNBOT_LEARNFLOW_USER_ID"


def check_env(env: Mapping[str, str]) -> None:
    """`LEARNBOT_LEARNFLOW_USER_ID` is unset or `email`."""
    value = env.get(USER_ID_ENV, "").strip()
    if value and value.lower() != "email":
        raise ValueError(f"{USER_ID_ENV} must be `email` (LearnFlow user ids are work emails) or unset "
                         f"(each person gives theirs); it is {value!r}.")


class RateWindow:
    """When LearnFlow's rate-limit window resets (epoch seconds), shared by every binding.

    The hub creates one with LearnFlow's HttpClient (its `state`): the client records
    `X-RateLimit-Remaining` as `remaining`, this keeps the reset time beside it.
    """

    def __init__(self) -> None:
        self.reset_at: float | None = None


def read_error(response: httpx.Response) -> str | None:
    """`{"error": {"code", "message", "request_id"}}` as a detail quoting the request id.

    The HTTP base blanks out the tokens the request carried, in case LearnFlow echoes them.
    """
    body = response.json()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    parts = [str(error.get("message") or "").strip()]
    if error.get("request_id"):
        parts.append(f"request id {error['request_id']}")
    return "; ".join(part for part in parts if part) or None


class LearnFlowClient:
    """Searches LearnFlow's course catalogue and enrols the token's owner."""

    key = KEY
    label = LABEL
    can_enroll = True

    def __init__(self, http: HttpClient, credentials: dict[str, str],
                 env: Mapping[str, str] = {}, persist: Callable[[dict], None] | None = None):
        self.http = http
        self._window: RateWindow = http.state
        self._credentials = dict(credentials)
        self._persist = persist
        self._user_id_is_email = env.get(USER_ID_ENV, "").strip().lower() == "email"
        self.credential_fingerprint = credential_fingerprint(credentials)
        self.sleep = asyncio.sleep  # tests replace it to skip rate-limit waits
        self.clock = time.time

    def __repr__(self) -> str:
        return f"LearnFlowClient(base_url={self.http.base_url!r}, refreshable={self._can_refresh()})"

    async def search(self, query: SearchQuery) -> list[LearningObject]:
        """One page of `GET /v1/courses` for the keywords, filtered by the query's other wishes."""
        params = {"page": 1, "limit": max(1, min(query.limit, MAX_PAGE_SIZE))}
        if query.keywords.strip():
            params["search"] = query.keywords.strip()
        # `category` is not sent: it takes LearnFlow's own slugs, which a learnbot query lacks.
        response = await self._send("GET", "v1/courses", params=params)
        items = [self._to_item(course) for course in _course_list(HttpClient.json(response, LABEL))]
        return [item for item in items if query.matches(item)]

    async def enroll(self, item: LearningObject, learner: Learner, *,
                     idempotency_key: str | None = None) -> EnrollmentResult:
        """`POST /v1/enrollments` once (paid courses are confirmed in Slack first).

        The body is the document's: `user_id`, `course_id`, and `payment_method_id` when the
        person saved one (without it LearnFlow uses the account's funds or licence). The POST
        is never resent on its own; `idempotency_key` goes along as `Idempotency-Key`, so a
        person trying again after a timeout, with the same key, cannot be enrolled twice.
        """
        body = {"user_id": self._user_id(learner), "course_id": item.id}
        if self._credentials.get("payment_method_id"):
            body["payment_method_id"] = self._credentials["payment_method_id"]
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = await self._send("POST", "v1/enrollments", json=body, extra_headers=headers,
                                        idempotent=False)
        except Unconfirmed:
            raise EnrollmentUnconfirmed(LABEL) from None
        except BadRequest as error:
            # The document lists no answer for a repeated enrolment; a REST API most likely
            # answers 409 Conflict, as for any resource that already exists.
            if error.status != 409:
                raise
            return EnrollmentResult("already", f"You are already enrolled in “{item.title}” on LearnFlow.")
        enrollment = HttpClient.json(response, LABEL)
        if not isinstance(enrollment, dict) or not enrollment.get("id"):
            raise BadResponse(LABEL)
        return EnrollmentResult("enrolled", f"You are enrolled in “{item.title}” on LearnFlow.",
                                external_id=str(enrollment["id"]))

    def _user_id(self, learner: Learner) -> str:
        """The LearnFlow user to enroll (see the module docstring for the order)."""
        user_id = (self._credentials.get("user_id") or learner.learnflow_user_id
                   or (learner.email if self._user_id_is_email else None))
        if not user_id:
            raise NeedsLearnflowUserId(LABEL)
        return user_id

    async def _send(self, method: str, path: str, *, extra_headers: Mapping[str, str] = {},
                    **kwargs: Any) -> httpx.Response:
        """One authorised call: renew a token about to expire first, and once more on a 401."""
        if self._expires_soon():
            await self._refresh()
        try:
            return await self._call(method, path, headers={**extra_headers, **self._bearer()}, **kwargs)
        except AuthError as error:
            if error.status != 401 or not self._can_refresh():
                raise
        await self._refresh()
        return await self._call(method, path, headers={**extra_headers, **self._bearer()}, **kwargs)

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        await self._wait_for_rate_limit()
        response = await self.http.request(method, path, **kwargs)
        self._note_reset_time(response)
        return response

    async def _refresh(self) -> None:
        """Trade the refresh token for a new access token, and have the new set stored."""
        try:
            response = await self._call("POST", "v1/auth/refresh",
                                        json={"refresh_token": self._credentials["refresh_token"]})
        except (AuthError, BadRequest) as error:
            raise AuthError(LABEL, "LearnFlow no longer accepts your saved sign-in: reconnect it with "
                                   "`/learn connect learnflow`.", status=error.status) from None
        token = HttpClient.json(response, LABEL)
        if not isinstance(token, dict) or not isinstance(token.get("access_token"), str):
            raise BadResponse(LABEL)
        expires_at = int(self.clock() + _lifetime_seconds(token))
        self._credentials.update(access_token=token["access_token"], expires_at=str(expires_at))
        # The document's answer has no new refresh token; keep the old one unless LearnFlow rotates it.
        if token.get("refresh_token"):
            self._credentials["refresh_token"] = token["refresh_token"]
        logger.info("LearnFlow access token renewed; it expires at %s", _utc(expires_at))
        if self._persist is not None:
            self._persist(dict(self._credentials))

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._credentials.get('access_token', '')}"}

    def _can_refresh(self) -> bool:
        return bool(self._credentials.get("refresh_token"))

    def _expires_soon(self) -> bool:
        """True when a refreshable token expires within the margin.

        `expires_at` is epoch seconds as a string, written by `_refresh`: it compares without
        time-zone parsing. Without it the token is used until LearnFlow answers 401.
        """
        try:
            expires_at = float(self._credentials.get("expires_at", ""))
        except ValueError:
            return False
        return self._can_refresh() and self.clock() >= expires_at - REFRESH_MARGIN_SECONDS

    async def _wait_for_rate_limit(self) -> None:
        """When the last answer said no requests remain, wait for the reset, or say when it is."""
        reset_at = self._window.reset_at
        if self.http.remaining != 0 or reset_at is None:
            return
        wait = reset_at - self.clock()
        if wait <= 0:
            return
        if wait > MAX_RETRY_AFTER:
            raise RateLimited(LABEL, f"LearnFlow's request limit is used up until {_utc(reset_at)}; "
                                     "try again then.", retry_after=wait)
        await self.sleep(wait)

    def _note_reset_time(self, response: httpx.Response) -> None:
        now = self.clock()
        wait = retry_after_seconds(response, now=now)
        if wait is not None:
            self._window.reset_at = now + wait

    def _to_item(self, course: dict[str, Any]) -> LearningObject:
        course_id = str(course["id"])
        category = text_field(course.get("category"))
        return LearningObject(
            id=course_id,
            provider=KEY,
            title=text_field(course.get("title")),
            # The document's course has no web address; a real catalogue most likely sends
            # one (`url`). Without it, the course's API address keeps results distinct.
            url=text_field(course.get("url")) or f"{self.http.base_url}/v1/courses/{course_id}",
            source=text_field(course.get("instructor")) or LABEL,
            description=text_field(course.get("description")),
            type="course",
            level=LEVELS.get(text_field(course.get("level")).lower()),
            price=_price(course.get("price")),
            enrollable=True,
            topics=(category,) if category else (),
        )


def _course_list(data: Any) -> list[dict[str, Any]]:
    """`{"data": [course, …], "meta": {…}}`, each course with an id."""
    courses = data.get("data") if isinstance(data, dict) else None
    if not isinstance(courses, list) or not all(isinstance(c, dict) and c.get("id") for c in courses):
        raise BadResponse(LABEL)
    return courses


def _lifetime_seconds(token: dict[str, Any]) -> float:
    """`expires_in` of a refresh answer; the document's one hour when it is missing or odd."""
    try:
        return float(token["expires_in"])
    except (KeyError, TypeError, ValueError):
        return ACCESS_TOKEN_LIFETIME


def _price(value: Any) -> Price | None:
    """`{"amount": 49.99, "currency": "USD"}`; anything else is treated as unknown."""
    if not isinstance(value, dict):
        return None
    try:
        return Price(amount=float(value["amount"]), currency=str(value["currency"]))
    except (KeyError, TypeError, ValueError):
        return None


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M UTC")


SPEC = ProviderSpec(
    key=KEY,
    label=LABEL,
    default_url=DEFAULT_URL,
    url_env="LEARNBOT_LEARNFLOW_URL",
    # `expires_at` is also kept with the credentials, but learnbot writes it after each
    # renewal: the connect form does not ask for it.
    fields=(
        CredentialField("access_token", "Access token", hint="from LearnFlow's Developer Dashboard"),
        CredentialField("refresh_token", "Refresh token", optional=True,
                        hint="lets learnbot renew the access token, which expires after an hour"),
        CredentialField("user_id", "Your LearnFlow user id", secret=False, optional=True,
                        hint="like usr_7f3d9a, in your LearnFlow profile; needed to enroll"),
        CredentialField("payment_method_id", "Payment method id", secret=False, optional=True,
                        hint="like pm_visa_4242, for paid courses; without it LearnFlow uses your "
                             "account's funds or licence"),
    ),
    build=LearnFlowClient,
    credential_env={"access_token": "LEARNBOT_LEARNFLOW_API_TOKEN"},
    required=("access_token",),
    personal_fields=("user_id", "payment_method_id"),
    new_state=RateWindow,
    check_env=check_env,
    can_enroll=True,
    # 300 requests a minute on the Professional plan; X-RateLimit-* headers govern beyond that.
    rate_per_second=5.0,
    read_error=read_error,
)
