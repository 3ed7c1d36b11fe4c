"""Buttons on results, confirmations and the App Home."""

from __future__ import annotations

from slack_bolt import App

from handlers.core import grammar as g
from handlers.core.actions import confirmed, run
from handlers.core.deps import Deps
from handlers.core.errors import UsageError, safely
from handlers.core.replies import Notice, OpenForm
from handlers.slack.deliver import deliver
from handlers.slack.forms import open_form
from handlers.slack.ids import Action
from handlers.slack.payloads import ids_from, load_person


def register(app: App, deps: Deps) -> None:
    def person_of(body, client):
        team_id, user_id = ids_from(body)
        return load_person(client, deps, team_id, user_id)

    def value_of(body) -> str:
        return body["actions"][0].get("value") or ""

    def later(body, client, respond, work) -> None:
        """Run a button's work after its acknowledgement, on the app's work pool."""
        deps.work.submit(work, on_error=lambda problem: deliver(body, client, respond, problem))

    @app.action(Action.OPEN)
    def opened(ack):
        ack()  # the button's URL opens in the browser; Slack still expects an acknowledgement

    @app.action(Action.SAVE)
    def save(ack, body, client, respond):
        ack()
        later(body, client, respond, lambda: deliver(
            body, client, respond, safely(lambda: run(g.Save(value_of(body)), person_of(body, client), deps))))

    @app.action(Action.ENROLL)
    def enroll(ack, body, client, respond):
        ack()
        later(body, client, respond, lambda: deliver(
            body, client, respond, safely(lambda: run(g.Enroll(value_of(body)), person_of(body, client), deps))))

    @app.action(Action.MORE)
    def more(ack, body, client, respond):
        ack()

        def next_page():
            search_id, _, page = value_of(body).partition(":")
            if not (search_id.isdigit() and page.isdigit()):
                raise UsageError("That button is out of date; search again.")
            return run(g.More(int(search_id), int(page)), person_of(body, client), deps)

        later(body, client, respond, lambda: deliver(body, client, respond, safely(next_page), replace=True))

    @app.action(Action.CONFIRM)
    def confirm(ack, body, client, respond):
        ack()
        action, _, value = value_of(body).partition(":")
        later(body, client, respond, lambda: deliver(
            body, client, respond, safely(lambda: confirmed(action, value, person_of(body, client), deps)),
            replace=True))

    @app.action(Action.CANCEL)
    def cancel(ack, body, client, respond):
        ack()
        deliver(body, client, respond, Notice("Cancelled: nothing changed."), replace=True)

    @app.action(Action.EDIT_PREFS)
    def edit_prefs(ack, body, client):
        ack()
        open_form(client, deps, person_of(body, client), OpenForm("prefs", ""), body["trigger_id"])

    @app.action(Action.CONNECT)
    def connect(ack, body, client):
        ack()
        open_form(client, deps, person_of(body, client), OpenForm("connect", ""), body["trigger_id"])
