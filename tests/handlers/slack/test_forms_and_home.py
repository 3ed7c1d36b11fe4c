"""The connect and preferences modals and the App Home, driven by signed Slack requests."""

import json
import logging

import pytest

from store import credentials, preferences

SECRET = "lf-s3cr3t-access-token-9f8e7d"


def view_of(call) -> dict:
    view = call.args["view"]
    return json.loads(view) if isinstance(view, str) else view


def block_ids(view: dict) -> list[str]:
    return [block.get("block_id", "") for block in view["blocks"]]


def connect_state(provider: str, values: dict, share: bool = False) -> dict:
    state = {f"credential_{name}": {"value": {"type": "plain_text_input", "value": value}}
             for name, value in values.items()}
    state["connect_provider"] = {"connect_pick_provider": {"selected_option": {"value": provider}}}
    if share:
        state["connect_share"] = {"value": {"selected_options": [{"value": "share"}]}}
    return state


def everything_slack_saw(slack_api, response_urls) -> str:
    return json.dumps([c.args for c in slack_api.calls], default=str) + json.dumps(response_urls.posts)


def test_connect_with_a_provider_opens_its_form_with_empty_fields(slack, slack_api):
    slack.command("connect learnflow")
    view = view_of(slack_api.wait_for("views.open")[0])
    assert view["callback_id"] == "connect_provider"
    assert {"credential_access_token", "credential_refresh_token"} <= set(block_ids(view))
    assert "initial_value" not in json.dumps(view)


def test_picking_a_provider_in_the_form_shows_its_fields(slack, slack_api):
    slack.command("connect")
    slack_api.wait_for("views.open")
    (shown,) = slack_api.views.values()
    slack.click("connect_pick_provider", None, response_url=False, container={"type": "view"},
                selected_option={"value": "learnifier"}, view={"id": shown["id"], "hash": shown["hash"]})
    view = view_of(slack_api.wait_for("views.update")[0])
    assert {"credential_key", "credential_secret", "credential_org"} <= set(block_ids(view))


def test_missing_required_field_is_named_and_nothing_is_stored(slack, deps):
    response = slack.submit_view("connect_provider", connect_state("learnifier", {"key": "k", "org": "42"}),
                                 metadata=json.dumps({"provider": "learnifier"}))
    assert response.json() == {"response_action": "errors",
                               "errors": {"credential_secret": "API secret is required."}} \
        or response.json()["errors"].keys() == {"credential_secret"}
    assert list(credentials.load_personal(deps.db, deps.vault, "T1", "U1")) == []


def test_connected_credentials_are_stored_encrypted_and_never_shown_or_logged(
        slack, slack_api, response_urls, deps, env, caplog):
    caplog.set_level(logging.DEBUG)
    slack.submit_view("connect_provider", connect_state("learnflow", {"access_token": SECRET}),
                      metadata=json.dumps({"provider": "learnflow"}))
    confirmation = slack_api.wait_for("chat.postMessage")[0].args
    assert "LearnFlow is connected for you" in confirmation["text"]
    slack_api.wait_for("views.publish")
    slack.command("providers")
    slack.command("python")
    response_urls.wait(2)
    assert credentials.load_personal(deps.db, deps.vault, "T1", "U1") == {"learnflow": {"access_token": SECRET}}
    with open(env["LEARNBOT_DB"], "rb") as db_file:
        assert SECRET.encode() not in db_file.read()
    assert SECRET not in everything_slack_saw(slack_api, response_urls)
    assert SECRET not in caplog.text


def test_one_persons_credentials_are_never_used_for_another(slack, slack_api, response_urls, deps):
    slack.submit_view("connect_provider", connect_state("learnflow", {"access_token": SECRET}),
                      metadata=json.dumps({"provider": "learnflow"}))
    slack_api.wait_for("chat.postMessage")
    slack.command("providers", user="U2")
    lines = response_urls.wait(1)[0]["blocks"][0]["text"]["text"].splitlines()
    assert "not connected" in next(line for line in lines if "LearnFlow" in line)


def test_only_admins_can_share_credentials_with_the_workspace(slack, slack_api, response_urls, deps):
    state = connect_state("learnflow", {"access_token": SECRET}, share=True)
    refused = slack.submit_view("connect_provider", state, user="U1", metadata=json.dumps({"provider": "learnflow"}))
    assert refused.json()["errors"] == {"connect_share": "Only workspace admins can share credentials."}
    assert list(credentials.load_shared(deps.db, deps.vault, "T1")) == []
    accepted = slack.submit_view("connect_provider", state, user="UADMIN",
                                 metadata=json.dumps({"provider": "learnflow"}))
    assert accepted.status_code == 200 and accepted.text in ("", "{}")
    assert list(credentials.load_shared(deps.db, deps.vault, "T1")) == ["learnflow"]
    slack.command("providers", user="U2")
    assert "enabled for the whole workspace" in json.dumps(response_urls.wait(1)[0])


def test_sharing_when_slack_cannot_say_who_is_admin_is_refused_with_the_reason(slack, slack_api, deps):
    state = connect_state("learnflow", {"access_token": SECRET}, share=True)
    refused = slack.submit_view("connect_provider", state, user="UGONE", metadata=json.dumps({"provider": "learnflow"}))
    assert "could not check with Slack whether you are a workspace admin" in refused.json()["errors"]["connect_share"]
    assert list(credentials.load_shared(deps.db, deps.vault, "T1")) == []


def test_connect_when_slack_cannot_say_who_is_admin_answers_through_the_error_handler(
        slack, slack_api, response_urls):
    slack.command("connect learnflow", user="UGONE")
    assert "could not check with Slack" in json.dumps(response_urls.wait(1)[0])
    assert slack_api.calls_to("views.open") == []


def prefs_state(max_text: str = "2h", topics: str = "python, data analysis") -> dict:
    return {
        "prefs_topics": {"value": {"value": topics}},
        "prefs_languages": {"value": {"selected_options": [{"value": "fr"}]}},
        "prefs_types": {"value": {"selected_options": [{"value": "video"}, {"value": "mooc"}]}},
        "prefs_providers": {"value": {"selected_options": []}},
        "prefs_max": {"value": {"value": max_text}},
        "prefs_digest_day": {"value": {"selected_option": {"value": "4"}}},
        "prefs_digest_time": {"value": {"selected_time": "16:30"}},
        "prefs_digest_on": {"value": {"selected_options": [{"value": "on"}]}},
    }


def test_prefs_opens_the_form_with_current_values(slack, slack_api, response_urls):
    slack.command('prefs set topics=sql max=1h30')
    response_urls.wait(1)
    slack.command("prefs")
    view = view_of(slack_api.wait_for("views.open")[0])
    assert view["callback_id"] == "preferences"
    assert '"initial_value": "sql"' in json.dumps(view) and '"initial_value": "1h30"' in json.dumps(view)


def test_prefs_form_saves_every_field(slack, slack_api, deps):
    response = slack.submit_view("preferences", prefs_state())
    assert response.status_code == 200
    prefs = preferences.get_preferences(deps.db, "T1", "U1")
    assert (prefs.topics, prefs.languages, prefs.types, prefs.max_minutes, prefs.digest_day, prefs.digest_time) \
        == (("python", "data analysis"), ("fr",), ("video", "mooc"), 120, 4, "16:30")
    assert "Topics: python, data analysis" in slack_api.wait_for("chat.postMessage")[0].args["text"]


def test_prefs_form_sets_and_clears_the_learning_records_account(slack, slack_api, deps):
    state = {**prefs_state(), "prefs_lrs_account": {"value": {"value": " jdupont "}}}
    assert slack.submit_view("preferences", state).status_code == 200
    assert preferences.get_preferences(deps.db, "T1", "U1").lrs_account == "jdupont"
    slack.command("prefs")
    assert '"initial_value": "jdupont"' in json.dumps(view_of(slack_api.wait_for("views.open")[0]))
    state["prefs_lrs_account"] = {"value": {"value": ""}}
    assert slack.submit_view("preferences", state).status_code == 200
    assert preferences.get_preferences(deps.db, "T1", "U1").lrs_account is None


def test_prefs_form_refuses_an_account_name_with_spaces_and_stores_nothing(slack, deps):
    state = {**prefs_state(), "prefs_lrs_account": {"value": {"value": "jean dupont"}}}
    body = slack.submit_view("preferences", state).json()
    assert body["response_action"] == "errors" and list(body["errors"]) == ["prefs_lrs_account"]
    assert not preferences.has_preferences(deps.db, "T1", "U1")


@pytest.mark.parametrize("max_text,topics,block", [("forever", "python", "prefs_max"),
                                                   ("2h", ",".join(["t"] * 11), "prefs_topics")])
def test_prefs_form_names_a_bad_field_and_stores_nothing(slack, deps, max_text, topics, block):
    response = slack.submit_view("preferences", prefs_state(max_text, topics))
    body = response.json()
    assert body["response_action"] == "errors" and list(body["errors"]) == [block]
    assert not preferences.has_preferences(deps.db, "T1", "U1")


def test_home_tab_shows_preferences_providers_saved_items_and_next_digest(slack, slack_api, response_urls):
    slack.command("python")
    response_urls.wait(1)
    slack.command("save 1")
    response_urls.wait(2)
    slack.event({"type": "app_home_opened", "user": "U1", "channel": "D1", "tab": "home"})
    view = view_of(slack_api.wait_for("views.publish")[0])
    text = json.dumps(view, ensure_ascii=False)
    assert view["type"] == "home"
    assert "Your preferences" in text and "Local catalog" in text and "Next digest" in text
    assert "Python" in text
    assert {"home_edit_prefs", "home_connect"} <= {e["action_id"] for b in view["blocks"] if b["type"] == "actions"
                                                   for e in b["elements"]}


def test_home_edit_preferences_button_opens_the_form(slack, slack_api):
    slack.click("home_edit_prefs", response_url=False, container={"type": "view"})
    assert view_of(slack_api.wait_for("views.open")[0])["callback_id"] == "preferences"
