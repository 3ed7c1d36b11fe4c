"""A fake Learnifier Admin API (REFERENCE.md §3), shared by provider and Slack tests."""

from __future__ import annotations

import json
import re

import httpx

from providers.model import Learner

BASE_URL = "https://acme.learnifier.test"
ORG = "42"
# The document's own example: key "Aladdin", secret "open sesame".
CREDENTIALS = {"key": "Aladdin", "secret": "open sesame", "org": ORG}
BASIC_HEADER = "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
LEARNER = Learner(team_id="T1", user_id="U1", email="ada@example.org", name="Ada")

PYTHON = {
    "id": 1001, "orgId": 42, "name": "py-intro-internal", "userTitle": "Python for analysts",
    "userDescription": "Data wrangling with pandas.", "status": "ACTIVATED", "locale": "en-US",
    "adminUrl": "https://acme.learnifier.test/admin/project/1001",
}
SAFETY = {
    "id": 1002, "orgId": 42, "name": "Säkerhet", "userTitle": "Fire safety", "userDescription": None,
    "status": "ACTIVATED", "locale": "sv-SE", "adminUrl": "https://acme.learnifier.test/admin/project/1002",
}
DRAFT = {**PYTHON, "id": 1003, "userTitle": "Python draft", "status": "NEW"}
RETIRED = {**PYTHON, "id": 1004, "userTitle": "Python 2 (retired)", "status": "DISABLED"}


async def no_sleep(_seconds: float) -> None:
    pass


class FakeLearnifier:
    """The Admin API endpoints learnbot uses, with Basic auth, 201/409 and Location headers."""

    def __init__(self, projects=(PYTHON, SAFETY)):
        self.projects = {str(p["id"]): p for p in projects}
        self.participations: list[dict] = []
        self.requests: list[httpx.Request] = []

    def add_participation(self, project_id, email, extid=None, activated=False, **fields):
        participation = {"id": 500 + len(self.participations), "projectId": int(project_id),
                         "email": email, "externalId": extid, "activated": activated,
                         "activitiesCompleted": 0, "activitiesTotal": 8, **fields}
        self.participations.append(participation)
        return participation

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != BASIC_HEADER:
            return httpx.Response(401, json={"code": 401, "message": "Bad credentials"})
        path = request.url.path
        if request.method == "GET" and path == f"/orgunits/{ORG}/projects":
            return httpx.Response(200, json=list(self.projects.values()))
        if request.method == "GET" and path == "/extparticipation":
            return self._by_extid(request.url.params["extid"])
        if match := re.fullmatch(rf"/orgunits/{ORG}/projects/(\d+)/participants", path):
            return self._add(match[1], json.loads(request.content))
        if match := re.fullmatch(rf"/orgunits/{ORG}/projects/(\d+)/participants/(\d+)/activate", path):
            return self._activate(int(match[2]))
        return httpx.Response(404, json={"message": "No such resource"})

    def _by_extid(self, extid):
        # `email` is the fake's own bookkeeping: a Participation carries only the userId.
        for participation in self.participations:
            if participation["externalId"] == extid:
                return httpx.Response(200, json={k: v for k, v in participation.items() if k != "email"})
        return httpx.Response(404)

    def _add(self, project_id, body):
        existing = [p for p in self.participations
                    if p["projectId"] == int(project_id) and p["email"] == body["email"]]
        participation = existing[0] if existing else self.add_participation(project_id, body["email"],
                                                                            body.get("extid"))
        location = f"{BASE_URL}/orgunits/{ORG}/projects/{project_id}/participants/{participation['id']}"
        if existing:
            return httpx.Response(409, headers={"Location": location},
                                  json={"code": 409, "message": "Participant already exists"})
        return httpx.Response(201, headers={"Location": location})

    def _activate(self, participant_id):
        for participation in self.participations:
            if participation["id"] == participant_id:
                participation["activated"] = True
                return httpx.Response(201)
        return httpx.Response(404)

    def calls(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]
