"""The tests' fake Slack refuses what Slack's servers refuse (../shared/slack/RULES.md).

Each rule is checked with the smallest payload that breaks it, next to one that keeps it, so
the fake is known to refuse for the rule's reason and not for another.
"""

import json
import time

import pytest
from fakes.slack import BOT_TOKEN, FakeSlackApi, new_trigger_id

AUTH = f"Bearer {BOT_TOKEN}"


@pytest.fixture
def api():
    fake = FakeSlackApi()
    yield fake
    fake.close()


def modal(**parts) -> dict:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Connect a provider"}, "blocks": []}
    return {**view, **parts}


def text(value: str) -> dict:
    return {"type": "plain_text", "text": value}


INPUT = {"type": "input", "block_id": "b", "label": text("Token"),
         "element": {"type": "plain_text_input", "action_id": "value"}}


def open_view(api, view: dict, trigger_id: str | None = None) -> dict:
    return api.answer("views.open", {"trigger_id": trigger_id or new_trigger_id(), "view": json.dumps(view)},
                      AUTH)[1]


def post(api, **args) -> dict:
    return api.answer("chat.postMessage", {"channel": "C1", **args}, AUTH)[1]


def section(length: int) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "x" * length}}


def button(**fields) -> dict:
    return {"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": text("Open"), **fields}]}


def test_a_modal_with_an_input_block_needs_a_submit_button(api):
    refused = open_view(api, modal(blocks=[INPUT]))
    assert refused["error"] == "invalid_arguments"
    assert "must define `submit` to use `input` block" in refused["response_metadata"]["messages"][0]
    assert open_view(api, modal(blocks=[INPUT], submit=text("Connect")))["ok"]
    assert api.calls_to("views.open") != [] and len(api.refusals("views.open")) == 1


@pytest.mark.parametrize("part", ["title", "submit", "close"])
def test_modal_title_submit_and_close_hold_at_most_24_characters(api, part):
    assert not open_view(api, modal(**{part: text("x" * 25)}))["ok"]
    assert open_view(api, modal(**{part: text("x" * 24)}))["ok"]


def test_a_modal_needs_a_title(api):
    assert not open_view(api, {"type": "modal", "blocks": []})["ok"]


def test_a_trigger_id_is_used_once(api):
    trigger = new_trigger_id()
    assert open_view(api, modal(), trigger)["ok"]
    assert open_view(api, modal(), trigger)["error"] == "exchanged_trigger_id"


def test_a_trigger_id_expires_after_three_seconds(api):
    old = f"{(time.monotonic_ns() // 1000) - 3_100_000}.1.abc"
    assert open_view(api, modal(), old)["error"] == "expired_trigger_id"
    assert open_view(api, modal(), "not-a-trigger")["error"] == "invalid_trigger_id"


def test_views_update_with_a_stale_hash_is_refused(api):
    shown = open_view(api, modal())["view"]
    update = {"view_id": shown["id"], "hash": shown["hash"], "view": json.dumps(modal())}
    assert api.answer("views.update", update, AUTH)[1]["ok"]
    assert api.answer("views.update", update, AUTH)[1]["error"] == "hash_conflict"
    assert api.answer("views.update", {**update, "view_id": "VNONE"}, AUTH)[1]["error"] == "not_found"


def test_view_limits(api):
    assert not open_view(api, modal(blocks=[section(10)] * 101))["ok"]
    assert open_view(api, modal(blocks=[section(10)] * 100))["ok"]
    assert not open_view(api, modal(private_metadata="x" * 3001))["ok"]
    assert not open_view(api, modal(callback_id="x" * 256))["ok"]
    assert open_view(api, modal(private_metadata="x" * 3000, callback_id="x" * 255))["ok"]


def test_message_limits(api):
    assert not post(api, text="t", blocks=json.dumps([section(10)] * 51))["ok"]
    assert post(api, text="t", blocks=json.dumps([section(10)] * 50))["ok"]
    assert post(api, text="t", blocks=[section(3001)])["error"] == "invalid_blocks"
    assert post(api, text="t", blocks=[section(3000)])["ok"]
    assert not post(api, text="t", blocks=[button(url="https://e.org/" + "x" * 3000)])["ok"]
    assert not post(api, text="t", blocks=[button(value="x" * 2001)])["ok"]
    assert post(api, text="t", blocks=[button(value="x" * 2000, url="https://e.org/")])["ok"]


def test_an_action_id_is_unique_within_its_block(api):
    twice = {"type": "actions", "elements": [{"type": "button", "action_id": "a", "text": text("1")},
                                             {"type": "button", "action_id": "a", "text": text("2")}]}
    assert post(api, text="t", blocks=[twice])["error"] == "invalid_blocks"
    assert post(api, text="t", blocks=[button(), button()])["ok"]  # the same id in two blocks is fine


def test_blocks_come_with_a_text_fallback(api):
    assert not post(api, blocks=[section(10)])["ok"]
    assert post(api, text="fallback", blocks=[section(10)])["ok"]
