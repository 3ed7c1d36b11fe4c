"""The `/learn` slash command: acknowledge at once, work after, replace the acknowledgement."""

from __future__ import annotations

from slack_bolt import App

from handlers.core import grammar as g
from handlers.core.actions import help_reply, run
from handlers.core.deps import Deps
from handlers.core.errors import UsageError, safely
from handlers.core.replies import Notice, OpenForm, Problem
from handlers.slack.deliver import deliver
from handlers.slack.forms import open_form
from handlers.slack.ids import COMMAND
from handlers.slack.payloads import ids_from, load_person
from handlers.slack.render import escape, render_slack, unescape

BUSY = "learnbot is busy: your search is queued."


def interim(command: g.Command) -> str:
    """The acknowledgement shown while the work runs."""
    if isinstance(command, g.Search):
        return f"Searching for “{escape(g.clean(command.text)[:150])}”…"
    if isinstance(command, g.Enroll):
        return "Enrolling…"
    return "Working on it…"


def register(app: App, deps: Deps) -> None:
    @app.command(COMMAND)
    def learn(ack, body, respond, client):
        try:
            command = g.parse_command(unescape(body.get("text") or ""))
        except UsageError as error:
            ack(**render_slack(Problem(f"{error.message}\n`/learn help` shows everything learnbot can do.")))
            return
        if isinstance(command, g.Help):
            ack(**render_slack(help_reply(command.topic)))
            return
        opens_form = isinstance(command, g.Connect) or (isinstance(command, g.Prefs) and not command.changes)

        def work():
            team_id, user_id = ids_from(body)
            person = load_person(client, deps, team_id, user_id)
            reply = safely(lambda: run(command, person, deps))
            if isinstance(reply, OpenForm):
                open_form(client, deps, person, reply, body["trigger_id"])
                if not opens_form:  # the "Enrolling…" acknowledgement would otherwise stay on screen
                    deliver(body, client, respond, Notice("Fill in the form that just opened to go on."), replace=True)
                return
            deliver(body, client, respond, reply, replace=not opens_form)

        if opens_form:  # a modal's trigger_id lasts 3 seconds: open it now, never behind queued work
            ack()
            work()
            return
        ack(text=BUSY if deps.work.busy else interim(command))
        deps.work.submit(work, on_error=lambda problem: deliver(body, client, respond, problem, replace=True))
