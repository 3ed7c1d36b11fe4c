"""Each Slack delivery is acted on once: Slack's event retries and replayed interactions are
acknowledged and ignored (handlers/slack/once.py, through the real Bolt app)."""

import json
import logging
import time

from fakes.slack import all_text

from store import library


def dm_event(text: str, user: str = "U1") -> dict:
    return {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user, "text": text,
            "ts": f"{time.time():.6f}"}





def test_an_event_and_its_two_retries_get_one_answer(slack, slack_api, caplog):
    event = dm_event("help")
    with caplog.at_level(logging.DEBUG, logger="handlers.slack.once"):
        responses = [slack.event(event, event_id="Ev0RETRY1", retry=retry) for retry in (0, 1, 2)]
        assert [r.status_code for r in responses] == [200, 200, 200]
        slack.dm("saved")  # a later, different event: once it is answered, the first one was long ago
        slack_api.wait_for("chat.postMessage", 2)
    texts = [all_text(call.args) for call in slack_api.calls_to("chat.postMessage")]
    assert len(texts) == 2 and sum("plain words" in text for text in texts) == 1
    ignored = [r.getMessage() for r in caplog.records if "repeated Slack delivery" in r.getMessage()]
    assert ignored == ["ignored a repeated Slack delivery (event Ev0RETRY1, retry 1)",
                       "ignored a repeated Slack delivery (event Ev0RETRY1, retry 2)"]


def test_the_same_event_id_in_another_workspace_is_its_own_event(slack, slack_api):
    event = dm_event("help")
    slack.event(event, event_id="Ev0SAME")
    slack.team_id = "T2"
    slack.event(event, event_id="Ev0SAME")
    assert len(slack_api.wait_for("chat.postMessage", 2)) == 2


def connect_learnflow(slack, user: str = "U1"):
    state = {f"credential_{name}": {"value": {"type": "plain_text_input", "value": value}}
             for name, value in {"access_token": "at-current", "user_id": "usr_7f3d9a"}.items()}
    state["connect_provider"] = {"connect_pick_provider": {"type": "static_select",
                                                           "selected_option": {"value": "learnflow"}}}
    slack.submit_view("connect_provider", state, user=user, metadata=json.dumps({"provider": "learnflow"}))


def enroll_value(post: dict, item_id: str) -> str:
    for block in post.get("blocks", []):
        for element in block.get("elements", []) if block["type"] == "actions" else []:
            if element["action_id"] == "item_enroll" and item_id in element.get("value", ""):
                return element["value"]
    raise AssertionError(f"no Enroll button for {item_id}")


def test_a_replayed_enroll_click_enrolls_once_and_answers_once(learnflow, slack, deps, response_urls):
    connect_learnflow(slack)
    slack.command("git provider:learnflow")
    value = enroll_value(response_urls.wait(1)[0], "crs_free01")
    first = slack.click("item_enroll", value, action_ts="1764670000.000100")
    replayed = slack.click("item_enroll", value, action_ts="1764670000.000100")
    assert (first.status_code, replayed.status_code) == (200, 200)
    assert "enrolled" in all_text(response_urls.wait(2)[1]).lower()
    slack.click("cancel")  # not claimed: answered, and after the replay would have been
    posts = response_urls.wait(3)
    assert len(posts) == 3 and "Cancelled" in all_text(posts[2])
    assert learnflow.paths().count("/v1/enrollments") == 1
    assert len(library.list_enrollments(deps.db, "T1", "U1")) == 1


def test_a_second_click_is_not_a_replay(learnflow, slack, deps, response_urls):
    """Two real clicks carry two action_ts: the second is answered (the store's claim says "already")."""
    connect_learnflow(slack)
    slack.command("git provider:learnflow")
    value = enroll_value(response_urls.wait(1)[0], "crs_free01")
    slack.click("item_enroll", value)
    slack.click("item_enroll", value)
    assert len(response_urls.wait(3)) == 3
    assert learnflow.paths().count("/v1/enrollments") == 1


def test_a_replayed_forget_me_confirmation_acts_once(slack, deps, response_urls):
    first = slack.click("confirm", "forget:U1", action_ts="1764670000.000200")
    replayed = slack.click("confirm", "forget:U1", action_ts="1764670000.000200")
    assert (first.status_code, replayed.status_code) == (200, 200)
    assert "deleted everything" in all_text(response_urls.wait(1)[0])
    slack.click("cancel")
    posts = response_urls.wait(2)
    assert len(posts) == 2 and "Cancelled" in all_text(posts[1])
