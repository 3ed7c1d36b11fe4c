"""LinkedIn Learning client, against a fake of the token endpoint and the criteria finder."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from providers.errors import AuthError, BadRequest, BadResponse, NotFound, ProviderDown, RateLimited
from providers.linkedin import FIELDS, SPEC, LinkedInClient, TokenCache
from providers.model import Learner, LearningObject, SearchQuery
from providers.registry import ProviderHub

pytestmark = pytest.mark.anyio

CLIENT_ID = "78ab1c2d3e4f5g"
SECRET = "li-secret-Zq81XvT0wPp3"
ENV = {"LEARNBOT_LINKEDIN_CLIENT_ID": CLIENT_ID, "LEARNBOT_LINKEDIN_CLIENT_SECRET": SECRET}
FIXTURES = Path(__file__).parent / "fixtures"
CATALOG = json.loads((FIXTURES / "linkedin_assets.json").read_text(encoding="utf-8"))["elements"]


class FakeLinkedIn:
    """Answers like LinkedIn's documents say.

    The token endpoint wants a form-encoded client-credentials grant and issues a new token
    each time. The criteria finder wants one of the tokens still accepted, serves at most
    `page_size` assets a page, and, like LinkedIn, leaves `fields` out of its paging links.
    `replies` are sent first to API calls, `token_replies` to token calls (responses, or
    exceptions to raise).
    """

    def __init__(self, catalog: list[dict] = CATALOG, page_size: int = 100):
        self.catalog = catalog
        self.page_size = page_size
        self.accepted: set[str] = set()
        self.issued: list[str] = []
        self.replies: list[httpx.Response | Exception] = []
        self.token_replies: list[httpx.Response | Exception] = []
        self.requests: list[httpx.Request] = []
        self.waits: list[float] = []
        self.hubs: dict[tuple, ProviderHub] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        is_token_call = request.url.path.endswith("/oauth/v2/accessToken")
        queued = self.token_replies if is_token_call else self.replies
        if queued:
            reply = queued.pop(0)
            if isinstance(reply, Exception):
                raise reply
            return reply
        return self.token(request) if is_token_call else self.assets(request)

    def token(self, request: httpx.Request) -> httpx.Response:
        form = dict(parse_qsl(request.content.decode()))
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return httpx.Response(400, json={"error": "invalid_request", "error_description": "Form expected"})
        if form != {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET}:
            return httpx.Response(401, json={"error": "invalid_client",
                                             "error_description": "Client authentication failed"})
        token = f"AQXt-token-{len(self.issued) + 1}-9f8e7d6c"
        self.issued.append(token)
        self.accepted.add(token)
        return httpx.Response(200, json={"access_token": token, "expires_in": 7775999})

    def assets(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.accepted:
            return httpx.Response(401, json={"message": "Invalid access token", "serviceErrorCode": 65600,
                                             "status": 401})
        params = dict(request.url.params)
        if request.url.path != "/v2/learningAssets" or params.get("q") != "criteria":
            return httpx.Response(400, json={"message": "Unknown finder", "status": 400})
        start, count = int(params.get("start", 0)), min(int(params.get("count", 10)), self.page_size)
        links = []
        if start + count < len(self.catalog):
            following = {key: value for key, value in params.items() if key != "fields"}
            following.update(start=start + count, count=count)
            links.append({"rel": "next", "href": f"/v2/learningAssets?{urlencode(following, safe='[]')}",
                          "type": "application/json"})
        return httpx.Response(200, json={
            "elements": self.catalog[start:start + count],
            "paging": {"total": len(self.catalog), "count": count, "start": start, "links": links}})

    def revoke_tokens(self) -> None:
        self.accepted.clear()

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    @property
    def token_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.endswith("/oauth/v2/accessToken")]

    @property
    def api_calls(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.startswith("/v2/")]


def hub_for(fake: FakeLinkedIn, env: dict[str, str] | None = None) -> ProviderHub:
    """One hub per fake and settings, as the bot has one hub for its life."""
    env = env or ENV
    settings = tuple(sorted(env.items()))
    if settings not in fake.hubs:
        hub = ProviderHub([SPEC], env, transports={"linkedin": httpx.MockTransport(fake)})
        hub.http["linkedin"].sleep = fake.sleep
        fake.hubs[settings] = hub
    return fake.hubs[settings]


def connect(fake: FakeLinkedIn, env: dict[str, str] | None = None) -> LinkedInClient:
    """Bind the client the way the bot does: through the hub, from workspace settings."""
    hub = hub_for(fake, env)
    return hub.bind("linkedin", hub.workspace_credentials("linkedin"))


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def fake() -> FakeLinkedIn:
    return FakeLinkedIn()


# --- request parameters ------------------------------------------------------------------------

async def test_search_uses_the_criteria_finder_with_the_documented_parameters(fake):
    await connect(fake).search(SearchQuery("python", types=("course", "video"), languages=("en",),
                                           level="beginner", limit=10))

    assert dict(fake.api_calls[0].url.params) == {
        "q": "criteria",
        "assetFilteringCriteria.keyword": "python",
        "assetFilteringCriteria.assetTypes[0]": "COURSE",
        "assetFilteringCriteria.assetTypes[1]": "VIDEO",
        "assetFilteringCriteria.locales[0].language": "en",
        "assetFilteringCriteria.difficultyLevels[0]": "BEGINNER",
        "assetRetrievalCriteria.includeRetired": "false",
        "assetPresentationCriteria.sortBy": "RELEVANCE",
        "start": "0",
        "count": "10",
        "fields": FIELDS,
    }


async def test_the_fields_projection_asks_only_for_what_is_shown():
    assert FIELDS == ("urn,type,title,details:(images:(primary),shortDescription:(value),level,timeToComplete,"
                      "urls:(webLaunch),classifications:($*:(associatedClassification:(name:(value)))))")


async def test_courses_are_searched_when_no_type_is_asked(fake):
    await connect(fake).search(SearchQuery("python"))

    params = fake.api_calls[0].url.params
    assert params.get_list("assetFilteringCriteria.assetTypes[0]") == ["COURSE"]
    assert "assetFilteringCriteria.assetTypes[1]" not in params


async def test_types_linkedin_does_not_have_ask_nothing(fake):
    items = await connect(fake).search(SearchQuery("python", types=("mooc", "podcast")))

    assert (items, fake.requests) == ([], [])


@pytest.mark.parametrize("limit, count", [(0, "1"), (25, "25"), (500, "100")])
async def test_count_stays_within_what_the_finder_serves(fake, limit, count):
    await connect(fake).search(SearchQuery("python", limit=limit))

    assert fake.api_calls[0].url.params["count"] == count


async def test_the_bearer_token_is_sent(fake):
    await connect(fake).search(SearchQuery("python"))

    assert fake.api_calls[0].headers["authorization"] == f"Bearer {fake.issued[0]}"


# --- paging ---------------------------------------------------------------------------------------

async def test_next_links_are_followed_until_the_limit_is_reached():
    fake = FakeLinkedIn(page_size=2)

    items = await connect(fake).search(SearchQuery("python", limit=5))

    assert ([call.url.params["start"] for call in fake.api_calls], len(items)) == (["0", "2", "4"], 5)


async def test_the_fields_projection_is_added_back_to_next_links():
    fake = FakeLinkedIn(page_size=2)

    await connect(fake).search(SearchQuery("python", limit=5))

    assert [call.url.params.get_list("fields") for call in fake.api_calls] == [[FIELDS]] * 3


async def test_paging_stops_when_there_is_no_next_link():
    fake = FakeLinkedIn(catalog=CATALOG[:3], page_size=2)

    items = await connect(fake).search(SearchQuery("python", limit=20))

    assert (len(fake.api_calls), len(items)) == (2, 3)


async def test_paging_stops_once_enough_results_arrived():
    fake = FakeLinkedIn(page_size=2)

    items = await connect(fake).search(SearchQuery("python", limit=2))

    assert (len(fake.api_calls), len(items)) == (1, 2)


async def test_next_links_are_relative_to_the_configured_api_url():
    fake = FakeLinkedIn(page_size=2)

    await connect(fake, {**ENV, "LEARNBOT_LINKEDIN_URL": "https://linkedin-proxy.example.org"}).search(
        SearchQuery("python", limit=3))

    assert [call.url.host for call in fake.api_calls] == ["linkedin-proxy.example.org"] * 2


# --- mapping --------------------------------------------------------------------------------------

async def test_a_realistic_course_is_mapped(fake):
    items = await connect(fake).search(SearchQuery("python"))

    assert items[0] == LearningObject(
        id="urn:li:lyndaCourse:2822204",
        provider="linkedin",
        title="Python Essential Training",
        url="https://www.linkedin.com/learning/python-essential-training-18764650",
        source="LinkedIn Learning",
        description="Learn the fundamentals of Python 3, from variables and functions to classes and modules.",
        type="course",
        language="en",
        duration_minutes=258,
        level="beginner",
        image="https://media.licdn.com/dms/image/C4E0DAQF1/learning-public-crop_288_512/0/1616707512391"
              "?e=2147483647&v=beta&t=Qx9",
        topics=("Technology", "Programming Languages", "Python (Programming Language)"),
    )


async def test_asset_types_become_our_type_names(fake):
    items = await connect(fake).search(SearchQuery("python"))

    assert [item.type for item in items] == ["course", "video", "course", "course", "learning path"]


async def test_levels_become_our_level_names(fake):
    items = await connect(fake).search(SearchQuery("python"))

    assert [item.level for item in items] == ["beginner", "beginner", "advanced", "intermediate", "beginner"]


@pytest.mark.parametrize("time_to_complete, minutes", [
    ({"duration": 312, "unit": "SECOND"}, 5),
    ({"duration": 20, "unit": "SECOND"}, 1),
    ({"duration": 90, "unit": "MINUTE"}, 90),
    ({"duration": 0, "unit": "SECOND"}, None),
    (None, None),
])
async def test_time_to_complete_becomes_minutes(time_to_complete, minutes):
    asset = {**CATALOG[0], "details": {**CATALOG[0]["details"], "timeToComplete": time_to_complete}}

    items = await connect(FakeLinkedIn(catalog=[asset])).search(SearchQuery("python"))

    assert items[0].duration_minutes == minutes


@pytest.mark.parametrize("remove", ["urn", "title", "details"])
async def test_assets_without_urn_title_or_launch_url_are_skipped(remove):
    asset = {key: value for key, value in CATALOG[0].items() if key != remove}

    assert await connect(FakeLinkedIn(catalog=[asset])).search(SearchQuery("python")) == []


async def test_durations_are_checked_here_since_linkedin_cannot_filter_them(fake):
    items = await connect(fake).search(SearchQuery("python", max_minutes=120))

    assert [item.duration_minutes for item in items] == [5, 105]


async def test_empty_elements_are_an_empty_list():
    assert await connect(FakeLinkedIn(catalog=[])).search(SearchQuery("zzz")) == []


# --- token ----------------------------------------------------------------------------------------

async def test_the_token_is_a_form_encoded_client_credentials_grant(fake):
    await connect(fake).search(SearchQuery("python"))

    call = fake.token_calls[0]
    assert (call.method, str(call.url), dict(parse_qsl(call.content.decode()))) == (
        "POST", "https://www.linkedin.com/oauth/v2/accessToken",
        {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": SECRET})


async def test_the_token_is_fetched_once_for_two_searches_by_two_bound_clients(fake):
    await connect(fake).search(SearchQuery("python"))
    await connect(fake).search(SearchQuery("java"))

    assert (len(fake.token_calls), len(fake.api_calls)) == (1, 2)


async def test_different_credentials_get_their_own_token(fake):
    await connect(fake).search(SearchQuery("python"))
    with pytest.raises(AuthError):
        await connect(fake, {**ENV, "LEARNBOT_LINKEDIN_CLIENT_SECRET": "another-secret"}).search(
            SearchQuery("python"))

    assert len(fake.token_calls) == 2


async def test_each_hub_keeps_its_own_tokens(fake):
    await connect(fake).search(SearchQuery("python"))
    other_hub = ProviderHub([SPEC], ENV, transports={"linkedin": httpx.MockTransport(fake)})
    await other_hub.bind("linkedin", other_hub.workspace_credentials("linkedin")).search(SearchQuery("python"))

    assert isinstance(other_hub.http["linkedin"].state, TokenCache)
    assert len(fake.token_calls) == 2


async def test_the_token_is_renewed_shortly_before_it_expires(fake, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(hub_for(fake).http["linkedin"].state, "clock", lambda: now[0])
    await connect(fake).search(SearchQuery("python"))
    now[0] += 7775999 - 60

    await connect(fake).search(SearchQuery("python"))

    assert len(fake.token_calls) == 2


async def test_the_token_url_can_be_configured(fake):
    env = {**ENV, "LEARNBOT_LINKEDIN_TOKEN_URL": "https://sso.example.org/oauth/v2/accessToken"}

    await connect(fake, env).search(SearchQuery("python"))

    assert fake.token_calls[0].url.host == "sso.example.org"


async def test_a_refused_token_is_renewed_and_the_call_retried_once(fake):
    client = connect(fake)
    await client.search(SearchQuery("python"))
    fake.revoke_tokens()

    items = await client.search(SearchQuery("python"))

    assert (len(items), len(fake.token_calls), len(fake.api_calls)) == (5, 2, 3)


async def test_a_token_refused_twice_is_an_auth_error(fake):
    fake.replies = [httpx.Response(401, json={"message": "Invalid access token", "status": 401})] * 2

    with pytest.raises(AuthError):
        await connect(fake).search(SearchQuery("python"))

    assert (len(fake.token_calls), len(fake.api_calls)) == (2, 2)


@pytest.mark.parametrize("status", [400, 401])
async def test_wrong_client_credentials_are_an_auth_error_without_calling_the_api(fake, status):
    fake.token_replies = [httpx.Response(status, json={"error": "invalid_client",
                                                       "error_description": "Client authentication failed"})]

    with pytest.raises(AuthError):
        await connect(fake).search(SearchQuery("python"))

    assert (len(fake.token_calls), fake.api_calls) == (1, [])


async def test_a_token_answer_without_a_token_is_a_bad_response(fake):
    fake.token_replies = [httpx.Response(200, json={"expires_in": 100})]

    with pytest.raises(BadResponse):
        await connect(fake).search(SearchQuery("python"))


# --- failures -------------------------------------------------------------------------------------

async def test_403_is_an_auth_error_without_renewing_the_token(fake):
    fake.replies = [httpx.Response(403, json={"message": "Not enough permissions", "status": 403})]

    with pytest.raises(AuthError, match="Not enough permissions"):
        await connect(fake).search(SearchQuery("python"))

    assert (len(fake.token_calls), len(fake.api_calls)) == (1, 1)


async def test_404_is_not_found(fake):
    fake.replies = [httpx.Response(404, json={"message": "Not found", "status": 404})]

    with pytest.raises(NotFound):
        await connect(fake).search(SearchQuery("python"))


async def test_429_reports_the_daily_limit_at_once(fake):
    fake.replies = [httpx.Response(429, json={
        "status": 429, "serviceErrorCode": 101,
        "message": "Resource level throttle limit for calls to this resource is reached."})]

    with pytest.raises(RateLimited) as raised:
        await connect(fake).search(SearchQuery("python"))

    assert (raised.value.sentence, len(fake.api_calls), fake.waits) == (
        "The LinkedIn Learning daily limit is reached until midnight UTC.", 1, [])


async def test_500_then_success_is_retried(fake):
    fake.replies = [httpx.Response(500)]

    items = await connect(fake).search(SearchQuery("python"))

    assert (len(items), len(fake.api_calls)) == (5, 2)


async def test_500_every_time_means_the_service_is_down(fake):
    fake.replies = [httpx.Response(500, json={"message": "Internal Server Error", "status": 500})] * 3

    with pytest.raises(ProviderDown):
        await connect(fake).search(SearchQuery("python"))

    assert len(fake.api_calls) == 3


async def test_timeout_every_time_means_the_service_is_down(fake):
    fake.replies = [httpx.ReadTimeout("timed out")] * 3

    with pytest.raises(ProviderDown, match="took too long"):
        await connect(fake).search(SearchQuery("python"))


async def test_malformed_json_is_a_bad_response(fake):
    fake.replies = [httpx.Response(200, text='{"elements": [')]

    with pytest.raises(BadResponse):
        await connect(fake).search(SearchQuery("python"))


async def test_enrolling_is_refused_with_a_sentence(fake):
    item = (await connect(fake).search(SearchQuery("python")))[0]

    with pytest.raises(BadRequest, match="can be opened and saved"):
        await connect(fake).enroll(item, Learner("T1", "U1"))


# --- secrets --------------------------------------------------------------------------------------

@pytest.mark.parametrize("replies, token_replies", [
    ([httpx.Response(401, json={"message": "Invalid access token"})] * 2, []),
    ([httpx.Response(403, text="Forbidden")], []),
    ([httpx.Response(429, json={"message": "Throttled"})], []),
    ([httpx.Response(500)] * 3, []),
    ([httpx.Response(200, text="not json")], []),
    ([], [httpx.Response(401, json={"error": "invalid_client"})]),
    ([], [httpx.ConnectError("connection refused")] * 3),
])
async def test_secret_and_tokens_never_appear_in_errors_or_logs(caplog, replies, token_replies):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    fake = FakeLinkedIn()
    fake.replies, fake.token_replies = list(replies), list(token_replies)
    client = connect(fake)

    with pytest.raises(Exception) as raised:
        await client.search(SearchQuery("python"))

    shown = f"{raised.value} {raised.value!r} {raised.value.sentence} {client!r} {caplog.text}"
    assert [secret for secret in [SECRET, *fake.issued] if secret in shown] == []


async def test_the_client_repr_hides_the_secret_and_the_token(fake):
    client = connect(fake)
    await client.search(SearchQuery("python"))

    assert [secret for secret in (SECRET, fake.issued[0]) if secret in repr(client)] == []


def test_spec_requires_both_credentials_and_reads_the_environment():
    hub = ProviderHub([SPEC], ENV)

    assert (SPEC.missing({"client_id": CLIENT_ID}), hub.workspace_credentials("linkedin")) == (
        ["client_secret"], {"client_id": CLIENT_ID, "client_secret": SECRET})
