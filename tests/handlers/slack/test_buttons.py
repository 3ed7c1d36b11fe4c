"""Enroll end to end through the Slack app, for LearnFlow (paid course, token refresh) and Learnifier."""


import httpx
import pytest
from fakes import learnifier as lr
from fakes.slack import all_text, button

from store import credentials, library


@pytest.fixture
def learnifier(env, transports):
    fake = lr.FakeLearnifier()
    env.update({"LEARNBOT_LEARNIFIER_URL": lr.BASE_URL, "LEARNBOT_LEARNIFIER_KEY": lr.CREDENTIALS["key"],
                "LEARNBOT_LEARNIFIER_SECRET": lr.CREDENTIALS["secret"], "LEARNBOT_LEARNIFIER_ORG": lr.ORG})
    transports["learnifier"] = httpx.MockTransport(fake)
    return fake


def test_paid_learnflow_course_asks_to_confirm_the_price_then_enrolls_refreshing_the_token(
        learnflow, slack, deps, response_urls):
    slack.connect("learnflow", {"access_token": "at-current", "refresh_token": "rt-current",
                                 "user_id": "usr_7f3d9a"})
    slack.command("web development provider:learnflow")
    results = response_urls.wait(1)[0]
    assert "49.99 USD" in all_text(results)
    enroll = button(results, "item_enroll", "crs_8x92k1")
    assert enroll["text"]["text"] == "Enroll (49.99 USD)"

    slack.click("item_enroll", enroll["value"])
    question = response_urls.wait(2)[1]
    assert "costs 49.99 USD" in all_text(question)
    assert library.list_enrollments(deps.db, "T1", "U1") == []
    assert "/v1/enrollments" not in learnflow.paths()

    learnflow.valid_tokens = {"at-expired-meanwhile"}  # the hour ran out between search and confirm
    slack.click("confirm", button(question, "confirm")["value"])
    done = response_urls.wait(3)[2]
    assert "enrolled" in all_text(done).lower()
    assert learnflow.paths()[-3:] == ["/v1/enrollments", "/v1/auth/refresh", "/v1/enrollments"]
    assert learnflow.bearers()[-1] == "Bearer at-renewed"
    stored = credentials.load_personal(deps.db, deps.vault, "T1", "U1")["learnflow"]
    assert stored["access_token"] == "at-renewed"
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["enrolled"]


def test_double_clicked_enroll_enrolls_once(learnflow, slack, deps, response_urls):
    slack.connect("learnflow", {"access_token": "at-current", "user_id": "usr_7f3d9a"})
    slack.command("git provider:learnflow")
    results = response_urls.wait(1)[0]
    value = button(results, "item_enroll", "crs_free01")["value"]
    slack.click("item_enroll", value)
    slack.click("item_enroll", value)
    posts = response_urls.wait(3)
    assert learnflow.paths().count("/v1/enrollments") == 1
    assert "already" in all_text(posts[2]).lower()


def test_learnflow_error_quotes_the_request_id_and_frees_the_claim(learnflow, slack, deps, response_urls):
    slack.connect("learnflow", {"access_token": "at-current", "user_id": "usr_7f3d9a"})
    slack.command("git provider:learnflow")
    value = button(response_urls.wait(1)[0], "item_enroll", "crs_free01")["value"]
    learnflow.courses = []  # the course disappears before the click
    slack.click("item_enroll", value)
    text = all_text(response_urls.wait(2)[1])
    assert "req_9x2k1m" in text
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["failed"]


def test_learnifier_enroll_adds_and_activates_and_a_409_counts_as_enrolled(learnifier, slack, deps, response_urls):
    slack.command("python provider:learnifier")
    results = response_urls.wait(1)[0]
    value = button(results, "item_enroll", "learnifier:1001")["value"]
    learnifier.add_participation("1001", "ada@example.com")  # an admin already added Ada
    slack.click("item_enroll", value)
    text = all_text(response_urls.wait(2)[1]).lower()
    assert "already" in text or "enrolled" in text
    assert any("participants" in call for call in learnifier.calls())
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["enrolled"]


def test_learnifier_enroll_uses_the_email_slack_gives(learnifier, slack, deps, response_urls):
    slack.command("python provider:learnifier")
    value = button(response_urls.wait(1)[0], "item_enroll", "learnifier:1001")["value"]
    slack.click("item_enroll", value)
    response_urls.wait(2)
    assert learnifier.participations[0]["email"] == "ada@example.com"
    assert learnifier.participations[0]["activated"] is True

