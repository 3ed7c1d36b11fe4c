"""Direct messages: the same commands in plain words ("python videos in french under 2 hours")."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk.models.blocks import ActionsBlock, ButtonElement

from handlers.core import grammar as g
from handlers.core.actions import LEARNFLOW_USER_ID_FORM, run
from handlers.core.deps import Deps
from handlers.core.errors import UsageError, safely
from handlers.core.replies import OpenForm, Problem
from handlers.slack.deliver import payload
from handlers.slack.ids import Action
from handlers.slack.learn import BUSY
from handlers.slack.payloads import load_person
from handlers.slack.render import escape, message, section, unescape


def form_button(form: OpenForm) -> dict:
    """A direct message carries no trigger to open a modal, so offer a button that does."""
    if form.form == LEARNFLOW_USER_ID_FORM:  # pressing Enroll again asks for the id in a form
        return message([section(form.fallback), ActionsBlock(elements=[
            ButtonElement(text="Enroll", action_id=Action.ENROLL, value=form.extra["ref"])])], form.fallback)
    action, label = (Action.CONNECT, "Connect a provider") if form.form == "connect" \
        else (Action.EDIT_PREFS, "Edit preferences")
    return message([section("Press the button to open the form."),
                    ActionsBlock(elements=[ButtonElement(text=label, action_id=action)])], label)


ANSWERED_SUBTYPES = (None, "file_share")  # a plain message, or one with a file that may carry text


def is_person_writing(event: dict) -> bool:
    """A person's own message in their DM with learnbot: not an edit, a deletion or a bot's message."""
    return (event.get("channel_type") == "im" and event.get("subtype") in ANSWERED_SUBTYPES
            and not event.get("bot_id") and bool((event.get("text") or "").strip()))


def register(app: App, deps: Deps) -> None:
    @app.event("message", matchers=[lambda event: is_person_writing(event)])
    def direct_message(event, body, client):
        # A reply in a thread is answered in that thread; `thread_ts` absent keeps the top level.
        where = {"channel": event["channel"], **({"thread_ts": event["thread_ts"]} if event.get("thread_ts") else {})}
        try:
            command = g.parse_message(unescape(event.get("text") or ""))
        except UsageError as error:
            client.chat_postMessage(**where, **payload(Problem(
                f"{error.message}\nWrite `help` to see everything learnbot can do.")))
            return
        placeholder = None
        if isinstance(command, g.Search):
            waiting = BUSY if deps.work.busy else f"Searching for “{escape(command.text[:150])}”…"
            placeholder = client.chat_postMessage(**where, text=waiting)

        def work():
            person = load_person(client, deps, body.get("team_id") or event.get("team", ""), event["user"])
            reply = safely(lambda: run(command, person, deps))
            rendered = form_button(reply) if isinstance(reply, OpenForm) else payload(reply)
            if placeholder:
                client.chat_update(channel=where["channel"], ts=placeholder["ts"], **rendered)
            else:
                client.chat_postMessage(**where, **rendered)

        deps.work.submit(work, on_error=lambda problem: client.chat_postMessage(**where, **payload(problem)))

    @app.event("message")
    def other_messages():
        """Messages in channels and edits are not for learnbot; acknowledging them keeps Bolt quiet."""
