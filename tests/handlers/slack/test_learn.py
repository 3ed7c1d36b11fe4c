"""`/learn` driven the way Slack drives it: signed HTTP requests in, response_url posts out."""

import asyncio
import time

import httpx
import pytest
from fakes.slack import sign

from store import library, users


def texts(post: dict) -> str:
    """All the text of a message payload, blocks included."""
    import json

    return post.get("text", "") + json.dumps(post.get("blocks", []), ensure_ascii=False)


def test_search_acknowledges_then_replaces_with_results(slack, response_urls):
    response = slack.command("python")
    assert response.status_code == 200
    assert "Searching for “python”" in response.text
    post = response_urls.wait(1)[0]
    assert post["replace_original"] is True
    assert "Results for “python”" in texts(post)
    assert "Local catalog" in texts(post)
    buttons = [e for b in post["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert {"item_open", "item_save", "item_enroll", "results_more"} <= {b["action_id"] for b in buttons}


def test_each_result_shows_title_link_provider_type_language_and_duration(slack, response_urls):
    slack.command("python type:video lang:en")
    post = response_urls.wait(1)[0]
    first = next(b for b in post["blocks"] if b["type"] == "section" and "1. <" in b["text"]["text"])
    text = first["text"]["text"]
    assert "<https://" in text and "video" in text and " en" in text
    assert any(unit in text for unit in (" h", " min"))


@pytest.fixture
def slow_inokufu(env, transports):
    """Inokufu takes 10 seconds to answer: the search must not wait for it."""
    env["LEARNBOT_INOKUFU_API_KEY"] = "inokufu-secret-key-123"

    async def handler(request):
        await asyncio.sleep(10)
        return httpx.Response(200, json={"statusCode": 200, "response": []})

    transports["inokufu"] = httpx.MockTransport(handler)


def test_ack_is_immediate_and_results_come_despite_a_ten_second_provider(slow_inokufu, slack, response_urls):
    started = time.monotonic()
    response = slack.command("python")
    acked = time.monotonic() - started
    assert response.status_code == 200 and acked < 1.0
    post = response_urls.wait(1, timeout=8)[0]
    answered = time.monotonic() - started
    assert answered < 5.0
    assert "Inokufu timed out" in texts(post)
    assert "Results for “python”" in texts(post)


@pytest.mark.parametrize("headers", [
    {},
    {"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=deadbeef"},
    sign("text=python", timestamp=int(time.time()) - 6 * 60),
])
def test_unsigned_bad_or_stale_requests_get_401_and_change_nothing(slack, deps, response_urls, headers):
    from urllib.parse import urlencode

    body = urlencode({"team_id": "T1", "user_id": "U1", "command": "/learn", "text": "save 1",
                      "response_url": response_urls.url, "trigger_id": "1"})
    if "X-Slack-Signature" in headers and headers["X-Slack-Signature"] != "v0=deadbeef":
        headers = sign(body, timestamp=int(time.time()) - 6 * 60)
    response = slack.post(body, "application/x-www-form-urlencoded", headers=headers)
    assert response.status_code == 401
    time.sleep(0.2)
    assert response_urls.posts == []
    assert users.get_user(deps.db, "T1", "U1") is None


@pytest.mark.parametrize("text,fragment", [
    ("python type:book", "is not a type"),
    ("unenroll 3", "is not a learnbot command"),
    ("enroll", "Say which result"),
    ("x" * 10_000, "at most 1,000"),
    ("python lang:ça", "is not a language"),
    ("python lang:\u202e\u0000zz", "needs a value"),
])
def test_bad_input_gets_a_clear_ephemeral_message_and_changes_nothing(slack, deps, response_urls, text, fragment):
    response = slack.command(text)
    assert response.status_code == 200
    body = response.json()
    assert fragment in texts(body)
    assert "Traceback" not in response.text
    assert body.get("response_type", "ephemeral") == "ephemeral"
    assert users.get_user(deps.db, "T1", "U1") is None


def test_help_and_empty_text_answer_with_the_grammar(slack):
    for text in ("help", ""):
        body = slack.command(text).json()
        assert "/learn enroll" in texts(body) and "type:video" in texts(body)


def test_save_a_numbered_result(slack, deps, response_urls):
    slack.command("python")
    response_urls.wait(1)
    slack.command("save 2")
    post = response_urls.wait(2)[1]
    assert "Saved" in texts(post)
    assert len(library.list_saved(deps.db, "T1", "U1")) == 1


def test_enroll_in_a_catalog_course_records_it_once(slack, deps, response_urls):
    slack.command("python")
    response_urls.wait(1)
    slack.command("enroll 1")
    slack.command("enroll 1")
    answers = [texts(post).lower() for post in response_urls.wait(3)[1:]]
    # The two answers arrive in either order: one enrolls, the other says it is already done or on its way.
    assert sorted("already" in answer for answer in answers) == [False, True]
    assert any("enrolled" in answer and "already" not in answer for answer in answers)
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["enrolled"]


def test_enroll_with_a_number_out_of_range_says_the_range(slack, response_urls):
    slack.command("python")
    response_urls.wait(1)
    slack.command("enroll 999")
    assert "pick a number from 1 to" in texts(response_urls.wait(2)[1])


def test_empty_lists_say_which_button_fills_them(slack, response_urls):
    slack.command("saved")
    saved = texts(response_urls.wait(1)[0])
    slack.command("enrollments")
    enrollments = texts(response_urls.wait(2)[1])
    assert "You have not saved anything yet. Press *Save* on a result." in saved
    assert "You are not enrolled in anything yet. Press *Enroll* on a result." in enrollments


def test_providers_lists_what_is_enabled_without_secrets(env, slack, response_urls):
    slack.command("providers")
    text = texts(response_urls.wait(1)[0])
    assert "Local catalog" in text and "LearnFlow" in text and "not connected" in text


def test_unknown_provider_filter_is_refused(slack, response_urls):
    slack.command("python provider:nosuch")
    assert "no provider called `nosuch`" in texts(response_urls.wait(1)[0])


def test_prefs_set_saves_and_shows_the_result(slack, deps, response_urls):
    slack.command('prefs set topics=python,sql lang=en,fr types=video,mooc max=2h digest="fri 16:30"')
    text = texts(response_urls.wait(1)[0])
    assert "Topics: python, sql" in text and "Fri 16:30" in text
    from store.preferences import get_preferences

    prefs = get_preferences(deps.db, "T1", "U1")
    assert (prefs.topics, prefs.max_minutes, prefs.digest_day) == (("python", "sql"), 120, 4)


def test_preferences_fill_filters_the_search_did_not_give(slack, response_urls):
    slack.command("prefs set lang=fr")
    response_urls.wait(1)
    slack.command("python")
    post = response_urls.wait(2)[1]
    assert "Using your preferences: fr" in texts(post)
    assert " en ·" not in texts(post)


def test_more_pages_on(slack, response_urls):
    slack.command("python")
    first = response_urls.wait(1)[0]
    more = next(e for b in first["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == "results_more")
    slack.click("results_more", more["value"])
    second = response_urls.wait(2)[1]
    assert "page 2 of" in texts(second) and "*6. <" in texts(second)


def test_forget_me_asks_first_and_deletes_only_after_confirming(slack, deps, response_urls):
    slack.command("python")
    response_urls.wait(1)
    slack.command("save 1")
    response_urls.wait(2)
    slack.command("forget-me")
    question = response_urls.wait(3)[2]
    assert "cannot be undone" in texts(question)
    assert len(library.list_saved(deps.db, "T1", "U1")) == 1
    confirm = next(e for b in question["blocks"] if b["type"] == "actions" for e in b["elements"]
                   if e["action_id"] == "confirm")
    slack.click("confirm", confirm["value"], user="U2")
    assert "not yours" in texts(response_urls.wait(4)[3])
    assert len(library.list_saved(deps.db, "T1", "U1")) == 1
    slack.click("confirm", confirm["value"])
    assert "deleted everything" in texts(response_urls.wait(5)[4])
    assert library.list_saved(deps.db, "T1", "U1") == []
    assert users.get_user(deps.db, "T1", "U1") is None


def test_twenty_concurrent_searches_are_all_acknowledged_at_once(slow_inokufu, slack, response_urls):
    from concurrent.futures import ThreadPoolExecutor

    def timed_command(n):
        started = time.monotonic()
        response = slack.command(f"python {n}")
        return response.status_code, time.monotonic() - started

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(timed_command, range(20)))
    assert all(status == 200 for status, _ in answers)
    assert max(seconds for _, seconds in answers) < 2.0
    assert len(response_urls.wait(20, timeout=15)) == 20


def test_when_every_worker_is_busy_the_ack_says_the_search_is_queued_and_it_still_runs(slack, response_urls, deps):
    import threading

    release = threading.Event()
    for _ in range(deps.work.max_workers):
        deps.work.submit(lambda: release.wait(10))
    started = time.monotonic()
    response = slack.command("python")
    assert time.monotonic() - started < 2
    assert response.status_code == 200 and "learnbot is busy: your search is queued" in response.text
    assert response_urls.posts == []
    release.set()
    assert "Results for “python”" in texts(response_urls.wait(1)[0])
