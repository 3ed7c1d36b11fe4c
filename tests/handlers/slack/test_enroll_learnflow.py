"""LearnFlow enrollments through the Slack app, to the document: who is enrolled, asked once, sent once."""

import json

import httpx
import pytest
from fakes import learnflow as lf
from fakes.slack import all_text, button

from store import library, preferences

ANSWER_IN_TIME = ("LearnFlow did not answer in time; it may have enrolled you. Check again in a minute: "
                  "trying again is safe.")









@pytest.fixture
def workspace_token(env, learnflow):
    env["LEARNBOT_LEARNFLOW_API_TOKEN"] = "at-current"
    return learnflow


def enroll_value(slack, response_urls, words: str, course: str, posts_before: int = 0) -> str:
    slack.command(f"{words} provider:learnflow")
    return button(response_urls.wait(posts_before + 1)[posts_before], "item_enroll", course)["value"]


def opened(slack_api, count: int = 1) -> dict:
    view = slack_api.wait_for("views.open", count)[count - 1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def user_id_state(value: str) -> dict:
    return {"learnflow_user_id": {"value": {"type": "plain_text_input", "value": value}}}


def test_a_personal_connection_enrolls_the_user_id_given_in_the_connect_form(
        learnflow, slack, slack_api, response_urls, deps):
    slack.connect("learnflow", {"access_token": "at-current", "user_id": "usr_7f3d9a",
                                 "payment_method_id": "pm_visa_4242"})
    slack.click("item_enroll", enroll_value(slack, response_urls, "git", "crs_free01"))
    assert "enrolled" in all_text(response_urls.wait(2)[1]).lower()
    assert learnflow.enrollment_bodies == [{"user_id": "usr_7f3d9a", "course_id": "crs_free01",
                                            "payment_method_id": "pm_visa_4242"}]
    assert slack_api.calls_to("views.open") == []
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["enrolled"]


def test_with_the_workspace_token_the_first_enroll_asks_once_then_enrolls_without_a_second_click(
        workspace_token, slack, slack_api, response_urls, deps):
    slack.click("item_enroll", enroll_value(slack, response_urls, "git", "crs_free01"))
    form = opened(slack_api)
    assert form["callback_id"] == "learnflow_user_id" and form["submit"]["text"] == "Enroll"
    assert len(form["title"]["text"]) <= 24 and slack_api.refusals() == []
    assert "/v1/enrollments" not in workspace_token.paths()
    assert library.list_enrollments(deps.db, "T1", "U1")[0].status == "failed"  # nothing sent: claim freed

    submitted = slack.submit_view("learnflow_user_id", user_id_state(" usr_7f3d9a "),
                                  metadata=form["private_metadata"])
    assert submitted.status_code == 200 and submitted.text in ("", "{}")
    answer = slack_api.wait_for("chat.postMessage")[0].args
    assert answer["channel"] == "U1" and "enrolled" in all_text(answer).lower()
    assert workspace_token.enrollment_bodies == [{"user_id": "usr_7f3d9a", "course_id": "crs_free01"}]
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["enrolled"]
    assert preferences.get_preferences(deps.db, "T1", "U1").learnflow_user_id == "usr_7f3d9a"
    assert not preferences.has_preferences(deps.db, "T1", "U1")  # giving the id is not setting preferences

    value = enroll_value(slack, response_urls, "web development", "crs_8x92k1", posts_before=1)
    slack.click("item_enroll", value)  # a paid course: confirm the price, then enrolled without a question
    slack.click("confirm", button(response_urls.wait(3)[2], "confirm")["value"])
    assert "enrolled" in all_text(response_urls.wait(4)[3]).lower()
    assert len(slack_api.calls_to("views.open")) == 1
    assert workspace_token.enrollment_bodies[-1] == {"user_id": "usr_7f3d9a", "course_id": "crs_8x92k1"}


def test_a_malformed_user_id_is_named_and_nothing_is_stored_or_sent(
        workspace_token, slack, slack_api, response_urls, deps):
    slack.click("item_enroll", enroll_value(slack, response_urls, "git", "crs_free01"))
    form = opened(slack_api)
    refused = slack.submit_view("learnflow_user_id", user_id_state("usr 7f3d9a <!here>"),
                                metadata=form["private_metadata"])
    assert refused.json()["response_action"] == "errors"
    assert "like usr_7f3d9a" in refused.json()["errors"]["learnflow_user_id"]
    assert preferences.get_preferences(deps.db, "T1", "U1").learnflow_user_id is None
    assert workspace_token.enrollment_bodies == []


@pytest.fixture
def user_ids_are_emails(env, workspace_token):
    env["LEARNBOT_LEARNFLOW_USER_ID"] = "email"
    return workspace_token


def test_when_learnflow_user_ids_are_work_emails_nobody_is_asked(
        user_ids_are_emails, slack, slack_api, response_urls):
    workspace_token = user_ids_are_emails
    slack.click("item_enroll", enroll_value(slack, response_urls, "git", "crs_free01"))
    assert "enrolled" in all_text(response_urls.wait(2)[1]).lower()
    assert workspace_token.enrollment_bodies == [{"user_id": "ada@example.com", "course_id": "crs_free01"}]
    assert slack_api.calls_to("views.open") == []


def test_in_a_dm_the_question_comes_with_an_enroll_button_that_opens_the_form(
        workspace_token, slack, slack_api):
    slack.dm("git provider:learnflow")
    slack_api.wait_for("chat.update")
    slack.dm("enroll 1")
    question = slack_api.wait_for("chat.postMessage", 2)[1].args
    assert "user id" in all_text(question)
    slack.click("item_enroll", button(question, "item_enroll")["value"])
    assert opened(slack_api)["callback_id"] == "learnflow_user_id"


@pytest.fixture
def slow_learnflow(env, transports):
    """LearnFlow whose first enrollment answer comes after the client gave up (it did enroll)."""
    fake = lf.FakeLearnFlow()
    fake.posts = []
    env["LEARNBOT_LEARNFLOW_URL"] = lf.BASE_URL

    def first_enrollment_times_out(request):
        answer = fake(request)
        if request.url.path == "/v1/enrollments":
            fake.posts.append(request)
            if len(fake.posts) == 1:
                raise httpx.ReadTimeout("timed out", request=request)
        return answer
    transports["learnflow"] = httpx.MockTransport(first_enrollment_times_out)
    return fake


def test_an_unanswered_enrollment_is_not_confirmed_and_a_second_click_resends_the_same_key(
        slow_learnflow, slack, response_urls, deps):
    slack.connect("learnflow", {"access_token": "at-current", "user_id": "usr_7f3d9a"})
    value = enroll_value(slack, response_urls, "git", "crs_free01")

    slack.click("item_enroll", value)
    assert ANSWER_IN_TIME in all_text(response_urls.wait(2)[1])
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["unconfirmed"]
    assert len(slow_learnflow.posts) == 1
    slack.command("enrollments")
    assert "not confirmed yet" in all_text(response_urls.wait(3)[2])

    slack.click("item_enroll", value)
    assert "enrolled" in all_text(response_urls.wait(4)[3]).lower()
    assert len(slow_learnflow.posts) == 2
    first, second = slow_learnflow.idempotency_keys
    assert first and first == second
    assert slow_learnflow.enrolled == {("usr_7f3d9a", "crs_free01")}
    assert [e.status for e in library.list_enrollments(deps.db, "T1", "U1")] == ["enrolled"]


def test_enroll_typed_after_learn_asks_in_the_same_form(workspace_token, slack, slack_api, response_urls):
    enroll_value(slack, response_urls, "git", "crs_free01")
    slack.command("enroll learnflow:crs_free01")
    form = opened(slack_api)
    assert form["callback_id"] == "learnflow_user_id" and slack_api.refusals() == []
    assert "learnflow:crs_free01" in form["private_metadata"]
    replaced = response_urls.wait(2)[1]
    assert replaced["replace_original"] is True
    assert "Enrolling" not in all_text(replaced) and "form that just opened" in all_text(replaced)
