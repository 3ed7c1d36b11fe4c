"""Direct messages as Slack sends them: with a file, in a thread, edited, deleted, from bots."""

import json

FILE = {"id": "F0A1B2C3D", "name": "syllabus.pdf", "mimetype": "application/pdf", "filetype": "pdf"}
THREAD = "1796208000.000100"


def text_of(args: dict) -> str:
    return args.get("text", "") + json.dumps(args.get("blocks", []), ensure_ascii=False)


def test_a_message_with_a_file_and_text_is_answered(slack, slack_api):
    slack.dm("python videos", subtype="file_share", files=[FILE], upload=False)
    assert "Searching for" in slack_api.wait_for("chat.postMessage")[0].args["text"]
    assert "video" in text_of(slack_api.wait_for("chat.update")[0].args)


def test_a_reply_in_a_thread_is_answered_in_that_thread(slack, slack_api):
    slack.dm("help", thread_ts=THREAD)
    assert slack_api.wait_for("chat.postMessage")[0].args["thread_ts"] == THREAD


def test_a_search_in_a_thread_puts_placeholder_and_results_in_that_thread(slack, slack_api):
    slack.dm("python", thread_ts=THREAD)
    placeholder = slack_api.wait_for("chat.postMessage")[0].args
    assert placeholder["thread_ts"] == THREAD
    update = slack_api.wait_for("chat.update")[0].args
    posted = slack_api.messages[placeholder["channel"]][0]
    assert update["ts"] == posted["ts"] and "Python" in text_of(update)


def test_a_message_at_the_top_level_is_answered_at_the_top_level(slack, slack_api):
    slack.dm("help")
    assert "thread_ts" not in slack_api.wait_for("chat.postMessage")[0].args


def test_edits_deletions_bot_messages_and_bare_files_are_not_requests(slack, slack_api):
    slack.event({"type": "message", "subtype": "message_changed", "channel_type": "im", "channel": "DU1",
                 "message": {"type": "message", "user": "U1", "text": "python", "ts": "1.0"}, "ts": "1.1"})
    slack.event({"type": "message", "subtype": "message_deleted", "channel_type": "im", "channel": "DU1",
                 "deleted_ts": "1.0", "ts": "1.2"})
    slack.event({"type": "message", "subtype": "bot_message", "channel_type": "im", "channel": "DU1",
                 "bot_id": "B1", "text": "python", "ts": "1.3"})
    slack.dm("python", subtype="file_share", files=[FILE], bot_id="B1")
    slack.dm("", subtype="file_share", files=[FILE])
    slack.dm("help")
    slack_api.wait_for("chat.postMessage")
    assert len(slack_api.calls_to("chat.postMessage")) == 1
    assert slack_api.calls_to("chat.update") == []
