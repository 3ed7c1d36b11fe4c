"""Learning records: a person's xAPI statements, and the week summary behind `/learn progress`.

Statements come from an xAPI Learning Record Store (Ralph, Learning Locker, …) with HTTP
Basic auth, or through Inokufu's Learning Record gateway with an `x-api-key` header.
`LearningRecords.week()` reads one person's statements since the start of their local
week and `summarise_week()` turns them into minutes per day and activities completed or in
progress; `bar_chart()` draws the minutes as fixed-width text.

xAPI 1.0.3 facts this module relies on: `GET <endpoint>/statements` takes a JSON-encoded
`agent`, `since` and `limit`, answers `{"statements": [...], "more": "<next page>"}`, and
every request carries `X-Experience-API-Version`. The order of statements is not relied on:
the spec says newest first, Ralph's file backend answers oldest first.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

import httpx

from providers.base import HttpClient
from providers.errors import BadRequest, BadResponse, NotConfigured
from providers.model import CredentialField, EnrollmentResult, Learner, LearningObject, SearchQuery
from providers.registry import ProviderSpec
from providers.search import credential_fingerprint

logger = logging.getLogger(__name__)

LABEL = "Learning records"
XAPI_VERSION = {"X-Experience-API-Version": "1.0.3"}
PAGE_SIZE = 100  # Ralph's default cap (RUNSERVER_MAX_SEARCH_HITS_COUNT); larger asks are cut to it
MAX_PAGES = 50  # a week of one person's statements is far less; stops a `more` that never ends
DAY_LABELS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
COMPLETED_VERB = "completed"  # last segment of http://adlnet.gov/expapi/verbs/completed and kin
_EARLIEST = datetime.min.replace(tzinfo=UTC)  # sorts statements without a readable time first


def read_error(response: httpx.Response) -> str | None:
    """The detail sentence of an LRS error body.

    Ralph (FastAPI) answers `{"detail": "..."}`. xAPI fixes no error format; `message` is
    the other common key (Learning Locker), so it is read too.
    """
    body = response.json()
    if not isinstance(body, dict):
        return None
    detail = body.get("detail") or body.get("message")
    return detail if isinstance(detail, str) else None


class LearningRecords:
    """Reads one person's xAPI statements from an LRS or from Inokufu's gateway.

    Credentials: `username` + `password` (HTTP Basic, for an LRS) and/or `api_key`
    (`x-api-key`, for the gateway). When both are given both are sent: the gateway's paths
    are not public, but Inokufu's open-source LRS connector forwards the LRS's own
    `Authorization` header, so the gateway most likely needs it to reach the LRS behind it.
    """

    key = "lrs"
    label = LABEL
    can_enroll = False

    def __init__(self, http: HttpClient, credentials: dict[str, str],
                 env: Mapping[str, str] = {}, persist=None):
        username, password = credentials.get("username"), credentials.get("password")
        api_key = credentials.get("api_key")
        if not (username and password) and not api_key:
            raise NotConfigured(LABEL, f"{LABEL} are not connected: add an LRS username and "
                                       "password, or an API key, with `/learn connect`.")
        self._http = http
        self._auth = (username, password) if username and password else None
        self._headers = {**XAPI_VERSION, **({"x-api-key": api_key} if api_key else {})}
        self.credential_fingerprint = credential_fingerprint(credentials)

    def __repr__(self) -> str:
        return (f"LearningRecords(url={self._http.base_url!r}, "
                f"basic_auth={self._auth is not None}, api_key={'x-api-key' in self._headers})")

    async def search(self, query: SearchQuery) -> list[LearningObject]:
        """Learning records are a person's history, not a catalogue: nothing to search."""
        return []

    async def enroll(self, item: LearningObject, learner: Learner, *,
                     idempotency_key: str | None = None) -> EnrollmentResult:
        raise BadRequest(LABEL, f"{LABEL} only keep track of learning; they cannot enrol anyone.")

    async def statements(self, agent_email: str, since: datetime,
                         limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Every statement about `agent_email` stored after `since`, oldest first.

        `limit` is the page size; all pages are read by following `more`. A naive `since`
        is taken as UTC.
        """
        agent = {"mbox": f"mailto:{agent_email}", "objectType": "Agent"}
        url = "statements"
        params: dict[str, Any] | None = {
            "agent": json.dumps(agent, separators=(",", ":")),
            "since": _utc_iso(since),
            "limit": limit,
        }
        collected: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            response = await self._http.request("GET", url, params=params, headers=self._headers,
                                                auth=self._auth)
            page, more = _statement_result(HttpClient.json(response, LABEL))
            collected.extend(page)
            if not page or not more:
                break
            url, params = self._next_page_url(more), None
        else:
            logger.warning("Stopped reading learning records after %d pages", MAX_PAGES)
        return sorted(collected, key=lambda statement: statement_time(statement) or _EARLIEST)

    async def week(self, agent_email: str, week_start: date, tz: ZoneInfo) -> WeekSummary:
        """The summary of the 7 local days from `week_start` in the person's time zone `tz`."""
        start = datetime.combine(week_start, time(), tzinfo=tz)
        return summarise_week(await self.statements(agent_email, since=start), week_start, tz)

    def _next_page_url(self, more: str) -> str:
        """The absolute URL of a `more` link, which is relative to the LRS origin or absolute.

        A link to another origin is refused: following it would send the credentials there.
        """
        url = urljoin(self._http.base_url, more)
        if _origin(url) != _origin(self._http.base_url):
            raise BadResponse(LABEL, f"{LABEL} pointed the next page to another server; "
                                     "learnbot did not follow it.")
        return url


def _statement_result(body: Any) -> tuple[list[dict[str, Any]], str]:
    """The statements and the `more` link of one page.

    A bare JSON array is accepted as a complete answer: Inokufu's LRS connector returns the
    statements of all pages that way, and the gateway most likely does the same.
    """
    if isinstance(body, list):
        return [s for s in body if isinstance(s, dict)], ""
    if not isinstance(body, dict) or not isinstance(body.get("statements"), list):
        raise BadResponse(LABEL)
    more = body.get("more")
    statements = [s for s in body["statements"] if isinstance(s, dict)]
    return statements, more if isinstance(more, str) else ""


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


def _utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def statement_time(statement: Mapping[str, Any]) -> datetime | None:
    """When the experience happened (`timestamp`, else `stored`), as an aware datetime.

    xAPI timestamps should carry an offset; one without is taken as UTC.
    """
    for key in ("timestamp", "stored"):
        value = statement.get(key)
        if not isinstance(value, str):
            continue
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            continue
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return None


_NUMBER = r"(\d+(?:\.\d+)?)"
_DURATION = re.compile(
    rf"P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_UNIT_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)


def duration_seconds(text: str) -> float | None:
    """Seconds in an xAPI duration (`PT1H30M`, `PT45M20S`, `P0D`), or None if malformed.

    xAPI durations are the ISO 8601 `PnYnMnWnDTnHnMnS` form only (no alternative form, no
    sign), which a regular expression covers. Years and months have no fixed length; they
    count as 365 and 30 days (learning tools write them only as zeros, `P0Y0M0DT0H45M`).
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None:
        return None
    return sum(float(value) * unit for value, unit in zip(match.groups(), _UNIT_SECONDS) if value)


@dataclass(frozen=True, slots=True)
class ActivitySummary:
    """What a person did with one activity during the week."""

    id: str
    name: str
    minutes: int
    completed: bool
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class WeekSummary:
    """One person's week: minutes per local day and activities, most recently seen first."""

    week_start: date
    minutes_per_day: tuple[int, ...]
    activities: tuple[ActivitySummary, ...]

    @property
    def total_minutes(self) -> int:
        return sum(self.minutes_per_day)

    @property
    def completed(self) -> tuple[ActivitySummary, ...]:
        return tuple(activity for activity in self.activities if activity.completed)

    @property
    def in_progress(self) -> tuple[ActivitySummary, ...]:
        return tuple(activity for activity in self.activities if not activity.completed)

    @property
    def day_labels(self) -> tuple[str, ...]:
        return tuple(DAY_LABELS[(self.week_start + timedelta(days=i)).weekday()] for i in range(7))


@dataclass(slots=True)
class _ActivityTally:
    name: str
    seconds: float = 0.0
    completed: bool = False
    last_seen: datetime = _EARLIEST


def summarise_week(statements: Sequence[Mapping[str, Any]], week_start: date,
                   tz: ZoneInfo) -> WeekSummary:
    """Minutes per day and activities for the 7 local days in `tz` from `week_start`.

    A statement counts on the local day of its timestamp, with its whole `result.duration`
    (a session that crosses midnight counts on the day it was reported). Statements outside
    the week, or without a readable time, are left out. An activity is completed when any
    of its statements uses the `completed` verb or says `result.completion: true`;
    otherwise it is in progress.
    """
    seconds_per_day = [0.0] * 7
    tallies: dict[str, _ActivityTally] = {}
    for statement in statements:
        moment = statement_time(statement)
        if moment is None:
            continue
        day = (moment.astimezone(tz).date() - week_start).days
        if not 0 <= day < 7:
            continue
        seconds = _result_seconds(statement)
        seconds_per_day[day] += seconds
        activity_id = _activity_id(statement)
        if activity_id is None:
            continue
        if activity_id not in tallies:
            tallies[activity_id] = _ActivityTally(_activity_name(statement, activity_id))
        tally = tallies[activity_id]
        tally.seconds += seconds
        tally.completed = tally.completed or _is_completion(statement)
        tally.last_seen = max(tally.last_seen, moment)
    activities = sorted(
        (ActivitySummary(activity_id, t.name, _minutes(t.seconds), t.completed, t.last_seen)
         for activity_id, t in tallies.items()),
        key=lambda activity: activity.last_seen, reverse=True,
    )
    return WeekSummary(week_start, tuple(_minutes(s) for s in seconds_per_day), tuple(activities))


def _minutes(seconds: float) -> int:
    return round(seconds / 60)


def _result_seconds(statement: Mapping[str, Any]) -> float:
    result = statement.get("result")
    duration = result.get("duration") if isinstance(result, dict) else None
    if not isinstance(duration, str):
        return 0.0
    return duration_seconds(duration) or 0.0


def _activity_id(statement: Mapping[str, Any]) -> str | None:
    """The activity a statement is about; None when its object is an agent or a statement."""
    target = statement.get("object")
    if not isinstance(target, dict) or target.get("objectType", "Activity") != "Activity":
        return None
    activity_id = target.get("id")
    return activity_id if isinstance(activity_id, str) and activity_id else None


def _activity_name(statement: Mapping[str, Any], activity_id: str) -> str:
    """The English name if there is one, else the first name given, else the activity id."""
    definition = statement["object"].get("definition")
    names = definition.get("name") if isinstance(definition, dict) else None
    if not isinstance(names, dict):
        return activity_id
    for language in ("en-US", "en", "en-GB"):
        if isinstance(names.get(language), str) and names[language].strip():
            return names[language].strip()
    return next((name.strip() for name in names.values() if isinstance(name, str) and name.strip()),
                activity_id)


def _is_completion(statement: Mapping[str, Any]) -> bool:
    verb = statement.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    if isinstance(verb_id, str) and verb_id.rstrip("/").rsplit("/", 1)[-1] == COMPLETED_VERB:
        return True
    result = statement.get("result")
    return isinstance(result, dict) and result.get("completion") is True


_EIGHTHS = " ▏▎▍▌▋▊▉"
_FULL = "█"


def bar_chart(minutes_per_day: Sequence[int], labels: Sequence[str] = DAY_LABELS,
              width: int = 20) -> str:
    """A fixed-width text chart, one line per day: `Mon ████▌               45 min`.

    The busiest day fills `width` cells; bars are drawn in eighths of a cell and any day
    with some time gets at least a sliver. Meant for a monospace (code) block.
    """
    peak = max(minutes_per_day, default=0)
    label_width = max((len(label) for label in labels), default=0)
    number_width = len(str(peak))
    lines = []
    for label, minutes in zip(labels, minutes_per_day, strict=True):
        bar = _bar(minutes, peak, width)
        lines.append(f"{label:<{label_width}} {bar:<{width}} {minutes:>{number_width}} min")
    return "\n".join(lines)


def _bar(minutes: int, peak: int, width: int) -> str:
    if minutes <= 0 or peak <= 0:
        return ""
    eighths = max(1, round(minutes / peak * width * 8))
    full, rest = divmod(eighths, 8)
    return _FULL * full + (_EIGHTHS[rest] if rest else "")


SPEC = ProviderSpec(
    key="lrs",
    label=LABEL,
    # Inokufu's Learning Record API v1 base path; its endpoint paths are not public, so
    # `/statements` under it is inferred from the xAPI resource its LRS connector proxies.
    default_url="https://api.gateway.inokufu.com/learningrecord/v1",
    url_env="LEARNBOT_LRS_URL",
    fields=(
        CredentialField("username", "LRS username", secret=False, optional=True,
                        hint="The Basic-auth user of your Learning Record Store."),
        CredentialField("password", "LRS password", optional=True),
        CredentialField("api_key", "Inokufu API key", optional=True,
                        hint="For Inokufu's Learning Record gateway instead of a direct LRS."),
    ),
    build=LearningRecords,
    credential_env={
        "username": "LEARNBOT_LRS_USERNAME",
        "password": "LEARNBOT_LRS_PASSWORD",
        "api_key": "LEARNBOT_LRS_API_KEY",
    },
    searchable=False,
    read_error=read_error,
)
