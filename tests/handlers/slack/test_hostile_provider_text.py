"""A provider's title, author and URL reach people inert: no mention, no foreign link, no script,
in every place the Slack app shows an item (through the Bolt app, the fake Slack and a fake LearnFlow)."""

import json
import re
from urllib.parse import urlsplit

import httpx
import pytest
from fakes import learnflow as lf

from store import library

HOSTILE = "<!everyone> <https://evil.example|x> *y*"
SHOWN = "&lt;!everyone&gt; &lt;https://evil.example|x&gt; *y*"
EVIL = {**lf.INTRO, "id": "crs_evil01", "title": HOSTILE, "instructor": "<!here> Mallory",
        "url": "https://learnflow.test/c/evil|<https://evil.example>"}
SCRIPT = {**lf.INTRO, "id": "crs_script", "title": "Git tricks", "url": "javascript:alert(document.cookie)"}
LONG = {**lf.INTRO, "id": "crs_long01", "title": "Git at length", "url": "https://learnflow.test/c/" + "g" * 3500}


@pytest.fixture
def learnflow(env, transports):
    fake = lf.FakeLearnFlow(courses=(EVIL, SCRIPT, LONG, lf.INTRO))
    env.update({"LEARNBOT_LEARNFLOW_URL": lf.BASE_URL, "LEARNBOT_LEARNFLOW_API_TOKEN": "at-current",
                "LEARNBOT_LEARNFLOW_USER_ID": "email"})
    transports["learnflow"] = httpx.MockTransport(fake)
    return fake


def texts(payload) -> list[str]:
    """Every "text" string of a Slack payload (the fallback, mrkdwn and plain text), however deep."""
    if isinstance(payload, list):
        return [text for value in payload for text in texts(value)]
    if isinstance(payload, dict):
        return [text for key, value in payload.items()
                for text in ([value] if key == "text" and isinstance(value, str) else texts(value))]
    return []


def assert_inert(payload) -> None:
    """Slack would act on no `<…>` but links learnbot made from an item's web address (none to
    evil.example), and no mention."""
    for text in texts(payload):
        for sequence in re.findall(r"<([^>]*)>", text):
            url, _, label = sequence.partition("|")
            assert re.fullmatch(r"https?://[^|<\s]+", url) and label, sequence
            assert urlsplit(url).hostname != "evil.example", sequence
    assert "javascript:" not in json.dumps(payload)


def buttons(payload: dict) -> list[dict]:
    return [e for b in payload.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


def button(payload: dict, action_id: str, ref: str) -> dict:
    return next(e for e in buttons(payload) if e["action_id"] == action_id and e.get("value", "").endswith(ref))


def search(slack, response_urls) -> dict:
    slack.command("git provider:learnflow")
    return response_urls.wait(1)[0]


def test_results_show_the_hostile_title_escaped_and_link_only_to_learnflow(learnflow, slack, response_urls):
    results = search(slack, response_urls)
    assert_inert(results)
    page = json.dumps(results, ensure_ascii=False)
    assert SHOWN in page and "&lt;!here&gt; Mallory" in page
    assert "<https://learnflow.test/c/evil%7C%3Chttps://evil.example%3E|" + SHOWN + ">" in page


def test_a_javascript_url_makes_no_link_and_no_open_button(learnflow, slack, response_urls):
    results = search(slack, response_urls)
    assert "Git tricks" in json.dumps(results)
    assert [e["action_id"] for e in buttons(results) if e.get("value", "").endswith("crs_script")] == [
        "item_save", "item_enroll"]


def test_a_3500_character_url_leaves_the_page_within_slacks_limits(learnflow, slack, response_urls):
    results = search(slack, response_urls)
    assert "Git at length" in json.dumps(results)
    assert all(len(b["text"]["text"]) <= 3000 for b in results["blocks"] if b["type"] == "section")
    assert all(len(e.get("url", "")) <= 3000 for e in buttons(results))
    assert LONG["url"] not in json.dumps(results)


def test_save_enroll_and_the_lists_quote_the_title_inert(learnflow, slack, slack_api, response_urls, deps):
    results = search(slack, response_urls)
    slack.click("item_save", button(results, "item_save", "crs_evil01")["value"])
    slack.click("item_enroll", button(results, "item_enroll", "crs_evil01")["value"])
    slack.command("saved")
    slack.command("enrollments")
    _, saved_answer, enrolled_answer, saved_list, enrollments = response_urls.wait(5)
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["enrolled"]
    for answer in (saved_answer, enrolled_answer, saved_list, enrollments):
        assert_inert(answer)
        assert SHOWN in json.dumps(answer, ensure_ascii=False)
    assert "<!everyone>" not in saved_answer["text"] + enrolled_answer["text"]


def test_the_home_tab_shows_saved_and_enrolled_titles_inert(learnflow, slack, slack_api, response_urls):
    results = search(slack, response_urls)
    slack.click("item_save", button(results, "item_save", "crs_evil01")["value"])
    slack.click("item_enroll", button(results, "item_enroll", "crs_evil01")["value"])
    response_urls.wait(3)
    slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    view = slack_api.wait_for("views.publish")[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert_inert(view)
    assert json.dumps(view, ensure_ascii=False).count(SHOWN) == 2


def test_the_digest_shows_new_and_enrolled_titles_inert(learnflow, slack, response_urls):
    results = search(slack, response_urls)
    slack.click("item_enroll", button(results, "item_enroll", "crs_evil01")["value"])
    slack.command("prefs set topics=git")
    slack.command("digest preview")
    digest = response_urls.wait(4)[3]
    assert_inert(digest)
    assert SHOWN in json.dumps(digest, ensure_ascii=False)


def test_a_persons_own_words_are_quoted_inert_in_errors_and_in_the_search_message(
        learnflow, slack, slack_api, response_urls):
    problem = slack.command("digest <!channel>").json()
    searching = {"text": slack.command("<!channel> git").text}  # a text-only acknowledgement is sent bare
    slack.dm("<!channel> <https://evil.example|git>")
    update = slack_api.wait_for("chat.update")[0].args
    placeholder = slack_api.wait_for("chat.postMessage")[0].args
    for payload in (problem, searching, update, placeholder):
        assert_inert(payload)
    for payload in (problem, searching, placeholder):
        assert "&lt;!channel&gt;" in json.dumps(payload, ensure_ascii=False)


def test_words_slack_sends_encoded_are_read_as_typed_and_shown_escaped_once(learnflow, slack, slack_api):
    searching = slack.command("R&amp;D &lt;git&gt;").text  # Slack encodes what the person typed: R&D <git>
    slack.dm("R&amp;D &lt;git&gt;")
    placeholder = slack_api.wait_for("chat.postMessage")[0].args["text"]
    assert searching == placeholder == "Searching for “R&amp;D &lt;git&gt;”…"
