"""manifest.yml is a valid Slack app manifest and matches the listeners the app registers."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from slack_bolt import App

from handlers.slack import register_all

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "slack_schema" / "manifest.schema.json").read_text())
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())


class RecordingApp(App):
    """A Bolt app that remembers which commands and events get listeners."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.commands: set[str] = set()
        self.events: set[str] = set()

    def command(self, command, *args, **kwargs):
        self.commands.add(command)
        return super().command(command, *args, **kwargs)

    def event(self, event, *args, **kwargs):
        self.events.add(event if isinstance(event, str) else event["type"])
        return super().event(event, *args, **kwargs)


@pytest.fixture
def registered(deps) -> RecordingApp:
    app = RecordingApp(signing_secret="x" * 32, token="xoxb-test", token_verification_enabled=False)
    register_all(app, deps)
    return app


def test_manifest_is_valid_against_slacks_published_schema():
    jsonschema.validate(MANIFEST, SCHEMA)


def test_a_manifest_with_a_mistake_is_rejected_by_the_schema():
    broken = {**MANIFEST, "settings": {**MANIFEST["settings"], "socket_mode_enabled": "yes"}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_every_manifest_command_has_a_listener_and_the_reverse(registered):
    declared = {c["command"] for c in MANIFEST["features"]["slash_commands"]}
    assert declared == registered.commands == {"/learn"}


def test_every_manifest_event_has_a_listener_and_the_reverse(registered):
    declared = {event.split(".")[0] for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]}
    assert declared == registered.events


# The scope each Web API method learnbot calls needs, from Slack's method reference (views.* need none).
METHOD_SCOPES = {
    "chat_postMessage": {"chat:write"}, "chat_update": {"chat:write"}, "chat_postEphemeral": {"chat:write"},
    "conversations_history": {"im:history"},  # only ever the person's DM with learnbot
    "conversations_open": {"im:write"},
    "users_info": {"users:read", "users:read.email"},  # learnbot reads the profile's email
    "views_open": set(), "views_update": set(), "views_push": set(), "views_publish": set(),
}
EVENT_SCOPES = {"message.im": {"im:history"}, "app_home_opened": set(), "app_uninstalled": set(),
                "tokens_revoked": set()}


def methods_called() -> set[str]:
    """Every `client.<method>(` in the app's code."""
    sources = [path.read_text() for folder in ("handlers", "bot") for path in (ROOT / folder).rglob("*.py")]
    return set(re.findall(r"client\.([a-z]+_[A-Za-z]+)\(", "\n".join(sources)))


def test_every_web_api_method_the_app_calls_has_a_known_scope():
    called = methods_called()
    assert {"chat_postMessage", "users_info", "views_open"} <= called
    assert called <= METHOD_SCOPES.keys(), f"add the scope of {called - METHOD_SCOPES.keys()} to METHOD_SCOPES"


def test_manifest_asks_for_exactly_the_scopes_the_app_uses():
    needed = {"commands"}.union(*(METHOD_SCOPES[method] for method in methods_called()),
                                *(EVENT_SCOPES[event] for event in MANIFEST["settings"]["event_subscriptions"]
                                  ["bot_events"]))
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed
    assert "im:read" not in needed  # nothing calls conversations.info or conversations.list


def test_home_and_messages_tabs_interactivity_and_socket_mode_are_on():
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
