"""Buttons on results, confirmations and the App Home."""

from __future__ import annotations

import re

from slack_bolt import App

from handlers.core import grammar as g
from handlers.core.actions import confirmed, run, run_suggestion, search_without
from handlers.core.deps import Deps
from handlers.core.errors import UsageError, safely
from handlers.core.replies import Notice, OpenForm
from handlers.slack.deliver import deliver
from handlers.slack.forms import answer, open_form
from handlers.slack.home import publish_home
from handlers.slack.ids import Action
from handlers.slack.payloads import ids_from, load_person


def search_and_part(value: str) -> tuple[int, str]:
    """`"12:languages"` → (12, "languages"): a search id and what the button acts on."""
    search_id, _, part = value.partition(":")
    if not search_id.isdigit() or not part:
        raise UsageError("That button is out of date; search again.")
    return int(search_id), part


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

        def work():
            person = person_of(body, client)
            answer(body, client, respond, deps, person, safely(lambda: run(g.Enroll(value_of(body)), person, deps)))

        later(body, client, respond, work)

    @app.action(Action.MORE)
    def more(ack, body, client, respond):
        ack()

        def next_page():
            search_id, _, page = value_of(body).partition(":")
            if not (search_id.isdigit() and page.isdigit()):
                raise UsageError("That button is out of date; search again.")
            return run(g.More(int(search_id), int(page)), person_of(body, client), deps)

        later(body, client, respond, lambda: deliver(body, client, respond, safely(next_page), replace=True))

    @app.action(re.compile(f"^{Action.DROP_FILTER}:"))
    def drop_filter(ack, body, client, respond):
        ack()
        search_id, key = search_and_part(value_of(body))
        later(body, client, respond, lambda: deliver(body, client, respond, safely(
            lambda: search_without(search_id, key, person_of(body, client), deps)), replace=True))

    @app.action(re.compile(f"^{Action.SUGGESTION}:"))
    def suggestion(ack, body, client, respond):
        ack()

        def suggested():
            search_id, index = search_and_part(value_of(body))
            if not index.isdigit():
                raise UsageError("That button is out of date; search again.")
            return run_suggestion(search_id, int(index), person_of(body, client), deps)

        later(body, client, respond, lambda: deliver(body, client, respond, safely(suggested), replace=True))

    @app.action(Action.UNSAVE)
    def unsave(ack, body, client, respond):
        ack()

        def work():
            person = person_of(body, client)
            reply = safely(lambda: run(g.Unsave(value_of(body)), person, deps))
            if body.get("view", {}).get("type") == "home":
                publish_home(client, deps, person)
            else:
                deliver(body, client, respond, reply)

        later(body, client, respond, work)

    @app.action(Action.CONFIRM)
    def confirm(ack, body, client, respond):
        ack()
        action, _, value = value_of(body).partition(":")

        def work():
            person = person_of(body, client)
            answer(body, client, respond, deps, person, safely(lambda: confirmed(action, value, person, deps)),
                   replace=True)

        later(body, client, respond, work)

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
