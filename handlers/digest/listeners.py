"""The digest's buttons: snooze a week, change the schedule, stop digests."""

from __future__ import annotations

from slack_bolt import App

from handlers.core import grammar as g
from handlers.core.actions import run
from handlers.core.deps import Deps, Person
from handlers.core.errors import safely
from handlers.core.replies import OpenForm
from handlers.digest import render  # noqa: F401 - registers the digest's Slack renderer (`/learn digest preview`)
from handlers.digest.build import snooze
from handlers.slack.deliver import deliver
from handlers.slack.forms import open_form
from handlers.slack.ids import Action
from handlers.slack.payloads import ids_from, load_person


def register(app: App, deps: Deps) -> None:
    def person_of(body, client) -> Person:
        team_id, user_id = ids_from(body)
        return load_person(client, deps, team_id, user_id)

    @app.action(Action.DIGEST_SNOOZE)
    def snooze_clicked(ack, body, client, respond):
        ack()
        person = person_of(body, client)
        deliver(body, client, respond, safely(lambda: snooze(person, deps, deps.now())))

    @app.action(Action.DIGEST_SCHEDULE)
    def schedule_clicked(ack, body, client):
        ack()
        open_form(client, deps, person_of(body, client), OpenForm("prefs", ""), body["trigger_id"])

    @app.action(Action.DIGEST_STOP)
    def stop_clicked(ack, body, client, respond):
        ack()
        person = person_of(body, client)
        deliver(body, client, respond, safely(lambda: run(g.Digest("off"), person, deps)))
