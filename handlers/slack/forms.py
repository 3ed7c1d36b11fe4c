"""The connect and preferences modals: opening them, switching provider, saving submissions."""

from __future__ import annotations

import dataclasses
import logging

from slack_bolt import App
from slack_sdk import WebClient

from handlers.core.actions import LEARNFLOW_USER_ID_FORM, enroll_with_learnflow_user_id
from handlers.core.deps import Deps, Person
from handlers.core.describe import describe_preferences
from handlers.core.errors import UserFacingError, safely
from handlers.core.replies import OpenForm, Reply
from handlers.slack.deliver import deliver
from handlers.slack.home import publish_home
from handlers.slack.ids import Action, View
from handlers.slack.payloads import ids_from, is_admin, load_person
from handlers.slack.render import escape
from handlers.slack.views import (
    FieldErrors,
    connect_view,
    learnflow_user_id_view,
    parse_connect,
    parse_learnflow_user_id,
    parse_prefs,
    prefs_view,
)
from store import credentials, preferences

logger = logging.getLogger(__name__)


def open_form(client: WebClient, deps: Deps, person: Person, form: OpenForm, trigger_id: str) -> None:
    if form.form == "connect":
        view = connect_view(deps.hub.specs, form.provider, is_admin(client, person.user_id))
    elif form.form == LEARNFLOW_USER_ID_FORM:
        view = learnflow_user_id_view(form.fallback, form.extra["ref"])
    else:
        prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
        view = prefs_view(prefs, deps.hub.labels())
    client.views_open(trigger_id=trigger_id, view=view.to_dict())


def answer(body: dict, client: WebClient, respond, deps: Deps, person: Person, reply: Reply, *,
           replace: bool = False) -> None:
    """Deliver a button's reply, or open the form it asks for with the click's trigger."""
    if isinstance(reply, OpenForm) and body.get("trigger_id"):
        open_form(client, deps, person, reply, body["trigger_id"])
        return
    deliver(body, client, respond, reply, replace=replace)


def register(app: App, deps: Deps) -> None:
    @app.action(Action.CONNECT_PICK)
    def pick_provider(ack, body, client):
        ack()
        provider = body["actions"][0]["selected_option"]["value"]
        view = connect_view(deps.hub.specs, provider, is_admin(client, ids_from(body)[1]))
        client.views_update(view_id=body["view"]["id"], hash=body["view"].get("hash"), view=view.to_dict())

    @app.view(View.CONNECT)
    def connect_submitted(ack, body, client, view):
        team_id, user_id = ids_from(body)
        try:
            submission = parse_connect(view["state"], view.get("private_metadata", ""), deps.hub.specs)
            if submission.share and not is_admin(client, user_id):
                raise FieldErrors({"connect_share": "Only workspace admins can share credentials."})
        except UserFacingError as error:
            ack(response_action="errors", errors={"connect_share": error.message})
            return
        except FieldErrors as error:
            ack(response_action="errors", errors=error.errors)
            return
        owner = None if submission.share else user_id
        credentials.save_credentials(deps.db, deps.vault, team_id, owner, submission.provider, submission.values)
        ack()
        label = deps.hub.specs[submission.provider].label
        whose = "for everyone in this workspace" if submission.share else "for you"

        def tell():
            client.chat_postMessage(channel=user_id, text=f"{label} is connected {whose}. "
                                    "Its credentials are stored encrypted and are never shown back.")
            publish_home(client, deps, load_person(client, deps, team_id, user_id))

        deps.work.submit(tell)

    @app.view(View.LEARNFLOW_USER_ID)
    def learnflow_user_id_submitted(ack, body, client, view):
        try:
            ref, learnflow_user_id = parse_learnflow_user_id(view["state"], view.get("private_metadata", ""))
        except FieldErrors as error:
            ack(response_action="errors", errors=error.errors)
            return
        ack()

        def enroll():
            person = load_person(client, deps, *ids_from(body))
            deliver(body, client, None, safely(lambda: enroll_with_learnflow_user_id(ref, learnflow_user_id,
                                                                                     person, deps)))

        deps.work.submit(enroll)

    @app.view(View.PREFS)
    def prefs_submitted(ack, body, client, view):
        team_id, user_id = ids_from(body)
        try:
            changes = parse_prefs(view["state"], deps.hub.labels())
        except FieldErrors as error:
            ack(response_action="errors", errors=error.errors)
            return
        current = preferences.get_preferences(deps.db, team_id, user_id)
        saved = preferences.save_preferences(deps.db, team_id, user_id, dataclasses.replace(current, **changes))
        ack()

        def tell():
            client.chat_postMessage(channel=user_id, text="Your preferences are saved:\n"
                                    + escape("\n".join(describe_preferences(saved))))
            publish_home(client, deps, load_person(client, deps, team_id, user_id))

        deps.work.submit(tell)
