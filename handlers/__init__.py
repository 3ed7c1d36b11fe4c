"""Slack listeners. `register_all` is the one place that lists them (no auto-discovery)."""

from slack_bolt import App

from handlers import buttons, digest, forms, home, learn, messages
from handlers.deps import Deps

MODULES = (learn, messages, home, forms, buttons, digest)


def register_all(app: App, deps: Deps) -> None:
    for module in MODULES:
        module.register(app, deps)
