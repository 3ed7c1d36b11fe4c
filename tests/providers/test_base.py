"""The HTTP base every provider stands on, against servers that misbehave as real ones sometimes do.

Hostile answers come over real HTTP on loopback (tests/fakes/loopback.py); 127.0.0.2 plays
"another host". Retry timing uses httpx.MockTransport, with tenacity's sleep recorded.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from contextlib import ExitStack

import httpx
import pytest
from fakes.learnflow import LEARNER, FakeLearnFlow
from fakes.learnifier import CREDENTIALS as LEARNIFIER_CREDENTIALS
from fakes.loopback import LoopbackServer, big_body, gzip_bomb

from providers import inokufu, learnflow, learnifier
from providers.base import HttpClient, credentials_sent, scrub
from providers.errors import (
    AuthError,
    BadResponse,
    EnrollmentUnconfirmed,
    ProviderDown,
    RateLimited,
    ResponseTooLarge,
    Unconfirmed,
)
from providers.model import LearningObject, SearchQuery
from providers.registry import ProviderHub
from providers.search import fan_out

API_KEY = "ink-live-7Qm2xR9vT4"
LEARNFLOW_TOKEN = "at-current"
MIB = 1024 * 1024


def run(coroutine):
    return asyncio.run(coroutine)


def served(stack: ExitStack, app, host: str = "127.0.0.1") -> LoopbackServer:
    return stack.enter_context(LoopbackServer(app, host))


def hub_for(inokufu_url: str, learnflow_url: str = "http://127.0.0.1:9", **env: str) -> ProviderHub:
    """The bot's hub with a workspace Inokufu key and LearnFlow token, pointed at loopback servers."""
    return ProviderHub([inokufu.SPEC, learnflow.SPEC], {
        "LEARNBOT_INOKUFU_URL": inokufu_url, "LEARNBOT_INOKUFU_API_KEY": API_KEY,
        "LEARNBOT_LEARNFLOW_URL": learnflow_url, "LEARNBOT_LEARNFLOW_API_TOKEN": LEARNFLOW_TOKEN, **env})


def search_everywhere(hub: ProviderHub):
    async def go():
        providers, _skipped = hub.available({}, {})
        try:
            return await fan_out(providers, SearchQuery("web"), deadline=10)
        finally:
            await hub.aclose()
    return run(go())


def status_of(outcome, key):
    return next(status for status in outcome.statuses if status.key == key)


def peak_rss_growth_mib(action) -> float:
    """How far the process's peak resident memory rose above its level at the start of `action`."""
    def read(field):
        return int(re.search(rf"{field}:\s+(\d+) kB", open("/proc/self/status").read())[1]) / 1024
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets the peak (VmHWM) to the current size
    before = read("VmRSS")
    action()
    return read("VmHWM") - before


# --- redirects ------------------------------------------------------------------------


def test_a_redirect_to_another_host_is_not_followed_and_names_the_provider():
    with ExitStack() as stack:
        other = served(stack, lambda request: httpx.Response(200, json={"response": []}), "127.0.0.2")
        hostile = served(stack, lambda request: httpx.Response(
            302, headers={"Location": f"{other.url}/search?{request.url.query.decode()}"}))
        fake_learnflow = served(stack, FakeLearnFlow())
        outcome = search_everywhere(hub_for(hostile.url, fake_learnflow.url))
    assert other.requests == []
    assert status_of(outcome, "inokufu").state == "error"
    assert "Inokufu answered with a redirect to another host" in status_of(outcome, "inokufu").reason
    assert status_of(outcome, "learnflow").state == "ok" and outcome.items


def test_a_redirect_within_the_origin_is_followed_with_the_credentials():
    def moved(request):
        if request.url.path == "/old/search":
            return httpx.Response(301, headers={"Location": "/new/search"})
        return httpx.Response(200, json={"response": []})
    with ExitStack() as stack:
        server = served(stack, moved)
        outcome = search_everywhere(hub_for(f"{server.url}/old"))
    assert status_of(outcome, "inokufu").state == "ok"
    assert [r.url.path for r in server.requests].count("/new/search") == 1  # one request per search (Inokufu)
    assert {r.headers["x-api-key"] for r in server.requests} == {API_KEY}


def test_https_never_becomes_http():
    sent = []

    def downgrade(request):
        sent.append(request)
        return httpx.Response(302, headers={"Location": "http://provider.test/plain"})
    http = HttpClient("Inokufu", "https://provider.test", transport=httpx.MockTransport(downgrade))
    with pytest.raises(BadResponse, match="redirect to another host"):
        run(http.request("GET", "search", headers={"x-api-key": API_KEY}))
    assert [str(r.url) for r in sent] == ["https://provider.test/search"]


def test_a_redirect_loop_stops_after_a_few_hops():
    sent = []

    def loop(request):
        sent.append(request)
        return httpx.Response(302, headers={"Location": f"/hop{len(sent)}"})
    http = HttpClient("Inokufu", "https://provider.test", transport=httpx.MockTransport(loop))
    with pytest.raises(BadResponse, match="too many redirects"):
        run(http.request("GET", "search"))
    assert len(sent) == 4


# --- credentials in error texts -------------------------------------------------------


def test_a_key_echoed_in_a_401_appears_in_no_sentence_or_log_line(caplog):
    caplog.set_level(logging.DEBUG)

    def echo(request):
        return httpx.Response(401, json={"message": f"Invalid API key: {request.headers['x-api-key']}"})
    with ExitStack() as stack:
        hostile = served(stack, echo)
        outcome = search_everywhere(hub_for(hostile.url))
    reason = status_of(outcome, "inokufu").reason
    assert reason.startswith("Inokufu refused the credentials") and "[redacted]" in reason
    assert API_KEY not in reason and API_KEY not in caplog.text


def test_basic_auth_echoed_in_any_form_is_removed():
    basic = base64.b64encode(b"Aladdin:open sesame").decode()

    def echo(request):
        return httpx.Response(401, json={"message": f"{request.headers['authorization']} = Aladdin:open sesame; "
                                                    f"user Aladdin, password open%20sesame"})
    with ExitStack() as stack:
        hostile = served(stack, echo)
        hub = ProviderHub([learnifier.SPEC], {"LEARNBOT_LEARNIFIER_URL": hostile.url})
        client = hub.bind("learnifier", LEARNIFIER_CREDENTIALS)
        with pytest.raises(AuthError) as raised:
            run(client.search(SearchQuery("python")))
    sentence = raised.value.sentence
    assert not [secret for secret in (basic, "Aladdin", "open sesame", "open%20sesame") if secret in sentence]
    assert "[redacted]" in sentence


def test_credentials_are_read_from_headers_query_and_body():
    request = httpx.Request("POST", "https://p.test/token?api_key=q-secret-1&keywords=python",
                            headers={"Authorization": "Bearer tok-123456", "Idempotency-Key": "k-1"},
                            data={"client_secret": "cs-abcdef", "grant_type": "client_credentials"})
    assert credentials_sent(request) == {"Bearer tok-123456", "tok-123456", "q-secret-1", "cs-abcdef"}


@pytest.mark.parametrize(("text", "secrets", "expected"), [
    ("bad key ABCD1234", {"ABCD1234"}, "bad key [redacted]"),
    ("bad key abcd1234", {"ABCD1234"}, "bad key [redacted]"),  # echoed in another letter case
    ("no access for x7", {"x7"}, None),  # too short to replace: the detail is dropped
    ("token Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc was refused", set(), None),  # a credential not sent
    ("limit must be a number", {"ABCD1234"}, "limit must be a number"),
])
def test_scrub(text, secrets, expected):
    assert scrub(text, secrets) == expected


# --- size caps ------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [
    lambda request: httpx.Response(200, content=big_body(6_000_000)),
    lambda request: httpx.Response(200, headers={"Content-Encoding": "gzip"}, content=gzip_bomb(1024 * MIB)),
], ids=["6 MB body", "gzip bomb"])
def test_an_oversized_answer_is_capped_with_flat_memory_while_the_others_answer(answer):
    outcomes = []
    with ExitStack() as stack:
        hostile = served(stack, answer)
        fake_learnflow = served(stack, FakeLearnFlow())
        growth = peak_rss_growth_mib(lambda: outcomes.append(
            search_everywhere(hub_for(hostile.url, fake_learnflow.url))))
    [outcome] = outcomes
    assert status_of(outcome, "inokufu").reason.startswith("Inokufu sent more than 5 MB;")
    assert status_of(outcome, "learnflow").state == "ok"
    print(f"peak memory growth: {growth:.1f} MiB")
    assert growth < 50, f"memory grew by {growth:.0f} MiB"


def test_the_cap_comes_from_the_setting():
    with ExitStack() as stack:
        server = served(stack, lambda request: httpx.Response(200, content=big_body(2_000)))
        hub = hub_for(server.url, LEARNBOT_MAX_RESPONSE_BYTES="1000")
        with pytest.raises(ResponseTooLarge, match="sent more than 1,000 bytes"):
            run(hub.http["inokufu"].request("GET", "search"))


@pytest.mark.parametrize("value", ["abc", "0", "-5", "5MB"])
def test_a_cap_that_is_not_a_positive_number_is_refused_in_one_line(value):
    with pytest.raises(ValueError, match="^LEARNBOT_MAX_RESPONSE_BYTES must be a positive whole number") as raised:
        hub_for("http://127.0.0.1:9", LEARNBOT_MAX_RESPONSE_BYTES=value)
    assert "\n" not in str(raised.value)


# --- retries --------------------------------------------------------------------------


def replying(*answers):
    """A transport answering in turn; the requests it got are in `.sent`."""
    queue = list(answers)

    def handler(request):
        handler.sent.append(request)
        return queue.pop(0) if len(queue) > 1 else queue[0]
    handler.sent = []
    return handler


def client(handler) -> tuple[HttpClient, list[float]]:
    waits: list[float] = []

    async def record(seconds):
        waits.append(seconds)
    http = HttpClient("LearnFlow", "https://learnflow.test", transport=httpx.MockTransport(handler))
    http.sleep = record
    return http, waits


def test_a_5xx_is_retried_for_a_search():
    handler = replying(httpx.Response(503), httpx.Response(502), httpx.Response(200, json={}))
    http, waits = client(handler)
    assert run(http.request("GET", "courses")).status_code == 200
    assert (len(handler.sent), len(waits)) == (3, 2)


def test_a_short_retry_after_is_waited_out():
    handler = replying(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={}))
    http, waits = client(handler)
    run(http.request("GET", "courses"))
    assert waits == [2.0]


def test_a_long_retry_after_is_reported_at_once():
    handler = replying(httpx.Response(429, headers={"Retry-After": "90"}))
    http, _waits = client(handler)
    with pytest.raises(RateLimited):
        run(http.request("GET", "courses"))
    assert len(handler.sent) == 1


@pytest.mark.parametrize("failure", [
    lambda request: httpx.Response(500),
    lambda request: (_ for _ in ()).throw(httpx.ReadTimeout("slow", request=request)),
    lambda request: (_ for _ in ()).throw(httpx.RemoteProtocolError("dropped", request=request)),
    # httpx-aiohttp reports a connection the server dropped after the request as a connect timeout
    lambda request: (_ for _ in ()).throw(httpx.ConnectTimeout("dropped", request=request)),
], ids=["5xx", "read timeout", "dropped connection", "connect timeout"])
def test_a_request_that_must_not_be_repeated_is_sent_once(failure):
    sent = []

    def handler(request):
        sent.append(request)
        return failure(request)
    http, _waits = client(handler)
    with pytest.raises((ProviderDown, Unconfirmed)):
        run(http.request("POST", "enrollments", json={}, idempotent=False))
    assert len(sent) == 1


# --- an enrollment that takes 20 s ----------------------------------------------------


def test_a_slow_enrollment_is_sent_once_then_once_more_with_the_same_key():
    fake = FakeLearnFlow()
    fake.enroll_latency = 20.0
    item = LearningObject(id="crs_8x92k1", provider="learnflow", title="Bootcamp", url="https://x.test",
                          enrollable=True)
    key = "T1:U1:learnflow:crs_8x92k1"

    async def click_twice(client):
        with pytest.raises(EnrollmentUnconfirmed) as raised:
            await client.enroll(item, LEARNER, idempotency_key=key)
        first_keys = list(fake.idempotency_keys)
        fake.enroll_latency = 0.0
        return raised.value, first_keys, await client.enroll(item, LEARNER, idempotency_key=key)

    with ExitStack() as stack:
        server = served(stack, fake)
        stack.callback(fake.release.set)  # ends the slow answer when the test is done
        http = HttpClient("LearnFlow", server.url, timeout=0.5, read_error=learnflow.read_error,
                          state=learnflow.RateWindow())
        client = learnflow.SPEC.build(http, {"access_token": LEARNFLOW_TOKEN}, {}, None)
        unconfirmed, first_keys, result = run(click_twice(client))
    assert unconfirmed.sentence == ("LearnFlow did not answer in time; it may have enrolled you. "
                                    "Check again in a minute: trying again is safe.")
    assert first_keys == [key]
    assert fake.idempotency_keys == [key, key]
    assert (len(fake.enrolled), result.status) == (1, "enrolled")


def test_a_cookie_set_for_one_person_is_never_sent_with_another_persons_request():
    """One client serves every person's credentials, so it keeps no cookies."""
    sent = []

    def handler(request):
        sent.append(request)
        return httpx.Response(200, headers={"Set-Cookie": "session=alice-session; Path=/"}, json={})
    http = HttpClient("LearnFlow", "https://learnflow.test", transport=httpx.MockTransport(handler))
    run(http.request("GET", "/v1/courses", headers={"Authorization": "Bearer alice"}))
    run(http.request("GET", "/v1/courses", headers={"Authorization": "Bearer bob"}))
    assert "cookie" not in sent[1].headers
