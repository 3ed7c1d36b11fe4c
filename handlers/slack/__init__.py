"""The Slack surface. `register_all` is the one place that lists the listeners (no auto-discovery)."""

from slack_bolt import App

from handlers.core.deps import Deps
from handlers.digest import listeners as digest
from handlers.slack import buttons, forms, home, learn, messages, workspace

MODULES = (workspace, learn, messages, home, forms, buttons, digest)


def register_all(app: App, deps: Deps) -> None:
    for module in MODULES:
        module.register(app, deps)
