"""Learnifier Admin API: an organisation's Learnifier projects as courses, and enrolment.

Every Learnifier customer runs its own instance host. learnbot lists the projects of one
organisation unit, filters them locally (the API has no search), enrols a person by adding
them as a participant by email and activating the participation, and reads their
progress back.

Paths, payloads and status codes follow Learnifier's own Swagger file v1.1.0
(REFERENCE.md §3); authentication is HTTP Basic with the API key and secret
(learnifier-admin.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from providers.base import HttpClient, text_field
from providers.errors import BadRequest, BadResponse, EnrollmentUnconfirmed, NotFound, Unconfirmed
from providers.model import (
    CredentialField,
    EnrollmentResult,
    Learner,
    LearningObject,
    Progress,
    SearchQuery,
)
from providers.registry import ProviderSpec
from providers.search import credential_fingerprint

KEY = "learnifier"
LABEL = "Learnifier"

# The Swagger file names the host learnifier.com; the document requires HTTPS. Most
# customers have their own instance host and set it in LEARNBOT_LEARNIFIER_URL.
DEFAULT_URL = "https://learnifier.com"

# "Always set the required headers": the API expects JSON on every request.
JSON_HEADERS = {"Accept": "application/json", "Content-Type": "application/json"}

# Learnifier refuses to activate participants in NEW or DISABLED projects (422 "invalid
# project state"), so only activated projects are offered. A project without a status
# is offered: the field is optional in the Swagger file.
OPEN_STATUSES = {"ACTIVATED", None}

NEEDS_EMAIL = (
    "Learnifier enrols people by email address, and learnbot could not read yours from "
    "Slack: ask your Slack admin to grant learnbot the users:read.email permission."
)


def read_error(response: httpx.Response) -> str | None:
    """Learnifier's error body `{code, field, message}` (plus `failures` when activation
    fails) as one detail sentence."""
    body = response.json()
    if not isinstance(body, dict):
        return None
    parts = [str(body.get("message") or "").strip()]
    parts += [str(failure.get("message") or "").strip()
              for failure in body.get("failures") or [] if isinstance(failure, dict)]
    if body.get("field"):
        parts.append(f"field “{body['field']}”")
    if body.get("code") not in (None, ""):
        parts.append(f"code {body['code']}")
    return "; ".join(part for part in parts if part) or None


def participation_extid(learner: Learner, project_id: str) -> str:
    """The external id learnbot gives each participation it creates.

    Learnifier can look a participation up by external id (`GET /extparticipation`) but
    not by its own id alone, so this is what learnbot keeps to read progress later.
    """
    return f"learnbot:{learner.team_id}:{learner.user_id}:{project_id}"


class LearnifierClient:
    """Searches and enrols in one organisation unit's Learnifier projects."""

    key = KEY
    label = LABEL
    can_enroll = True

    def __init__(self, http: HttpClient, credentials: dict[str, str],
                 env: Mapping[str, str] = {}, persist: Callable[[dict], None] | None = None):
        self.http = http
        self.org = credentials.get("org", "")
        self._auth = httpx.BasicAuth(credentials.get("key", ""), credentials.get("secret", ""))
        self.credential_fingerprint = credential_fingerprint(credentials)

    def __repr__(self) -> str:
        return f"LearnifierClient(base_url={self.http.base_url!r}, org={self.org!r})"

    async def search(self, query: SearchQuery) -> list[LearningObject]:
        """Projects of the organisation unit whose title or description hold every keyword."""
        response = await self._request("GET", self._projects_path())
        projects = _project_list(HttpClient.json(response, LABEL))
        words = query.keywords.casefold().split()
        items = [self._to_item(project) for project in projects
                 if project.get("status") in OPEN_STATUSES]
        found = [item for item in items if _has_every_word(item, words) and query.matches(item)]
        return found[:query.limit]

    async def enroll(self, item: LearningObject, learner: Learner, *,
                     idempotency_key: str | None = None) -> EnrollmentResult:
        """Add the person as a participant by email (201, or 409 when already one), then activate.

        Adding is sent once, with `idempotency_key` as `Idempotency-Key` (Learnifier documents
        no such header; its 409 already makes a repeat harmless). Activating twice changes
        nothing, so that call is retried as usual.
        """
        if not learner.email:
            raise BadRequest(LABEL, NEEDS_EMAIL)
        extid = participation_extid(learner, item.id)
        key_header = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        try:
            response = await self._request("POST", f"{self._project_path(item.id)}/participants",
                                           json={"email": learner.email, "extid": extid},
                                           extra_headers=key_header, idempotent=False)
        except Unconfirmed:
            raise EnrollmentUnconfirmed(LABEL) from None
        except BadRequest as error:
            if error.status != 409:
                raise
            return await self._already_participant(item, extid)
        await self._activate(item.id, _participant_id(response))
        return EnrollmentResult("enrolled", f"You are enrolled in “{item.title}” on Learnifier.",
                                external_id=extid)

    async def progress(self, external_id: str, learner: Learner) -> Progress | None:
        """Activities completed out of the total, or None when Learnifier no longer knows it."""
        participation = await self._participation(external_id)
        if participation is None:
            return None
        try:
            return Progress(completed=int(participation.get("activitiesCompleted") or 0),
                            total=int(participation.get("activitiesTotal") or 0))
        except (TypeError, ValueError):
            raise BadResponse(LABEL) from None

    async def _already_participant(self, item: LearningObject, extid: str) -> EnrollmentResult:
        """Learnifier answered 409: this email already takes part in the project.

        When learnbot added that participant earlier (it carries learnbot's external id),
        activate it if it is not yet: an earlier enrolment may have stopped between adding
        and activating. A participant an administrator added is left as they set it, and
        its progress is not tracked.
        """
        message = f"You already take part in “{item.title}” on Learnifier."
        participation = await self._participation(extid)
        if participation is None:
            return EnrollmentResult("already", message)
        if not participation.get("activated"):
            await self._activate(item.id, str(participation["id"]))
        return EnrollmentResult("already", message, external_id=extid)

    async def _activate(self, project_id: str, participant_id: str) -> None:
        """A participant cannot open the project until it is activated (201)."""
        path = f"{self._project_path(project_id)}/participants/{quote(participant_id, safe='')}/activate"
        await self._request("POST", path)

    async def _participation(self, extid: str) -> dict[str, Any] | None:
        try:
            response = await self._request("GET", "extparticipation", params={"extid": extid})
        except NotFound:
            return None
        participation = HttpClient.json(response, LABEL)
        if not isinstance(participation, dict) or participation.get("id") is None:
            raise BadResponse(LABEL)
        return participation

    async def _request(self, method: str, path: str, *, extra_headers: dict[str, str] | None = None,
                       **kwargs: Any) -> httpx.Response:
        headers = {**JSON_HEADERS, **(extra_headers or {})}
        return await self.http.request(method, path, headers=headers, auth=self._auth, **kwargs)

    def _projects_path(self) -> str:
        return f"orgunits/{quote(self.org, safe='')}/projects"

    def _project_path(self, project_id: str) -> str:
        return f"{self._projects_path()}/{quote(project_id, safe='')}"

    def _to_item(self, project: dict[str, Any]) -> LearningObject:
        project_id = str(project["id"])
        return LearningObject(
            id=project_id,
            provider=KEY,
            title=text_field(project.get("userTitle")) or text_field(project.get("name")),
            # Learnifier gives a learner their own link (accessLink) only once enrolled; before
            # that a project's only web page is adminUrl. Without it, the project's API address
            # keeps each result's link distinct (search merges results by URL).
            url=text_field(project.get("adminUrl")) or f"{self.http.base_url}/{self._project_path(project_id)}",
            source=LABEL,
            description=text_field(project.get("userDescription")),
            type="course",
            language=_language(project.get("locale")),
            enrollable=True,
        )


def _project_list(data: Any) -> list[dict[str, Any]]:
    """The projects answer is a JSON array of Project objects, each with an id."""
    if not isinstance(data, list) or not all(isinstance(p, dict) and "id" in p for p in data):
        raise BadResponse(LABEL)
    return data


def _participant_id(response: httpx.Response) -> str:
    """The new participant's id: the last segment of the 201's Location header.

    The Swagger file documents only the Location header for this answer; an `id` in a JSON
    body is accepted too, in case the service also returns the Participation.
    """
    location = response.headers.get("location", "")
    last_segment = urlsplit(location).path.rstrip("/").rpartition("/")[2]
    if last_segment:
        return last_segment
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("id") is not None:
        return str(body["id"])
    raise BadResponse(LABEL, "Learnifier added the participant but did not say which one it is.")


def _has_every_word(item: LearningObject, words: list[str]) -> bool:
    text = f"{item.title} {item.description}".casefold()
    return all(word in text for word in words)


def _language(locale: Any) -> str | None:
    """"en-US" → "en": learnbot filters by language, not by region."""
    primary = text_field(locale).replace("_", "-").partition("-")[0].lower()
    return primary or None


SPEC = ProviderSpec(
    key=KEY,
    label=LABEL,
    default_url=DEFAULT_URL,
    url_env="LEARNBOT_LEARNIFIER_URL",
    fields=(
        CredentialField("key", "API key", hint="your Learnifier administrator creates it"),
        CredentialField("secret", "API secret"),
        CredentialField("org", "Organisation unit id", secret=False,
                        hint="the number of the organisation unit whose projects to offer"),
    ),
    build=LearnifierClient,
    credential_env={"key": "LEARNBOT_LEARNIFIER_KEY", "secret": "LEARNBOT_LEARNIFIER_SECRET"},
    options_env={"org": "LEARNBOT_LEARNIFIER_ORG"},
    required=("key", "secret", "org"),
    can_enroll=True,
    # No rate limit is documented; stay well below what an admin API should bear.
    rate_per_second=5.0,
    read_error=read_error,
)
