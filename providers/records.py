"""Learning records: a person's xAPI statements, and the week summary behind `/learn progress`.

Statements come from an xAPI Learning Record Store (Ralph, Learning Locker, …) with HTTP
Basic auth, or through Inokufu's Learning Record gateway with an `x-api-key` header.
`LearningRecords.week()` reads one person's statements since the start of their local
week, under every identity they may have in the store, and `summarise_week()` turns them
into minutes per day and activities completed or in progress; `bar_chart()` draws the
minutes as fixed-width text. Both `/learn progress` and the digest's "Your week" call
`LearningRecords.week()`.

Statements are read as other systems write them (REFERENCE.md §2.4): learners named by
`mbox`, `mbox_sha1sum` or an LMS `account`; voided statements; cmi5 sessions whose
`terminated` duration already holds the time of the statements inside them; video time kept
as played segments; names given once per activity, in several languages.

xAPI 1.0.3 facts this module relies on: `GET <endpoint>/statements` takes a JSON-encoded
`agent`, `since` and `limit`, answers `{"statements": [...], "more": "<next page>"}`, and
every request carries `X-Experience-API-Version`. The order of statements is not relied on:
the spec says newest first, Ralph's file backend answers oldest first.
"""

from __future__ import annotations

import asyncio
import hashlib
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
HOMEPAGE_ENV = "LEARNBOT_LRS_ACCOUNT_HOMEPAGE"
NAMING_ENV = "LEARNBOT_LRS_ACCOUNT_NAME"
OPTIONS_ENV = {"account_homepage": HOMEPAGE_ENV, "account_name": NAMING_ENV}
ACCOUNT_NAMINGS = ("email", "email-local", "slack-id")  # the first is the default
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


@dataclass(frozen=True, slots=True)
class AccountRule:
    """How the organisation's LMS names people in `account` agents.

    `homepage` is the LMS's `account.homePage`; `naming` says which account name a person
    has there: their work email, its local part, or their Slack user id.
    """

    homepage: str
    naming: str = "email"

    def names_for(self, learner: Learner) -> tuple[str, ...]:
        """The account names the person may have: as given and in lower case, for emails."""
        if self.naming == "slack-id":
            return (learner.user_id,) if learner.user_id else ()
        email = (learner.email or "").strip()
        name = email.split("@", 1)[0] if self.naming == "email-local" else email
        return tuple(dict.fromkeys((name, name.lower()))) if name else ()


def account_rule(settings: Mapping[str, str]) -> AccountRule | None:
    """The `account` rule from LEARNBOT_LRS_ACCOUNT_HOMEPAGE and LEARNBOT_LRS_ACCOUNT_NAME.

    None when no home page is set. Raises ValueError with one line naming the setting and its
    right form when either is malformed; the app can call this at start with its settings.
    """
    homepage = (settings.get(HOMEPAGE_ENV) or "").strip()
    naming = (settings.get(NAMING_ENV) or "").strip() or ACCOUNT_NAMINGS[0]
    if naming not in ACCOUNT_NAMINGS:
        raise ValueError(f"{NAMING_ENV} is {naming!r}: it should be one of "
                         f"{', '.join(ACCOUNT_NAMINGS)}.")
    if not homepage:
        return None
    parts = urlsplit(homepage)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{HOMEPAGE_ENV} is not a web address: set it to the `account.homePage` "
                         "your LMS writes in its statements, e.g. https://lms.example.org.")
    return AccountRule(homepage, naming)


def learner_agents(learner: Learner, rule: AccountRule | None) -> list[dict[str, Any]]:
    """Every xAPI agent that may stand for `learner`, one per identifier to query.

    The `agent` filter matches one identifier exactly, so the email is asked for as given,
    with its domain in lower case (as email validators store it, Ralph among them) and all in
    lower case, and as the SHA-1 of its lower-case `mailto:` IRI. An `account` needs the
    LMS's home page, so the person's own `lrs_account` is used only when one is set.
    """
    agents: list[dict[str, Any]] = []
    email = (learner.email or "").strip()
    if email:
        local, _, domain = email.rpartition("@")
        for form in dict.fromkeys((email, f"{local}@{domain.lower()}", email.lower())):
            agents.append({"objectType": "Agent", "mbox": f"mailto:{form}"})
        digest = hashlib.sha1(f"mailto:{email.lower()}".encode()).hexdigest()
        agents.append({"objectType": "Agent", "mbox_sha1sum": digest})
    if rule is not None:
        names = (*rule.names_for(learner), (learner.lrs_account or "").strip())
        for name in dict.fromkeys(name for name in names if name):
            agents.append({"objectType": "Agent",
                           "account": {"homePage": rule.homepage, "name": name}})
    return agents


class LearningRecords:
    """Reads one person's xAPI statements from an LRS or from Inokufu's gateway.

    Credentials: `username` + `password` (HTTP Basic, for an LRS) and/or `api_key`
    (`x-api-key`, for the gateway). When both are given both are sent: the gateway's paths
    are not public, but Inokufu's open-source LRS connector forwards the LRS's own
    `Authorization` header, so the gateway most likely needs it to reach the LRS behind it.
    The `account` options (`account_homepage`, `account_name`) come with the workspace's
    credentials, or else from the environment, as the organisation's LMS is everyone's.
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
        settings = {variable: credentials.get(option) or env.get(variable, "")
                    for option, variable in OPTIONS_ENV.items()}
        try:
            self.account_rule = account_rule(settings)
        except ValueError as error:
            raise NotConfigured(LABEL, str(error)) from None
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

    async def week(self, learner: Learner, week_start: date, tz: ZoneInfo) -> WeekSummary:
        """The summary of the 7 local days from `week_start` in the person's time zone `tz`.

        The one entry point of `/learn progress` and the digest.
        """
        start = datetime.combine(week_start, time(), tzinfo=tz)
        found = await self.learner_statements(learner, since=start)
        return summarise_week(found, week_start, tz, locale=learner.locale)

    async def learner_statements(self, learner: Learner, since: datetime,
                                 limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Statements about any identity of `learner` stored after `since`, each once, oldest first."""
        agents = learner_agents(learner, self.account_rule)
        pages = await asyncio.gather(*(self.statements(agent, since, limit) for agent in agents))
        unique = {_statement_key(statement): statement for page in pages for statement in page}
        return sorted(unique.values(), key=lambda statement: statement_time(statement) or _EARLIEST)

    async def statements(self, agent: Mapping[str, Any] | str, since: datetime,
                         limit: int = PAGE_SIZE) -> list[dict[str, Any]]:
        """Every statement whose actor is `agent` (an xAPI agent, or an email for its `mbox`)
        stored after `since`, oldest first.

        `limit` is the page size; all pages are read by following `more`. A naive `since`
        is taken as UTC.
        """
        if isinstance(agent, str):
            agent = {"mbox": f"mailto:{agent}", "objectType": "Agent"}
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

    def _next_page_url(self, more: str) -> str:
        """The absolute URL of a `more` link, which is relative to the LRS origin or absolute.

        A link to another origin is refused: following it would send the credentials there.
        """
        url = urljoin(self._http.base_url, more)
        if _origin(url) != _origin(self._http.base_url):
            raise BadResponse(LABEL, f"{LABEL} pointed the next page to another server; "
                                     "learnbot did not follow it.")
        return url


def _statement_key(statement: Mapping[str, Any]) -> str:
    """A statement's `id`; its whole content when it has none (an LRS always assigns one)."""
    statement_id = statement.get("id")
    if isinstance(statement_id, str) and statement_id:
        return statement_id
    return json.dumps(statement, sort_keys=True)


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


_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"P(?!$)(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}W)?(?:{_NUMBER}D)?"
    rf"(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?"
)
_SECONDS = r"(\d{2}(?:[.,]\d+)?)"
_ALTERNATIVE_DURATION = re.compile(  # PYYYY-MM-DDThh:mm:ss, or without separators
    rf"P(\d{{4}})-(\d{{2}})-(\d{{2}})T(\d{{2}}):(\d{{2}}):{_SECONDS}"
    rf"|P(\d{{4}})(\d{{2}})(\d{{2}})T(\d{{2}})(\d{{2}}){_SECONDS}"
)
_UNIT_SECONDS = (365 * 86400, 30 * 86400, 7 * 86400, 86400, 3600, 60, 1)
_ALTERNATIVE_UNIT_SECONDS = (365 * 86400, 30 * 86400, 86400, 3600, 60, 1)


def duration_seconds(text: str) -> float | None:
    """Seconds in an ISO 8601 duration, or None if malformed.

    Both ISO 8601 forms are read: `PnYnMnWnDTnHnMnS` (`PT1H30M`, `P1DT2H`, `PT300S`, with a
    dot or a comma as decimal mark, `PT1,5H`) and the alternative `PYYYY-MM-DDThh:mm:ss`.
    No sign: time spent is never negative. Years and months have no fixed length; they count
    as 365 and 30 days (learning tools write them only as zeros, `P0Y0M0DT0H45M`).
    """
    text = text.strip()
    match = _DURATION.fullmatch(text)
    units = _UNIT_SECONDS
    if match is None:
        match, units = _ALTERNATIVE_DURATION.fullmatch(text), _ALTERNATIVE_UNIT_SECONDS
    if match is None:
        return None
    values = list(match.groups())
    if units is _ALTERNATIVE_UNIT_SECONDS:
        values = values[:6] if values[0] is not None else values[6:]
    return sum(float(value.replace(",", ".")) * unit
               for value, unit in zip(values, units) if value)


@dataclass(frozen=True, slots=True)
class ActivitySummary:
    """What a person did with one activity during the week.

    `progress` is the latest percentage a `progressed` statement gave (0–100), if any.
    """

    id: str
    name: str
    minutes: int
    completed: bool
    last_seen: datetime
    progress: int | None = None

    @property
    def label(self) -> str:
        """The name, with the progress percentage of an activity not yet done: `SQL (40%)`."""
        if self.progress is None or self.completed:
            return self.name
        return f"{self.name} ({self.progress}%)"


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


VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
DONE_VERBS = ("completed", "passed", "mastered", "satisfied")  # last segments of their IRIs
CMI5_SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
PLAYED_SEGMENTS = "https://w3id.org/xapi/video/extensions/played-segments"
PROGRESS_PERCENT = "https://w3id.org/xapi/cmi5/result/extensions/progress"  # 0–100
PROGRESS_FRACTION = "https://w3id.org/xapi/video/extensions/progress"  # 0–1
NAMING_CONTEXTS = ("parent", "grouping")


@dataclass(slots=True)
class _ActivityTally:
    seconds: float = 0.0
    completed: bool = False
    last_seen: datetime = _EARLIEST
    progress: int | None = None
    progress_seen: datetime = _EARLIEST


def summarise_week(statements: Sequence[Mapping[str, Any]], week_start: date,
                   tz: ZoneInfo, locale: str | None = None) -> WeekSummary:
    """Minutes per day and activities for the 7 local days in `tz` from `week_start`.

    Voided statements and the statements voiding them are left out. A statement counts on
    the local day of its timestamp; statements outside the week, or without a readable
    time, are left out. Its time is its `result.duration`, else the new part of a video's
    played segments; a cmi5 session whose `terminated` statement has a duration counts that
    duration only. An activity is done when any of its statements says so (`completed`,
    `passed`, `mastered`, `satisfied`, `result.completion` or `result.success`); otherwise
    it is in progress. Names are picked in the person's `locale`, then English.
    """
    statements = _without_voided(statements)
    names = _NameBook(statements, locale)
    counted_sessions = _sessions_with_a_total(statements)
    video = _VideoTime()
    seconds_per_day = [0.0] * 7
    tallies: dict[str, _ActivityTally] = {}
    for statement in sorted(statements, key=lambda s: statement_time(s) or _EARLIEST):
        moment = statement_time(statement)
        if moment is None:
            continue
        activity_id = _activity_id(statement)
        seconds = _statement_seconds(statement, activity_id, counted_sessions, video)
        day = (moment.astimezone(tz).date() - week_start).days
        if not 0 <= day < 7:
            continue
        seconds_per_day[day] += seconds
        if activity_id is None:
            continue
        tally = tallies.setdefault(activity_id, _ActivityTally())
        tally.seconds += seconds
        tally.completed = tally.completed or _is_done(statement)
        tally.last_seen = max(tally.last_seen, moment)
        progress = _progress_percent(statement)
        if progress is not None and moment >= tally.progress_seen:
            tally.progress, tally.progress_seen = progress, moment
    activities = sorted(
        (ActivitySummary(activity_id, names.name(activity_id), _minutes(t.seconds), t.completed,
                         t.last_seen, t.progress)
         for activity_id, t in tallies.items()),
        key=lambda activity: activity.last_seen, reverse=True,
    )
    return WeekSummary(week_start, tuple(_minutes(s) for s in seconds_per_day), tuple(activities))


def _minutes(seconds: float) -> int:
    return round(seconds / 60)


def _verb(statement: Mapping[str, Any]) -> str:
    verb = statement.get("verb")
    verb_id = verb.get("id") if isinstance(verb, dict) else None
    return verb_id if isinstance(verb_id, str) else ""


def _verb_word(statement: Mapping[str, Any]) -> str:
    """The last segment of the verb IRI: `passed` for http://adlnet.gov/expapi/verbs/passed."""
    return _verb(statement).rstrip("/").rsplit("/", 1)[-1]


def _without_voided(statements: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The statements minus voiding statements and their targets (Ralph returns both)."""
    voiding = [s for s in statements if _verb(s) == VOIDED_VERB]
    targets = {s["object"].get("id") for s in voiding if isinstance(s.get("object"), dict)}
    return [s for s in statements if _verb(s) != VOIDED_VERB and s.get("id") not in targets]


def _result(statement: Mapping[str, Any]) -> Mapping[str, Any]:
    result = statement.get("result")
    return result if isinstance(result, dict) else {}


def _extensions(part: Mapping[str, Any]) -> Mapping[str, Any]:
    extensions = part.get("extensions")
    return extensions if isinstance(extensions, dict) else {}


def _duration(statement: Mapping[str, Any]) -> float | None:
    duration = _result(statement).get("duration")
    return duration_seconds(duration) if isinstance(duration, str) else None


def _cmi5_session(statement: Mapping[str, Any]) -> tuple[Any, str] | None:
    """(registration, session id) of a statement made in a cmi5 session, else None."""
    context = statement.get("context")
    if not isinstance(context, dict):
        return None
    session_id = _extensions(context).get(CMI5_SESSION_ID)
    if not isinstance(session_id, str) or not session_id:
        return None
    return context.get("registration"), session_id


def _sessions_with_a_total(statements: Sequence[Mapping[str, Any]]) -> set[tuple[Any, str]]:
    """cmi5 sessions whose `terminated` statement gives the whole session's duration."""
    return {session for statement in statements
            if _verb_word(statement) == "terminated" and _duration(statement) is not None
            and (session := _cmi5_session(statement)) is not None}


def _statement_seconds(statement: Mapping[str, Any], activity_id: str | None,
                       counted_sessions: set[tuple[Any, str]], video: _VideoTime) -> float:
    """The learning time this statement adds, counting each minute once."""
    session = _cmi5_session(statement)
    if session in counted_sessions and _verb_word(statement) != "terminated":
        return 0.0  # inside a session whose `terminated` statement holds the total
    duration = _duration(statement)
    if duration is not None:
        return duration
    segments = _extensions(_result(statement)).get(PLAYED_SEGMENTS)
    if activity_id is None or not isinstance(segments, str):
        return 0.0
    return video.add(activity_id, segments)


class _VideoTime:
    """Watching time per video as the union of played segments (xAPI Video profile).

    Players report `played-segments` cumulatively or per statement; counting only the part
    of each report not seen before in a video gives the same time either way.
    """

    def __init__(self) -> None:
        self._watched: dict[str, list[tuple[float, float]]] = {}

    def add(self, video_id: str, segments: str) -> float:
        before = self._watched.get(video_id, [])
        after = _union(before + parse_segments(segments))
        self._watched[video_id] = after
        return _length(after) - _length(before)


def parse_segments(text: str) -> list[tuple[float, float]]:
    """`"0[.]12.5[,]30[.]45"` → `[(0, 12.5), (30, 45)]`; malformed parts are skipped."""
    segments = []
    for part in text.split("[,]"):
        start, separator, end = part.partition("[.]")
        try:
            first, last = float(start), float(end)
        except ValueError:
            continue
        if separator and 0 <= first < last:
            segments.append((first, last))
    return segments


def _union(segments: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(segments):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _length(segments: list[tuple[float, float]]) -> float:
    return sum(end - start for start, end in segments)


def _is_done(statement: Mapping[str, Any]) -> bool:
    if _verb_word(statement) in DONE_VERBS:
        return True
    result = _result(statement)
    return result.get("completion") is True or result.get("success") is True


def _progress_percent(statement: Mapping[str, Any]) -> int | None:
    """The percentage a statement reports (cmi5's 0–100, the video profile's 0–1)."""
    extensions = _extensions(_result(statement))
    for key, scale in ((PROGRESS_PERCENT, 1), (PROGRESS_FRACTION, 100)):
        value = extensions.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return max(0, min(100, round(value * scale)))
    return None


def _activity_id(statement: Mapping[str, Any]) -> str | None:
    """The activity a statement is about; None when its object is an agent or a statement."""
    target = statement.get("object")
    if not isinstance(target, dict) or target.get("objectType", "Activity") != "Activity":
        return None
    activity_id = target.get("id")
    return activity_id if isinstance(activity_id, str) and activity_id else None


class _NameBook:
    """Activity names gathered from every statement: each activity's language map, and the
    parents and groupings it was seen in, for activities never named themselves."""

    def __init__(self, statements: Sequence[Mapping[str, Any]], locale: str | None):
        self._languages = _language_order(locale)
        self._names: dict[str, dict[str, str]] = {}
        self._parents: dict[str, list[str]] = {}
        for statement in statements:
            activity_id = _activity_id(statement)
            if activity_id is not None:
                self._learn(statement["object"])
            for kind, activity in _context_activities(statement):
                self._learn(activity)
                if activity_id is not None and kind in NAMING_CONTEXTS:
                    self._parents.setdefault(activity_id, []).append(activity["id"])

    def _learn(self, activity: Mapping[str, Any]) -> None:
        definition = activity.get("definition")
        names = definition.get("name") if isinstance(definition, dict) else None
        if not isinstance(names, dict):
            return
        known = self._names.setdefault(activity["id"], {})
        for language, name in names.items():
            if isinstance(language, str) and isinstance(name, str) and name.strip():
                known.setdefault(language.lower(), " ".join(name.split()))

    def name(self, activity_id: str) -> str:
        """Its own name, else its parent's or grouping's, else a label made from the id."""
        for candidate in (activity_id, *dict.fromkeys(self._parents.get(activity_id, ()))):
            name = self._pick(self._names.get(candidate, {}))
            if name:
                return name
        return readable_label(activity_id)

    def _pick(self, names: Mapping[str, str]) -> str | None:
        for language in self._languages:
            exact = names.get(language)
            if exact:
                return exact
            if "-" not in language:  # `fr` also takes `fr-CA`
                regional = next((n for tag, n in names.items() if tag.startswith(language + "-")),
                                None)
                if regional:
                    return regional
        return next(iter(names.values()), None)


def _language_order(locale: str | None) -> list[str]:
    """`fr-FR` → `["fr-fr", "fr", "en-us", "en", "en-gb"]` (language tags in lower case)."""
    order = []
    if locale:
        tag = locale.strip().replace("_", "-").lower()
        order += [tag, tag.split("-", 1)[0]]
    order += ["en-us", "en", "en-gb"]
    return list(dict.fromkeys(tag for tag in order if tag))


def _context_activities(statement: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """(kind, activity) for each activity in `context.contextActivities`."""
    context = statement.get("context")
    groups = context.get("contextActivities") if isinstance(context, dict) else None
    if not isinstance(groups, dict):
        return []
    found = []
    for kind, activities in groups.items():
        for activity in activities if isinstance(activities, list) else [activities]:
            if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                found.append((kind, activity))
    return found


def readable_label(activity_id: str) -> str:
    """A label from an unnamed activity's id: its last path segment, made readable.

    `https://lms.example/course/intro_to-sql/` → `Intro to sql`.
    """
    parts = urlsplit(activity_id)
    path = parts.fragment or parts.path or activity_id
    segment = next((s for s in reversed(re.split(r"[/:]", path)) if s), activity_id)
    words = " ".join(re.sub(r"[-_+.%]+", " ", segment).split())
    return (words[:1].upper() + words[1:]) if words else activity_id


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
    options_env=OPTIONS_ENV,
    searchable=False,
    read_error=read_error,
)
