"""Every way into the connect modal opens a view Slack accepts (the fake refuses what Slack refuses)."""

import json

import pytest


def opened_view(slack_api) -> dict:
    (call,) = slack_api.wait_for("views.open")
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def by_command(slack, slack_api):
    slack.command("connect")


def by_command_with_provider(slack, slack_api):
    slack.command("connect learnflow")


def by_home_button(slack, slack_api):
    slack.click("home_connect", response_url=False, container={"type": "view", "view_id": "VHOME"})


def by_dm_button(slack, slack_api):
    slack.dm("connect")
    message = slack_api.wait_for("chat.postMessage")[0].args
    assert "home_connect" in json.dumps(message["blocks"])
    slack.click("home_connect", response_url=False)


@pytest.mark.parametrize("entry", [by_command, by_command_with_provider, by_home_button, by_dm_button])
def test_every_entry_point_opens_a_connect_modal_slack_accepts(slack, slack_api, entry):
    entry(slack, slack_api)
    view = opened_view(slack_api)
    assert view["callback_id"] == "connect_provider"
    assert slack_api.refusals() == []


@pytest.mark.parametrize("entry", [by_command, by_home_button, by_dm_button])
def test_picking_a_provider_then_shows_its_fields_with_a_connect_button(slack, slack_api, entry):
    entry(slack, slack_api)
    view = opened_view(slack_api)
    assert view.get("submit") is None and all(block["type"] != "input" for block in view["blocks"])
    shown = slack_api.views[next(iter(slack_api.views))]
    slack.click("connect_pick_provider", None, response_url=False, container={"type": "view"},
                selected_option={"value": "learnflow"}, view={"id": shown["id"], "hash": shown["hash"]})
    (update,) = slack_api.wait_for("views.update")
    fields = json.loads(update.args["view"]) if isinstance(update.args["view"], str) else update.args["view"]
    assert fields["submit"]["text"] == "Connect"
    assert "credential_user_id" in {block.get("block_id") for block in fields["blocks"]}
    assert slack_api.refusals() == []


def test_the_connect_form_with_a_provider_has_its_fields_and_a_submit_button(slack, slack_api):
    by_command_with_provider(slack, slack_api)
    view = opened_view(slack_api)
    assert view["submit"]["text"] == "Connect"
    assert {"credential_access_token", "credential_user_id", "credential_payment_method_id"} \
        <= {block.get("block_id") for block in view["blocks"]}
