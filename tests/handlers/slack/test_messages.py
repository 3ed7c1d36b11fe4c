"""Direct messages: the same conversation in plain words, as `message.im` events."""

import json

from store import library


def text_of(message: dict) -> str:
    return message.get("text", "") + json.dumps(message.get("blocks", []), ensure_ascii=False)


def test_plain_words_search_posts_a_placeholder_then_replaces_it_with_results(slack, slack_api):
    assert slack.dm("python videos in french under 2 hours").status_code == 200
    posted = slack_api.wait_for("chat.postMessage")[0]
    assert "Searching for" in posted.args["text"]
    update = slack_api.wait_for("chat.update")[0]
    assert update.args["ts"]
    text = text_of(update.args)
    assert "video" in text and " fr " in text.replace("·", " ")
    assert " en " not in text.replace("·", " ")


def test_save_and_enroll_by_number_refer_to_the_last_search(slack, slack_api, deps):
    slack.dm("python")
    slack_api.wait_for("chat.update")
    slack.dm("save 3")
    slack.dm("enroll 2")
    # The two answers come in either order: each DM is handled on its own thread.
    answers = sorted(text_of(post.args) for post in slack_api.wait_for("chat.postMessage", 3)[1:])
    assert "Saved" in answers[0] and "enrolled" in answers[1].lower()
    assert len(library.list_saved(deps.db, "T1", "U1")) == 1
    assert len(library.list_enrollments(deps.db, "T1", "U1")) == 1


def test_help_says_what_the_bot_can_do(slack, slack_api):
    slack.dm("help")
    text = text_of(slack_api.wait_for("chat.postMessage")[0].args)
    assert "enroll" in text and "plain words" in text


def test_bad_input_in_a_dm_gets_a_clear_answer(slack, slack_api, deps):
    slack.dm("python max:forever")
    text = text_of(slack_api.wait_for("chat.postMessage")[0].args)
    assert "is not a duration" in text and "Traceback" not in text


def test_messages_from_bots_and_edits_are_ignored(slack, slack_api):
    slack.event({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1", "text": "python",
                 "bot_id": "B1", "ts": "1.0"})
    slack.event({"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": "D1",
                 "ts": "1.1"})
    slack.event({"type": "message", "channel_type": "channel", "channel": "C1", "user": "U1", "text": "python",
                 "ts": "1.2"})
    slack.dm("help")
    slack_api.wait_for("chat.postMessage")
    assert len(slack_api.calls_to("chat.postMessage")) == 1


def test_connect_in_a_dm_offers_a_button_that_opens_the_form(slack, slack_api):
    slack.dm("connect")
    message = slack_api.wait_for("chat.postMessage")[0].args
    assert "home_connect" in text_of(message)
    slack.click("home_connect", response_url=False)
    view = slack_api.wait_for("views.open")[0].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "connect_provider"


def test_the_persons_time_zone_locale_and_email_come_from_slack(slack, slack_api, deps):
    from store.users import get_user

    slack.dm("help")
    slack_api.wait_for("chat.postMessage")
    user = get_user(deps.db, "T1", "U1")
    assert (user.tz, user.locale, user.email) == ("Europe/Paris", "fr-FR", "ada@example.com")
