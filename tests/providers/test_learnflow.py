"""LearnFlow client against a fake that answers like learnflow.md describes."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest
from fakes.learnflow import BASE_URL, BOOTCAMP, INTRO, LEARNER, NOW, FakeLearnFlow, error, no_sleep

from providers.base import HttpClient
from providers.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    EnrollmentUnconfirmed,
    NeedsLearnflowUserId,
    NotFound,
    ProviderDown,
    RateLimited,
)
from providers.learnflow import SPEC, LearnFlowClient, RateWindow, read_error
from providers.model import Learner, LearningObject, Price, SearchQuery
from providers.registry import ProviderHub


def answer(status, body=None, headers=None):
    """A handler that always gives the same answer."""
    def handler(request):
        if isinstance(body, bytes):
            return httpx.Response(status, content=body, headers=headers)
        return httpx.Response(status, json=body, headers=headers)
    return handler


TOKENS = {"access_token": "at-current"}
REFRESHABLE = {"access_token": "at-current", "refresh_token": "rt-current"}


def client_for(handler, credentials=TOKENS, persist=None, http=None, env=None) -> LearnFlowClient:
    if http is None:
        http = HttpClient(SPEC.label, BASE_URL, transport=httpx.MockTransport(handler),
                          read_error=SPEC.read_error, state=RateWindow())
        http.sleep = no_sleep
    client = SPEC.build(http, dict(credentials), env or {}, persist)
    client.clock = lambda: NOW
    return client


def search(client, keywords="web", **filters):
    return asyncio.run(client.search(SearchQuery(keywords, **filters)))


def enroll(client, course_id="crs_8x92k1", learner=LEARNER, key=None):
    item = LearningObject(id=course_id, provider="learnflow", title="Complete Web Development Bootcamp",
                          url=f"{BASE_URL}/v1/courses/{course_id}", enrollable=True)
    return asyncio.run(client.enroll(item, learner, idempotency_key=key))


WITHOUT_USER_ID = Learner(team_id="T1", user_id="U1", email="ada@example.org")


# --- search ---------------------------------------------------------------------------


def test_search_sends_the_bearer_token():
    fake = FakeLearnFlow()
    search(client_for(fake))
    assert fake.bearers() == ["Bearer at-current"]


def test_search_asks_for_the_first_page_of_matching_courses():
    fake = FakeLearnFlow()
    search(client_for(fake), "  web development ")
    assert dict(fake.requests[0].url.params) == {"page": "1", "limit": "20", "search": "web development"}


def test_search_without_keywords_lists_courses_unfiltered():
    fake = FakeLearnFlow()
    search(client_for(fake), "")
    assert "search" not in fake.requests[0].url.params


@pytest.mark.parametrize(("wanted", "sent"), [(7, "7"), (50, "50"), (51, "50"), (200, "50")])
def test_search_clamps_the_page_size_to_fifty(wanted, sent):
    fake = FakeLearnFlow()
    search(client_for(fake), limit=wanted)
    assert fake.requests[0].url.params["limit"] == sent


def test_search_maps_a_course():
    [item] = search(client_for(FakeLearnFlow([BOOTCAMP])))
    assert item == LearningObject(
        id="crs_8x92k1", provider="learnflow", title="Complete Web Development Bootcamp",
        url=f"{BASE_URL}/v1/courses/crs_8x92k1", source="Dr. John Smith", type="course",
        price=Price(49.99, "USD"), enrollable=True, topics=("development",))


def test_search_uses_the_course_web_address_when_learnflow_sends_one():
    [item] = search(client_for(FakeLearnFlow([INTRO])))
    assert (item.url, item.level) == ("https://learnflow.test/c/git", "beginner")


@pytest.mark.parametrize(("price", "is_paid"), [
    ({"amount": 49.99, "currency": "USD"}, True),
    ({"amount": 0, "currency": "USD"}, False),
    (None, False),
    ({"amount": "n/a", "currency": "USD"}, False),
])
def test_only_courses_with_a_price_above_zero_are_paid(price, is_paid):
    [item] = search(client_for(FakeLearnFlow([{**BOOTCAMP, "price": price}])))
    assert item.is_paid is is_paid


@pytest.mark.parametrize(("filters", "expected_ids"), [
    ({"level": "beginner"}, ["crs_8x92k1", "crs_free01"]),  # "all" levels passes any level
    ({"types": ("course",)}, ["crs_8x92k1", "crs_free01"]),
    ({"types": ("video",)}, []),
])
def test_search_applies_the_query_filters_locally(filters, expected_ids):
    items = search(client_for(FakeLearnFlow()), **filters)
    assert [item.id for item in items] == expected_ids


def test_search_with_no_courses_is_empty():
    assert search(client_for(FakeLearnFlow([]))) == []


@pytest.mark.parametrize("body", [b"<html>502</html>", b"[]", b'{"data": {}}', b'{"data": [{"title": "x"}]}'])
def test_an_answer_without_a_course_list_is_a_bad_response(body):
    with pytest.raises(BadResponse):
        search(client_for(answer(200, body)))


# --- enrollment -----------------------------------------------------------------------


def test_enroll_posts_the_user_and_course_and_returns_the_enrollment_id():
    fake = FakeLearnFlow()
    result = enroll(client_for(fake))
    assert json.loads(fake.requests[0].content) == {"user_id": "usr_7f3d9a", "course_id": "crs_8x92k1"}
    assert (result.status, result.external_id) == ("enrolled", "enr_2m4p1z")


def test_the_fake_refuses_an_enrollment_without_a_user_id_as_the_document_implies():
    fake = FakeLearnFlow()
    request = httpx.Request("POST", f"{BASE_URL}/v1/enrollments", json={"course_id": "crs_8x92k1"},
                            headers={"Authorization": "Bearer at-current"})
    response = fake(request)
    assert (response.status_code, response.json()["error"]["message"]) == (
        400, "user_id and course_id are required")


def test_enroll_sends_the_saved_payment_method():
    fake = FakeLearnFlow()
    enroll(client_for(fake, {**TOKENS, "payment_method_id": "pm_visa_4242"}))
    assert fake.enrollment_bodies == [{"user_id": "usr_7f3d9a", "course_id": "crs_8x92k1",
                                       "payment_method_id": "pm_visa_4242"}]


def test_the_user_id_of_a_personal_connection_wins():
    fake = FakeLearnFlow()
    enroll(client_for(fake, {**TOKENS, "user_id": "usr_form01"}))
    assert fake.enrollment_bodies[0]["user_id"] == "usr_form01"


def test_with_user_ids_as_emails_the_work_email_is_the_user_id():
    fake = FakeLearnFlow()
    enroll(client_for(fake, env={"LEARNBOT_LEARNFLOW_USER_ID": "email"}), learner=WITHOUT_USER_ID)
    assert fake.enrollment_bodies[0]["user_id"] == "ada@example.org"


def test_without_a_known_user_id_the_person_is_asked_and_nothing_is_sent():
    fake = FakeLearnFlow()
    with pytest.raises(NeedsLearnflowUserId, match="LearnFlow user id"):
        enroll(client_for(fake), learner=WITHOUT_USER_ID)
    assert fake.requests == []


def test_enroll_sends_the_idempotency_key():
    fake = FakeLearnFlow()
    enroll(client_for(fake), key="T1:U1:learnflow:crs_8x92k1")
    assert fake.idempotency_keys == ["T1:U1:learnflow:crs_8x92k1"]


def test_an_enrollment_answered_with_a_5xx_is_not_sent_again():
    posts = []

    def unavailable(request):
        posts.append(request)
        return error(503, "unavailable", "Try later")
    with pytest.raises(ProviderDown):
        enroll(client_for(unavailable))
    assert len(posts) == 1


def test_an_enrollment_that_times_out_after_sending_is_unconfirmed_and_not_sent_again():
    fake = FakeLearnFlow()
    with pytest.raises(EnrollmentUnconfirmed) as raised:
        enroll(client_for(timing_out(fake)))
    assert raised.value.sentence == ("LearnFlow did not answer in time; it may have enrolled you. "
                                     "Check again in a minute: trying again is safe.")
    assert len(fake.idempotency_keys) == 1


def test_an_enrollment_that_could_not_connect_is_tried_again():
    fake = FakeLearnFlow()
    attempts = []

    def flaky(request):
        attempts.append(request)
        if len(attempts) == 1:
            raise httpx.ConnectError("refused", request=request)
        return fake(request)
    assert enroll(client_for(flaky)).status == "enrolled"
    assert len(attempts) == 2


def timing_out(fake):
    """LearnFlow that enrolls, then never answers in time."""
    def handler(request):
        fake(request)
        raise httpx.ReadTimeout("timed out", request=request)
    return handler


def test_enroll_in_a_course_already_taken_is_already():
    fake = FakeLearnFlow()
    fake.enrolled.add(("usr_7f3d9a", "crs_8x92k1"))
    assert enroll(client_for(fake)).status == "already"


def test_enroll_in_an_unknown_course_is_not_found():
    with pytest.raises(NotFound):
        enroll(client_for(FakeLearnFlow()), "crs_gone")


# --- tokens ---------------------------------------------------------------------------


@pytest.mark.parametrize("seconds_left", [-10, 30])
def test_a_token_about_to_expire_is_renewed_before_the_call(seconds_left):
    fake = FakeLearnFlow()
    search(client_for(fake, {**REFRESHABLE, "expires_at": str(int(NOW) + seconds_left)}))
    assert fake.paths() == ["/v1/auth/refresh", "/v1/courses"]
    assert json.loads(fake.requests[0].content) == {"refresh_token": "rt-current"}
    assert fake.bearers()[1] == "Bearer at-renewed"


def test_a_token_with_time_left_is_not_renewed():
    fake = FakeLearnFlow()
    search(client_for(fake, {**REFRESHABLE, "expires_at": str(int(NOW) + 600)}))
    assert fake.paths() == ["/v1/courses"]


def test_a_renewed_token_is_handed_to_persist_with_its_expiry():
    saved = []
    search(client_for(FakeLearnFlow(), {**REFRESHABLE, "expires_at": str(int(NOW) - 10)}, saved.append))
    assert saved == [{"access_token": "at-renewed", "refresh_token": "rt-current",
                      "expires_at": str(int(NOW) + 3600)}]


@pytest.mark.parametrize(("expires_in", "lifetime"), [(1800, 1800), (None, 3600), ("soon", 3600)])
def test_a_renewed_token_expires_after_expires_in_or_else_an_hour(expires_in, lifetime):
    fake = FakeLearnFlow()
    fake.expires_in = expires_in
    saved = []
    search(client_for(fake, {**REFRESHABLE, "expires_at": "0"}, saved.append))
    assert saved[0]["expires_at"] == str(int(NOW) + lifetime)


def test_a_rotated_refresh_token_is_kept():
    fake = FakeLearnFlow()
    fake.next_refresh_token = "rt-next"
    saved = []
    search(client_for(fake, {**REFRESHABLE, "expires_at": "0"}, saved.append))
    assert saved[0]["refresh_token"] == "rt-next"


def test_a_401_renews_the_token_once_and_retries():
    fake = FakeLearnFlow()
    fake.valid_tokens = set()  # the stored access token has expired
    saved = []
    items = search(client_for(fake, REFRESHABLE, saved.append))
    assert fake.paths() == ["/v1/courses", "/v1/auth/refresh", "/v1/courses"]
    assert fake.bearers()[2] == "Bearer at-renewed"
    assert [item.id for item in items] == ["crs_8x92k1", "crs_free01"]
    assert saved[0]["access_token"] == "at-renewed"


def test_a_second_401_is_an_auth_error():
    def handler(request):
        paths.append(request.url.path)
        if request.url.path == "/v1/auth/refresh":
            return httpx.Response(200, json={"access_token": "at-renewed", "expires_in": 3600})
        return error(401, "invalid_token", "The access token provided is expired or invalid.")
    paths = []
    with pytest.raises(AuthError) as raised:
        search(client_for(handler, REFRESHABLE))
    assert paths == ["/v1/courses", "/v1/auth/refresh", "/v1/courses"]
    assert raised.value.status == 401


def test_a_401_without_a_refresh_token_is_an_auth_error_at_once():
    fake = FakeLearnFlow()
    fake.valid_tokens = set()
    with pytest.raises(AuthError):
        search(client_for(fake, TOKENS))
    assert fake.paths() == ["/v1/courses"]


def test_a_refused_refresh_asks_the_person_to_reconnect():
    fake = FakeLearnFlow()
    fake.refresh_token = "rt-revoked"
    with pytest.raises(AuthError, match="reconnect it with `/learn connect learnflow`"):
        search(client_for(fake, {**REFRESHABLE, "expires_at": "0"}))


def test_a_403_is_not_retried_with_a_new_token():
    def handler(request):
        paths.append(request.url.path)
        return error(403, "forbidden", "Insufficient permissions")
    paths = []
    with pytest.raises(AuthError) as raised:
        search(client_for(handler, REFRESHABLE))
    assert (raised.value.status, paths) == (403, ["/v1/courses"])


# --- errors ---------------------------------------------------------------------------


def test_an_error_sentence_quotes_the_message_and_request_id():
    handler = answer(400, {"error": {"code": "invalid_param", "message": "limit must be a number",
                                     "request_id": "req_123"}})
    with pytest.raises(BadRequest) as raised:
        search(client_for(handler))
    assert raised.value.sentence == ("LearnFlow did not accept the request (HTTP 400). "
                                     "(limit must be a number; request id req_123.)")


@pytest.mark.parametrize(("status", "error_type"), [
    (403, AuthError),
    (404, NotFound),
    (429, RateLimited),
    (500, ProviderDown),
])
def test_http_failures_become_typed_errors_with_the_request_id(status, error_type):
    with pytest.raises(error_type) as raised:
        search(client_for(lambda request: error(status, "some_code", "Something specific")))
    assert "(Something specific; request id req_9x2k1m.)" in raised.value.sentence


@pytest.mark.parametrize("headers", [{"Retry-After": "2"}, {"X-RateLimit-Remaining": "0",
                                                          "X-RateLimit-Reset": "2"}])
def test_a_429_with_a_short_wait_is_retried(headers):
    answers = iter([error(429, "rate_limited", "Too many requests", headers=headers),
                    httpx.Response(200, json={"data": [BOOTCAMP]})])
    assert [item.id for item in search(client_for(lambda request: next(answers)))] == ["crs_8x92k1"]


@pytest.mark.parametrize(("headers", "retry_after"), [({}, None), ({"Retry-After": "90"}, 90)])
def test_a_429_without_a_short_wait_is_reported(headers, retry_after):
    with pytest.raises(RateLimited) as raised:
        search(client_for(lambda request: error(429, "rate_limited", "Too many requests", headers=headers)))
    assert raised.value.retry_after == retry_after


def test_a_timeout_is_reported_as_learnflow_being_down():
    def handler(request):
        raise httpx.ConnectTimeout("timed out", request=request)
    with pytest.raises(ProviderDown, match="took too long"):
        search(client_for(handler))


@pytest.mark.parametrize(("body", "detail"), [
    ({"error": {"code": "x", "message": "Bad limit", "request_id": "req_1"}}, "Bad limit; request id req_1"),
    ({"error": {"code": "x", "message": "Bad limit"}}, "Bad limit"),
    ({"error": {"request_id": "req_1"}}, "request id req_1"),
    ({"message": "not the documented shape"}, None),
    ([], None),
])
def test_read_error_turns_the_error_body_into_a_detail(body, detail):
    response = httpx.Response(400, json=body, request=httpx.Request("GET", f"{BASE_URL}/v1/courses"))
    assert read_error(response) == detail


# --- rate limit headers ---------------------------------------------------------------


def spent_window(reset_in_seconds):
    """A LearnFlow whose first answer says no requests remain until the reset."""
    fake = FakeLearnFlow()
    fake.rate_headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
                         "X-RateLimit-Reset": str(int(NOW + reset_in_seconds))}
    return fake


def test_no_request_remaining_waits_for_a_close_reset_before_the_next_call():
    fake = spent_window(reset_in_seconds=3)
    client = client_for(fake)
    waits = []

    async def record_wait(seconds):
        waits.append((seconds, len(fake.requests)))
    client.sleep = record_wait
    search(client)
    search(client)
    assert waits == [(3, 1)]
    assert len(fake.requests) == 2


def test_no_request_remaining_until_a_distant_reset_names_the_time():
    fake = spent_window(reset_in_seconds=10)
    client = client_for(fake)
    search(client)
    with pytest.raises(RateLimited, match="used up until 10:00 UTC") as raised:
        search(client)
    assert raised.value.retry_after == 10
    assert len(fake.requests) == 1


def test_the_spent_window_holds_for_every_binding_of_learnflow():
    fake = spent_window(reset_in_seconds=10)
    first = client_for(fake)
    search(first)
    with pytest.raises(RateLimited):
        search(client_for(fake, http=first.http))


def test_requests_remaining_means_no_wait():
    fake = spent_window(reset_in_seconds=10)
    fake.rate_headers["X-RateLimit-Remaining"] = "245"
    client = client_for(fake)
    search(client)
    search(client)
    assert len(fake.requests) == 2


def test_a_past_reset_means_no_wait():
    fake = spent_window(reset_in_seconds=10)
    client = client_for(fake)
    search(client)
    client.clock = lambda: NOW + 11
    search(client)
    assert len(fake.requests) == 2


# --- secrets --------------------------------------------------------------------------


def echoing_refusal(request):
    """A careless server that repeats the tokens it was sent in its error message."""
    sent = request.headers.get("authorization", "") + " " + request.content.decode()
    return error(401, "invalid_token", f"Rejected: {sent}")


def test_tokens_echoed_by_learnflow_are_hidden_from_the_sentence():
    with pytest.raises(AuthError) as raised:
        search(client_for(echoing_refusal, TOKENS))
    assert "(Rejected: [redacted]; request id" in raised.value.sentence


@pytest.mark.parametrize("handler", [echoing_refusal, answer(500, {"error": {"message": "boom"}})])
def test_tokens_never_appear_in_errors_reprs_or_logs(handler, caplog):
    caplog.set_level(logging.DEBUG)
    client = client_for(handler, {**REFRESHABLE, "expires_at": "0"})
    with pytest.raises(Exception) as raised:
        search(client)
    shown = " ".join([str(raised.value), repr(raised.value), repr(client), caplog.text])
    assert "at-current" not in shown and "rt-current" not in shown


def test_renewing_a_token_logs_no_token(caplog):
    caplog.set_level(logging.DEBUG)
    search(client_for(FakeLearnFlow(), {**REFRESHABLE, "expires_at": "0"}))
    assert "renewed" in caplog.text
    assert not [token for token in ("at-current", "rt-current", "at-renewed") if token in caplog.text]


# --- wiring ---------------------------------------------------------------------------


def test_a_user_id_setting_other_than_email_is_refused_at_start():
    with pytest.raises(ValueError, match="^LEARNBOT_LEARNFLOW_USER_ID must be `email`"):
        ProviderHub([SPEC], {"LEARNBOT_LEARNFLOW_USER_ID": "usr_7f3d9a"})


def test_a_user_id_is_never_taken_from_a_workspace_wide_set():
    env = {"LEARNBOT_LEARNFLOW_API_TOKEN": "at-current"}
    hub = ProviderHub([SPEC], env)
    shared = {"learnflow": {"user_id": "usr_admin", "payment_method_id": "pm_admin"}}
    assert hub.credentials_for("learnflow", {}, shared) == ({"access_token": "at-current"}, "workspace")


def test_the_hub_uses_the_workspace_token_and_url_from_the_environment():
    fake = FakeLearnFlow()
    env = {"LEARNBOT_LEARNFLOW_URL": BASE_URL, "LEARNBOT_LEARNFLOW_API_TOKEN": "at-current"}
    hub = ProviderHub([SPEC], env, transports={"learnflow": httpx.MockTransport(fake)})
    [provider], _skipped = hub.available({}, {})
    asyncio.run(provider.search(SearchQuery("web")))
    assert (str(fake.requests[0].url).startswith(BASE_URL), fake.bearers()) == (True, ["Bearer at-current"])
