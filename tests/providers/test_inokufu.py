"""Inokufu Learning Object v2 client, against a fake that behaves like the documented service."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest

from providers.errors import AuthError, BadRequest, BadResponse, NotFound, ProviderDown, RateLimited
from providers.inokufu import SPEC, InokufuClient
from providers.model import Learner, LearningObject, Price, SearchQuery
from providers.registry import ProviderHub

pytestmark = pytest.mark.anyio

KEY = "inokufu-key-5f2a9c0e77d1"
FIXTURES = Path(__file__).parent / "fixtures"
REQUIRED = ("keywords", "lang", "type", "model", "bloom", "max")
# The folder document's `/type` list; `type` takes one of them, or nothing for every type
# (its example echoes `"type": ""`). `lang` takes `en` or `fr`. Neither takes a list.
TYPES = ("video", "mooc", "podcast", "app")
LANGUAGES = ("en", "fr")


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def one_entry(**fields) -> dict:
    """A final-shape `/search` body holding one entry with `fields` over a minimal valid one."""
    entry = {"title": "Python in ten minutes", "url": "https://www.youtube.com/watch?v=abc", **fields}
    return {"statusCode": 200, "response": {"content": [entry], "metadata": {"page": 0}, "msg": "A00 - ok"}}


class FakeInokufu:
    """Answers like the documented service.

    Checks the key header the chosen access mode expects, refuses a search that lacks a
    required parameter, repeats one, asks `max` outside 1–20, or asks a `type` or `lang`
    the document does not list (a comma-joined list among them), and answers `/search`
    with `search_body`.
    `replies` (responses, or exceptions to raise) are sent first, in order.
    """

    def __init__(self, *, rapidapi: bool = False, search_body=None):
        self.rapidapi = rapidapi
        self.search_body = search_body if search_body is not None else fixture("inokufu_search_final.json")
        self.replies: list[httpx.Response | Exception] = []
        self.requests: list[httpx.Request] = []
        self.waits: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.replies:
            reply = self.replies.pop(0)
            if isinstance(reply, Exception):
                raise reply
            return reply
        if not self.authorised(request):
            return httpx.Response(401, json={"message": "Invalid API key."})
        endpoint = request.url.path.rsplit("/", 1)[-1]
        if endpoint == "search":
            return self.search(request)
        lookups = {"type": fixture("inokufu_types.json"), "provider": fixture("inokufu_providers.json"),
                   "lang": [{"lang": "en", "description": "english"}, {"lang": "fr", "description": "french"}],
                   "bloom": [{"bloom": level} for level in ("discover", "understand", "do", "degree")]}
        return httpx.Response(200, json=lookups[endpoint])

    def authorised(self, request: httpx.Request) -> bool:
        if self.rapidapi:
            return (request.headers.get("x-rapidapi-key") == KEY
                    and request.headers.get("x-rapidapi-host") == request.url.host)
        return request.headers.get("x-api-key") == KEY

    def search(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        missing = [name for name in REQUIRED if name not in params]
        if missing:
            return httpx.Response(400, json={"message": f"Missing required parameter: {missing[0]}"})
        if any(len(params.get_list(name)) > 1 for name in params):
            return httpx.Response(400, json={"message": "Repeated parameter"})
        if (not 1 <= int(params["max"]) <= 20 or params["lang"] not in LANGUAGES
                or params["type"] not in ("", *TYPES) or not params.get("page", "0").isdigit()):
            return httpx.Response(400, json={"message": "Invalid parameter value"})
        return httpx.Response(200, json=self.search_body)

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    @property
    def searches(self) -> list[httpx.QueryParams]:
        return [r.url.params for r in self.requests if r.url.path.endswith("/search")]


def connect(fake: FakeInokufu, env: dict[str, str] | None = None) -> InokufuClient:
    """Bind the client the way the bot does: through the hub, from workspace settings."""
    env = {"LEARNBOT_INOKUFU_API_KEY": KEY} if env is None else env
    hub = ProviderHub([SPEC], env, transports={"inokufu": httpx.MockTransport(fake)})
    hub.http["inokufu"].sleep = fake.sleep
    return hub.bind("inokufu", hub.workspace_credentials("inokufu"))


async def search_one(body: dict, **query) -> LearningObject:
    items = await connect(FakeInokufu(search_body=body)).search(SearchQuery("python", types=("mooc",), **query))
    assert len(items) == 1
    return items[0]


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def fake() -> FakeInokufu:
    return FakeInokufu()


# --- request parameters ------------------------------------------------------------------------

async def test_search_sends_every_parameter_the_service_requires(fake):
    await connect(fake).search(SearchQuery("machine learning", types=("mooc",), limit=5))

    assert dict(fake.searches[0]) == {"keywords": "machine learning", "lang": "en", "type": "mooc",
                                      "model": "strict", "bloom": "", "sort": "best", "max": "5",
                                      "page": "0"}


@pytest.mark.parametrize("limit, sent", [(0, "1"), (7, "7"), (20, "20"), (50, "20")])
async def test_max_is_clamped_to_the_documented_range(fake, limit, sent):
    await connect(fake).search(SearchQuery("python", types=("mooc",), limit=limit))

    assert fake.searches[0]["max"] == sent


class PagedInokufu(FakeInokufu):
    """Holds `found` results and answers each documented page of `max` of them."""

    def __init__(self, found: int):
        super().__init__()
        self.found = found

    def search(self, request: httpx.Request) -> httpx.Response:
        refused = super().search(request)
        if refused.status_code != 200:
            return refused
        size, page = int(request.url.params["max"]), int(request.url.params["page"])
        numbers = range(page * size, min((page + 1) * size, self.found))
        content = [{"title": f"Python {n}", "url": f"https://example.org/python/{n}", "type": ["Video"]}
                   for n in numbers]
        return httpx.Response(200, json={"statusCode": 200, "response": {"content": content,
                                                                           "metadata": {"page": page}}})


@pytest.mark.parametrize("found, limit, pages, kept", [(50, 20, 1, 20), (50, 40, 2, 40), (25, 60, 2, 25)])
async def test_more_than_twenty_results_are_read_page_by_page(found, limit, pages, kept):
    """`more` past the first 20 asks Inokufu's next pages, and stops at a short one."""
    fake = PagedInokufu(found)
    items = await connect(fake).search(SearchQuery("python", limit=limit))
    assert [search["page"] for search in fake.searches] == [str(n) for n in range(pages)]
    assert [item.title for item in items] == [f"Python {n}" for n in range(kept)]


@pytest.mark.parametrize("sort", ["best", "random"])
async def test_sort_is_sent_as_the_folder_document_names_it(fake, sort):
    await connect(fake).search(SearchQuery("python", types=("mooc",), sort=sort))

    assert fake.searches[0]["sort"] == sort


async def test_duration_bounds_are_sent_with_video_searches(fake):
    await connect(fake).search(SearchQuery("python", types=("video",), min_minutes=5, max_minutes=30))

    assert (fake.searches[0]["learningTimeMin"], fake.searches[0]["learningTimeMax"]) == ("5", "30")


async def test_duration_bounds_are_not_sent_with_other_types(fake):
    await connect(fake).search(SearchQuery("python", types=("mooc",), max_minutes=30))

    assert "learningTimeMax" not in fake.searches[0]


async def test_one_request_per_asked_type(fake):
    await connect(fake).search(SearchQuery("python", types=("video", "podcast", "app")))

    assert sorted(params["type"] for params in fake.searches) == ["app", "podcast", "video"]


async def test_a_search_with_no_type_is_one_request_for_every_type(fake):
    items = await connect(fake).search(SearchQuery("python"))

    assert [params["type"] for params in fake.searches] == [""]
    assert [item.type for item in items] == ["mooc", "mooc", "book"]


async def test_entries_of_an_any_type_search_without_a_type_have_none():
    items = await connect(FakeInokufu(search_body=fixture("inokufu_search_bare_list.json"))).search(
        SearchQuery("diode", languages=("fr",)))

    assert (len(items), {item.type for item in items}) == (3, {None})


async def test_an_any_type_search_sends_no_duration_bounds_and_checks_them_here():
    body = {"statusCode": 200, "response": {"content": [
        {"title": "Short", "url": "https://a.org/short", "learningTimeValue": 20, "learningTimeUnit": "min"},
        {"title": "Long", "url": "https://a.org/long", "learningTimeValue": 2, "learningTimeUnit": "h"},
    ]}}
    fake = FakeInokufu(search_body=body)

    items = await connect(fake).search(SearchQuery("python", max_minutes=30))

    assert ("learningTimeMax" not in fake.searches[0], [item.title for item in items]) == (True, ["Short"])


async def test_course_is_searched_as_mooc_once(fake):
    await connect(fake).search(SearchQuery("python", types=("course", "mooc")))

    assert [params["type"] for params in fake.searches] == ["mooc"]


async def test_language_defaults_to_english(fake):
    await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert fake.searches[0]["lang"] == "en"


async def test_one_request_per_supported_language(fake):
    await connect(fake).search(SearchQuery("python", types=("mooc",), languages=("fr", "de", "en")))

    assert sorted(params["lang"] for params in fake.searches) == ["en", "fr"]


async def test_unsupported_languages_alone_ask_nothing(fake):
    items = await connect(fake).search(SearchQuery("python", languages=("de",)))

    assert (items, fake.requests) == ([], [])


# --- response shapes -------------------------------------------------------------------------------

async def test_reads_the_bare_response_list_of_the_folder_document():
    items = await connect(FakeInokufu(search_body=fixture("inokufu_search_bare_list.json"))).search(
        SearchQuery("électronique", types=("mooc",), languages=("fr",)))

    assert items[2] == LearningObject(
        id=items[2].id, provider="inokufu", title="Enseignes et afficheurs à LED",
        url="https://www.coursera.org/learn/enseignes-et-afficheurs-led", source="Coursera",
        type="mooc", language="fr", duration_minutes=1674,
        image="https://d3njjcbhbojbot.cloudfront.net/api/utilities/v1/imageproxy/https://coursera-course-photos"
              ".s3.amazonaws.com/f3/5cdb40168111e6a053c1fc50b1e8d2/LED-2560x1440px-150dpi.jpg"
              "?auto=format,compress")


async def test_reads_content_and_metadata_of_june_2021():
    items = await connect(FakeInokufu(search_body=fixture("inokufu_search_content_june_2021.json"))).search(
        SearchQuery("python", types=("mooc",)))

    assert items[0] == LearningObject(
        id=items[0].id, provider="inokufu", title="Using Python for Research",
        url="https://www.edx.org/course/using-python-for-research", source="Harvard University, edX",
        description="Take your introductory knowledge of Python programming to the next level.",
        type="mooc", language="en", duration_minutes=2400, level="beginner",
        image="https://prod-discovery.edx-cdn.org/media/course/image/python-research.png")


async def test_reads_the_final_shape_with_publishers_and_price():
    items = await connect(FakeInokufu()).search(SearchQuery("python", types=("mooc",)))

    assert items[1] == LearningObject(
        id=items[1].id, provider="inokufu", title="Python Data Structures",
        url="https://www.coursera.org/learn/python-data", source="University of Michigan, Coursera",
        description="This course will introduce the core data structures of the Python programming language.",
        type="mooc", language="en", duration_minutes=1140, level="advanced",
        image="https://d3njjcbhbojbot.cloudfront.net/api/utilities/v1/imageproxy/python-data.png",
        price=Price(49.0, "EUR"))


async def test_types_the_service_returns_are_lower_cased():
    items = await connect(FakeInokufu()).search(SearchQuery("python", types=("mooc",)))

    assert [item.type for item in items] == ["mooc", "mooc", "book"]


async def test_the_searched_type_is_used_when_entries_have_none():
    items = await connect(FakeInokufu(search_body=fixture("inokufu_search_bare_list.json"))).search(
        SearchQuery("diode", types=("video",), languages=("fr",)))

    assert {item.type for item in items} == {"video"}


async def test_no_result_message_means_an_empty_list():
    body = {"statusCode": 200, "response": {"content": [{"title": "Unrelated", "url": "https://x.org"}],
                                            "msg": "C00 - No result to display for this query."}}

    assert await connect(FakeInokufu(search_body=body)).search(SearchQuery("zzz", types=("mooc",))) == []


@pytest.mark.parametrize("body", [
    {"statusCode": 200, "response": []},
    {"statusCode": 200, "response": {"content": [], "metadata": {"total number item": 0}}},
])
async def test_empty_results_are_an_empty_list(body):
    assert await connect(FakeInokufu(search_body=body)).search(SearchQuery("zzz", types=("mooc",))) == []


@pytest.mark.parametrize("body", [{"statusCode": 200}, {"response": "nothing"}, ["not", "an", "object"]])
async def test_an_unknown_shape_is_a_bad_response(body):
    with pytest.raises(BadResponse):
        await connect(FakeInokufu(search_body=body)).search(SearchQuery("python", types=("mooc",)))


@pytest.mark.parametrize("missing", ["title", "url"])
async def test_entries_without_title_or_url_are_skipped(missing):
    body = one_entry(**{missing: "nan"})

    assert await connect(FakeInokufu(search_body=body)).search(SearchQuery("python", types=("mooc",))) == []


# --- field mapping --------------------------------------------------------------------------------

@pytest.mark.parametrize("absent", ["nan", "", None, -1])
async def test_missing_markers_read_as_absent(absent):
    item = await search_one(one_entry(description=absent, picture=absent, pictureSquare=absent,
                                      learningTimeValue=absent, learningTimeUnit="h"))

    assert (item.description, item.image, item.duration_minutes) == ("", None, None)


@pytest.mark.parametrize("provider, source", [
    ("IBM , edX", "IBM, edX"),
    (["Harvard University", "edX"], "Harvard University, edX"),
    ("nan", ""),
])
async def test_provider_as_string_or_list_becomes_the_source(provider, source):
    item = await search_one(one_entry(provider=provider))

    assert item.source == source


async def test_publishers_come_before_the_platform_and_appear_once():
    item = await search_one(one_entry(provider="edX", publisher=[{"name": "IBM"}, {"name": "edX"}]))

    assert item.source == "IBM, edX"


@pytest.mark.parametrize("value, unit, minutes", [
    (0.3469499999999999, "h", 21),
    (1.5, "h", 90),
    (12, "min", 12),
    (0.2, "min", 1),
    (244, "p", 488),
    (10, "weeks", None),
])
async def test_learning_time_becomes_minutes(value, unit, minutes):
    item = await search_one(one_entry(learningTimeValue=value, learningTimeUnit=unit))

    assert item.duration_minutes == minutes


@pytest.mark.parametrize("level, name", [(-1.0, "beginner"), (-0.5, "beginner"), (0, "intermediate"),
                                         (0.33, "intermediate"), (0.6, "advanced"), (1, "advanced"),
                                         ("nan", None), (None, None)])
async def test_level_scale_becomes_a_level_name(level, name):
    item = await search_one(one_entry(level=level))

    assert item.level == name


@pytest.mark.parametrize("specification, expected", [
    ({"price": 49.0, "priceCurrency": "€", "price-free": False}, Price(49.0, "EUR")),
    ({"price": 39.0, "priceCurrency": "$", "price-free": True}, None),
    ({"price": 0, "priceCurrency": "$", "price-free": False}, None),
    ({"price": "nan", "priceCurrency": "$"}, None),
])
async def test_price_is_kept_only_when_the_item_costs_something(specification, expected):
    item = await search_one(one_entry(PriceSpecification=specification))

    assert item.price == expected


@pytest.mark.parametrize("pictures, image", [
    ({"picture": "https://a.org/p.png", "pictureSquare": "https://a.org/s.png"}, "https://a.org/p.png"),
    ({"pictureSquare": "https://a.org/s.png", "pictureFullwidth": "https://a.org/f.png"},
     "https://a.org/s.png"),
    ({"pictureSquare": "nan", "pictureFullwidth": "https://a.org/f.png"}, "https://a.org/f.png"),
])
async def test_picture_comes_from_whichever_field_is_set(pictures, image):
    item = await search_one(one_entry(**pictures))

    assert item.image == image


async def test_double_encoded_titles_and_descriptions_are_repaired():
    item = await search_one(one_entry(title="L'\u00c3\u00a9lectronique de z\u00c3\u00a9ro",
                                      description="Enseignes et afficheurs \u00c3\u00a0 LED"))

    assert (item.title, item.description) == ("L'électronique de zéro", "Enseignes et afficheurs à LED")


async def test_id_is_a_stable_hash_of_the_url():
    first = await search_one(one_entry(url="https://www.youtube.com/watch?v=abc"))
    again = await search_one(one_entry(url="https://www.youtube.com/watch?v=abc", title="Renamed"))
    other = await search_one(one_entry(url="https://www.youtube.com/watch?v=xyz"))

    assert first.id == again.id != other.id


async def test_durations_are_checked_here_for_types_the_service_does_not_filter():
    body = one_entry(learningTimeValue=2, learningTimeUnit="h")

    items = await connect(FakeInokufu(search_body=body)).search(
        SearchQuery("python", types=("mooc",), max_minutes=60))

    assert items == []


async def test_results_are_cut_to_the_asked_limit():
    items = await connect(FakeInokufu()).search(SearchQuery("python", types=("mooc",), limit=2))

    assert len(items) == 2


async def test_results_of_several_types_are_interleaved_without_duplicates():
    items = await connect(FakeInokufu()).search(SearchQuery("python", types=("video", "mooc")))

    assert len(items) == 3  # both searches returned the same three entries


# --- access modes ---------------------------------------------------------------------------------

async def test_direct_access_sends_x_api_key_to_the_direct_url(fake):
    await connect(fake).search(SearchQuery("python", types=("mooc",)))

    request = fake.requests[0]
    assert str(request.url).split("?")[0] == "https://api.inokufu.com/learningobject/v2/search"
    assert (request.headers["x-api-key"], "x-rapidapi-key" in request.headers) == (KEY, False)


async def test_rapidapi_access_sends_rapidapi_headers_to_the_rapidapi_host():
    fake = FakeInokufu(rapidapi=True)
    await connect(fake, {"LEARNBOT_INOKUFU_API_KEY": KEY, "LEARNBOT_INOKUFU_RAPIDAPI": "yes"}).search(
        SearchQuery("python", types=("mooc",)))

    request = fake.requests[0]
    assert str(request.url).split("?")[0] == "https://learning-objects-v2.p.rapidapi.com/search"
    assert (request.headers["x-rapidapi-key"], request.headers["x-rapidapi-host"]) == (
        KEY, "learning-objects-v2.p.rapidapi.com")
    assert "x-api-key" not in request.headers


async def test_rapidapi_with_a_configured_url_uses_that_url_and_its_host():
    fake = FakeInokufu(rapidapi=True)
    await connect(fake, {"LEARNBOT_INOKUFU_API_KEY": KEY, "LEARNBOT_INOKUFU_RAPIDAPI": "true",
                         "LEARNBOT_INOKUFU_URL": "https://inokufu-proxy.example.org/lo"}).search(
        SearchQuery("python", types=("mooc",)))

    request = fake.requests[0]
    assert (str(request.url).split("?")[0], request.headers["x-rapidapi-host"]) == (
        "https://inokufu-proxy.example.org/lo/search", "inokufu-proxy.example.org")


async def test_a_wrong_access_mode_is_refused_by_the_service():
    with pytest.raises(AuthError):
        await connect(FakeInokufu(rapidapi=True)).search(SearchQuery("python", types=("mooc",)))


# --- failures -------------------------------------------------------------------------------------

@pytest.mark.parametrize("status, error", [(401, AuthError), (403, AuthError), (404, NotFound),
                                           (414, BadRequest), (400, BadRequest)])
async def test_error_statuses_raise_typed_errors(fake, status, error):
    fake.replies = [httpx.Response(status, json={"message": "Refused by Inokufu"})]

    with pytest.raises(error) as raised:
        await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert (raised.value.status, len(fake.requests)) == (status, 1)


async def test_the_service_error_message_is_part_of_the_sentence(fake):
    fake.replies = [httpx.Response(403, json={"message": "You are not subscribed to this API."})]

    with pytest.raises(AuthError, match="You are not subscribed to this API"):
        await connect(fake).search(SearchQuery("python", types=("mooc",)))


async def test_a_non_json_error_body_still_gives_a_sentence(fake):
    fake.replies = [httpx.Response(403, text="<html>Forbidden</html>")]

    with pytest.raises(AuthError) as raised:
        await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert raised.value.sentence == "Inokufu refused access with these credentials."


async def test_an_overlong_search_is_refused_before_sending(fake):
    with pytest.raises(BadRequest) as raised:
        await connect(fake).search(SearchQuery("python " * 1500, types=("mooc",)))

    assert (raised.value.status, fake.requests) == (414, [])


async def test_429_with_retry_after_waits_and_retries(fake):
    fake.replies = [httpx.Response(429, headers={"Retry-After": "1"})]

    items = await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert (len(items), len(fake.requests), fake.waits) == (3, 2, [1.0])


async def test_429_that_keeps_coming_gives_up_after_the_last_attempt(fake):
    fake.replies = [httpx.Response(429, headers={"Retry-After": "1"}) for _ in range(3)]

    with pytest.raises(RateLimited):
        await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert len(fake.requests) == 3


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "3600"}])
async def test_429_without_a_short_retry_after_gives_up_at_once(fake, headers):
    fake.replies = [httpx.Response(429, headers=headers, json={"message": "Too many requests"})]

    with pytest.raises(RateLimited):
        await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert len(fake.requests) == 1


async def test_500_then_success_is_retried(fake):
    fake.replies = [httpx.Response(500)]

    items = await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert (len(items), len(fake.requests)) == (3, 2)


async def test_500_every_time_means_the_service_is_down(fake):
    fake.replies = [httpx.Response(500) for _ in range(3)]

    with pytest.raises(ProviderDown):
        await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert len(fake.requests) == 3


async def test_timeout_every_time_means_the_service_is_down(fake):
    fake.replies = [httpx.ReadTimeout("timed out") for _ in range(3)]

    with pytest.raises(ProviderDown, match="took too long"):
        await connect(fake).search(SearchQuery("python", types=("mooc",)))


async def test_malformed_json_is_a_bad_response(fake):
    fake.replies = [httpx.Response(200, text='{"response": [')]

    with pytest.raises(BadResponse):
        await connect(fake).search(SearchQuery("python", types=("mooc",)))


async def test_one_failed_type_fails_the_search(fake):
    fake.replies = [httpx.Response(404)]

    with pytest.raises(NotFound):
        await connect(fake).search(SearchQuery("python", types=("video", "mooc")))


# --- secrets --------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply", [
    httpx.Response(401, json={"message": "Invalid API key."}),
    httpx.Response(403, text="Forbidden"),
    httpx.Response(429, json={"message": "Rate limit exceeded"}),
    httpx.Response(500, json={"msg": "Internal error"}),
    httpx.Response(200, text="not json"),
    httpx.ConnectError("connection refused"),
])
async def test_the_api_key_never_appears_in_errors_or_logs(caplog, reply):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")
    fake = FakeInokufu()
    fake.replies = [reply] * 3

    with pytest.raises(Exception) as raised:
        await connect(fake).search(SearchQuery("python", types=("mooc",)))

    assert KEY not in f"{raised.value} {raised.value!r} {raised.value.sentence} {caplog.text}"


def test_the_client_repr_hides_the_api_key():
    client = connect(FakeInokufu())

    assert KEY not in repr(client) and "inokufu" in repr(client).lower()


def test_credential_fingerprint_differs_between_keys():
    first = connect(FakeInokufu())
    second = connect(FakeInokufu(), {"LEARNBOT_INOKUFU_API_KEY": "another-key"})

    assert first.credential_fingerprint != second.credential_fingerprint
    assert KEY not in first.credential_fingerprint


# --- lookups and enrolment ------------------------------------------------------------------------

async def test_types_lookup_reads_the_bare_array(fake):
    assert await connect(fake).types() == ["video", "mooc", "podcast", "app"]


async def test_providers_lookup_reads_the_wrapped_list(fake):
    assert await connect(fake).providers() == {"youtube": "YouTube", "coursera": "Coursera"}


async def test_languages_lookup(fake):
    assert await connect(fake).languages() == ["en", "fr"]


async def test_lookups_send_the_key_too(fake):
    await connect(fake).types()

    assert fake.requests[0].headers["x-api-key"] == KEY


async def test_an_empty_object_lookup_is_an_empty_list(fake):
    fake.replies = [httpx.Response(200, json={})]

    assert await connect(fake).languages() == []


async def test_enrolling_is_refused_with_a_sentence(fake):
    item = await search_one(one_entry())

    with pytest.raises(BadRequest, match="can be opened and saved, not enrolled in"):
        await connect(fake).enroll(item, Learner("T1", "U1"))


def test_spec_requires_an_api_key_and_reads_the_environment():
    hub = ProviderHub([SPEC], {"LEARNBOT_INOKUFU_API_KEY": KEY, "LEARNBOT_INOKUFU_RAPIDAPI": "1"})

    assert (SPEC.missing({}), hub.workspace_credentials("inokufu")) == (["api_key"], {"api_key": KEY,
                                                                                       "rapidapi": "1"})
