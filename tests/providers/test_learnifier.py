"""Learnifier client against a fake that answers like Learnifier's Swagger file (REFERENCE.md §3)."""

from __future__ import annotations

import asyncio
import base64
import json
import logging

import httpx
import pytest
from fakes.learnifier import (
    BASE_URL,
    BASIC_HEADER,
    CREDENTIALS,
    DRAFT,
    LEARNER,
    ORG,
    PYTHON,
    RETIRED,
    FakeLearnifier,
    no_sleep,
)

from providers.base import HttpClient
from providers.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    EnrollmentUnconfirmed,
    NotFound,
    ProviderDown,
    RateLimited,
)
from providers.learnifier import SPEC, LearnifierClient, participation_extid, read_error
from providers.model import Learner, LearningObject, Progress, SearchQuery
from providers.registry import ProviderHub


def client_for(handler, credentials=CREDENTIALS) -> LearnifierClient:
    http = HttpClient(SPEC.label, BASE_URL, transport=httpx.MockTransport(handler),
                      read_error=SPEC.read_error)
    http.sleep = no_sleep
    return SPEC.build(http, dict(credentials), {}, None)


def answer(status, body=None, headers=None):
    """A handler that always gives the same answer."""
    def handler(request):
        if isinstance(body, (bytes, str)):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)
    return handler


def search(client, keywords="", **filters):
    return asyncio.run(client.search(SearchQuery(keywords, **filters)))


def course(project) -> LearningObject:
    """The search result for `project`, as the Enroll button hands it back."""
    return LearningObject(id=str(project["id"]), provider="learnifier", title=project["userTitle"],
                          url=project["adminUrl"], source="Learnifier", type="course", enrollable=True)


# --- authentication -------------------------------------------------------------------


def test_every_request_carries_basic_auth_of_key_and_secret():
    fake = FakeLearnifier()
    search(client_for(fake))
    assert fake.requests[0].headers["authorization"] == BASIC_HEADER


def test_every_request_declares_json_as_the_document_requires():
    fake = FakeLearnifier()
    search(client_for(fake))
    assert fake.requests[0].headers["content-type"] == "application/json"


def test_wrong_secret_is_an_auth_error():
    fake = FakeLearnifier()
    with pytest.raises(AuthError):
        search(client_for(fake, {**CREDENTIALS, "secret": "wrong"}))


# --- search ---------------------------------------------------------------------------


def test_search_lists_the_projects_of_the_configured_org_unit():
    fake = FakeLearnifier()
    search(client_for(fake))
    assert fake.calls() == [f"GET /orgunits/{ORG}/projects"]


def test_search_maps_a_project_to_a_course():
    assert search(client_for(FakeLearnifier([PYTHON])), "python") == [
        LearningObject(id="1001", provider="learnifier", title="Python for analysts",
                       url="https://acme.learnifier.test/admin/project/1001", source="Learnifier",
                       description="Data wrangling with pandas.", type="course", language="en",
                       enrollable=True)
    ]


def test_search_falls_back_to_the_internal_name_and_the_project_address():
    bare = {"id": 7, "name": "Onboarding"}
    [item] = search(client_for(FakeLearnifier([bare])))
    assert (item.title, item.url) == ("Onboarding", f"{BASE_URL}/orgunits/{ORG}/projects/7")


@pytest.mark.parametrize(("keywords", "expected_ids"), [
    ("", ["1001", "1002"]),
    ("python", ["1001"]),
    ("PYTHON Analysts", ["1001"]),
    ("pandas", ["1001"]),  # found in the description
    ("python fire", []),  # every word must match
    ("cooking", []),
])
def test_search_keeps_projects_holding_every_keyword(keywords, expected_ids):
    items = search(client_for(FakeLearnifier()), keywords)
    assert [item.id for item in items] == expected_ids


def test_search_skips_projects_participants_cannot_be_activated_in():
    items = search(client_for(FakeLearnifier([PYTHON, DRAFT, RETIRED])), "python")
    assert [item.id for item in items] == ["1001"]


def test_search_applies_the_query_filters_locally():
    items = search(client_for(FakeLearnifier()), languages=("sv",))
    assert [item.id for item in items] == ["1002"]


def test_search_returns_at_most_the_query_limit():
    items = search(client_for(FakeLearnifier()), limit=1)
    assert [item.id for item in items] == ["1001"]


def test_search_of_an_org_unit_without_projects_is_empty():
    assert search(client_for(FakeLearnifier([]))) == []


@pytest.mark.parametrize("body", [b"<html>oops</html>", b'{"projects": []}', b'[{"name": "no id"}]'])
def test_search_answer_that_is_not_a_project_list_is_a_bad_response(body):
    with pytest.raises(BadResponse):
        search(client_for(answer(200, body)))


# --- enrolment ------------------------------------------------------------------------


def enroll(client, project=PYTHON, learner=LEARNER, key=None):
    return asyncio.run(client.enroll(course(project), learner, idempotency_key=key))


def test_adding_the_participant_carries_the_idempotency_key_and_is_sent_once():
    def handler(request):
        seen.append(request)
        raise httpx.ReadTimeout("timed out", request=request)
    seen = []
    with pytest.raises(EnrollmentUnconfirmed, match="Learnifier did not answer in time"):
        enroll(client_for(handler), key="T1:U1:learnifier:1001")
    assert [request.headers["idempotency-key"] for request in seen] == ["T1:U1:learnifier:1001"]


def test_enroll_adds_the_participant_by_email_then_activates_it():
    fake = FakeLearnifier()
    result = enroll(client_for(fake))
    assert fake.calls() == [f"POST /orgunits/{ORG}/projects/1001/participants",
                            f"POST /orgunits/{ORG}/projects/1001/participants/500/activate"]
    assert json.loads(fake.requests[0].content) == {"email": "ada@example.org",
                                                    "extid": "learnbot:T1:U1:1001"}
    assert fake.participations[0]["activated"] is True
    assert (result.status, result.external_id) == ("enrolled", "learnbot:T1:U1:1001")


def test_enroll_reads_the_participant_id_from_a_json_body_without_location():
    def handler(request):
        if request.url.path.endswith("/participants"):
            return httpx.Response(201, json={"id": 77, "activated": False})
        seen.append(request.url.path)
        return httpx.Response(201)
    seen = []
    enroll(client_for(handler))
    assert seen == [f"/orgunits/{ORG}/projects/1001/participants/77/activate"]


def test_enroll_without_a_participant_id_in_the_answer_is_a_bad_response():
    with pytest.raises(BadResponse):
        enroll(client_for(answer(201)))


@pytest.mark.parametrize(("activated", "expected_calls"), [
    (False, 3),  # an earlier enrolment stopped before activating: finish it
    (True, 2),
])
def test_enroll_when_learnbot_already_added_the_participant(activated, expected_calls):
    fake = FakeLearnifier()
    fake.add_participation("1001", LEARNER.email, participation_extid(LEARNER, "1001"), activated)
    result = enroll(client_for(fake))
    assert (result.status, result.external_id) == ("already", "learnbot:T1:U1:1001")
    assert len(fake.requests) == expected_calls
    assert fake.participations[0]["activated"] is True


def test_enroll_leaves_a_participant_an_admin_added_as_it_is():
    fake = FakeLearnifier()
    fake.add_participation("1001", LEARNER.email, extid="hr-system-9", activated=False)
    result = enroll(client_for(fake))
    assert (result.status, result.external_id) == ("already", None)
    assert fake.participations[0]["activated"] is False


@pytest.mark.parametrize("email", [None, ""])
def test_enroll_without_an_email_explains_the_missing_permission(email):
    fake = FakeLearnifier()
    learner = Learner(team_id="T1", user_id="U1", email=email)
    with pytest.raises(BadRequest, match="users:read.email"):
        enroll(client_for(fake), learner=learner)
    assert fake.requests == []


def test_enroll_reports_why_activation_failed():
    def handler(request):
        if request.url.path.endswith("/activate"):
            return httpx.Response(406, json={"message": "Could not activate",
                                             "failures": [{"message": "No licences left",
                                                           "productId": "p1", "type": "quota"}]})
        return FakeLearnifier()(request)
    with pytest.raises(BadRequest) as raised:
        enroll(client_for(handler))
    assert raised.value.sentence == ("Learnifier did not accept the request (HTTP 406). "
                                     "(Could not activate; No licences left.)")


# --- progress -------------------------------------------------------------------------


def test_progress_counts_completed_activities_of_the_participation():
    fake = FakeLearnifier()
    fake.add_participation("1001", LEARNER.email, "learnbot:T1:U1:1001", True,
                           activitiesCompleted=3.0, activitiesTotal=8)
    progress = asyncio.run(client_for(fake).progress("learnbot:T1:U1:1001", LEARNER))
    assert progress == Progress(completed=3, total=8)
    assert fake.requests[0].url.params["extid"] == "learnbot:T1:U1:1001"


def test_progress_with_unreadable_counts_is_a_bad_response():
    fake = FakeLearnifier()
    fake.add_participation("1001", LEARNER.email, "learnbot:T1:U1:1001", True, activitiesCompleted="many")
    with pytest.raises(BadResponse):
        asyncio.run(client_for(fake).progress("learnbot:T1:U1:1001", LEARNER))


def test_progress_of_a_participation_learnifier_no_longer_knows_is_none():
    assert asyncio.run(client_for(FakeLearnifier()).progress("learnbot:T1:U1:1001", LEARNER)) is None


# --- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "error_type"), [
    (401, AuthError),
    (403, AuthError),
    (404, NotFound),
    (429, RateLimited),
    (500, ProviderDown),
])
def test_http_failures_become_typed_errors_quoting_learnifier(status, error_type):
    handler = answer(status, {"code": 17, "message": "Something specific"})
    with pytest.raises(error_type) as raised:
        search(client_for(handler))
    assert "(Something specific; code 17.)" in raised.value.sentence


def test_a_429_with_a_short_retry_after_is_retried():
    answers = iter([httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, json=[PYTHON])])
    items = search(client_for(lambda request: next(answers)))
    assert [item.id for item in items] == ["1001"]


def test_a_429_with_a_long_retry_after_reports_the_wait():
    with pytest.raises(RateLimited) as raised:
        search(client_for(answer(429, {"message": "Slow down"}, {"Retry-After": "120"})))
    assert raised.value.retry_after == 120


def test_a_timeout_is_reported_as_learnifier_being_down():
    def handler(request):
        raise httpx.ReadTimeout("timed out", request=request)
    with pytest.raises(ProviderDown, match="took too long"):
        search(client_for(handler))


@pytest.mark.parametrize(("body", "detail"), [
    ({"code": 1002, "field": "email", "message": "Invalid email"}, "Invalid email; field “email”; code 1002"),
    ({"message": "Project is disabled"}, "Project is disabled"),
    ({"message": "Cannot activate", "failures": [{"message": "Seat limit"}, {"type": "x"}]},
     "Cannot activate; Seat limit"),
    ({}, None),
    ([1, 2], None),
])
def test_read_error_turns_the_error_body_into_a_detail(body, detail):
    assert read_error(httpx.Response(400, json=body)) == detail


# --- secrets --------------------------------------------------------------------------


SECRET_CREDENTIALS = {"key": "key-5f1c2d", "secret": "s3cr3t-9a7b", "org": ORG}
SECRET_VALUES = ["key-5f1c2d", "s3cr3t-9a7b",
                 base64.b64encode(b"key-5f1c2d:s3cr3t-9a7b").decode()]


@pytest.mark.parametrize("status", [400, 401, 403, 500])
def test_credentials_never_appear_in_errors_reprs_or_logs(status, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(answer(status, {"message": "refused"}), SECRET_CREDENTIALS)
    with pytest.raises(Exception) as raised:
        search(client)
    shown = " ".join([str(raised.value), repr(raised.value), repr(client), caplog.text])
    assert not [secret for secret in SECRET_VALUES if secret in shown]


# --- wiring ---------------------------------------------------------------------------


def test_the_hub_builds_the_client_from_the_workspace_environment():
    fake = FakeLearnifier()
    env = {"LEARNBOT_LEARNIFIER_URL": "https://acme.learnifier.test", "LEARNBOT_LEARNIFIER_KEY": "Aladdin",
           "LEARNBOT_LEARNIFIER_SECRET": "open sesame", "LEARNBOT_LEARNIFIER_ORG": ORG}
    hub = ProviderHub([SPEC], env, transports={"learnifier": httpx.MockTransport(fake)})
    [provider], _skipped = hub.available({}, {})
    items = asyncio.run(provider.search(SearchQuery("fire")))
    assert [item.id for item in items] == ["1002"]
