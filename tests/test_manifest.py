"""manifest.yml is a valid Slack app manifest and matches the listeners the app registers."""

import json
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


def test_manifest_asks_for_the_scopes_the_app_uses():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "im:history", "im:write", "users:read", "users:read.email"} <= scopes


def test_home_and_messages_tabs_interactivity_and_socket_mode_are_on():
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
