"""The App Home tab: preferences, providers, saved items, enrollments and the next digest."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.core import grammar as g
from handlers.core.actions import provider_lines
from handlers.core.deps import Deps, Person
from handlers.core.describe import describe_preferences, enrollment_note
from handlers.core.schedule import iso_week, next_digest, zone
from handlers.slack.payloads import load_person
from handlers.slack.views import HomeSnapshot, home_view
from store import ledger, library, preferences

logger = logging.getLogger(__name__)


def snapshot(person: Person, deps: Deps) -> HomeSnapshot:
    prefs = preferences.get_preferences(deps.db, person.team_id, person.user_id)
    saved = library.list_saved(deps.db, person.team_id, person.user_id)
    enrolled = [e for e in library.list_enrollments(deps.db, person.team_id, person.user_id)
                if e.status != "failed"]
    return HomeSnapshot(
        preference_lines=tuple(describe_preferences(prefs)),
        provider_lines=tuple(provider_lines(person, deps)),
        saved=tuple((s.item["title"], s.item["url"], s.ref) for s in saved),
        enrollments=tuple((e.item["title"], e.item["url"], enrollment_note(e)) for e in enrolled),
        next_digest=next_digest_text(person, prefs, deps),
    )


def next_digest_text(person: Person, prefs: preferences.Preferences, deps: Deps) -> str:
    if not prefs.digest_enabled:
        return "off (`/learn digest on` turns it on)"
    now = deps.now()
    tz = zone(person.tz)
    sent = ledger.digest_status(deps.db, person.team_id, person.user_id, iso_week(now, tz)) == "sent"
    moment = next_digest(prefs.digest_day, prefs.digest_time, person.tz, now, sent_this_week=sent)
    local = moment.astimezone(tz)
    due = "due now" if moment <= now else local.strftime("%A %d %B, %H:%M")
    return f"{due} ({tz.key}), every {g.DAYS[prefs.digest_day].capitalize()} at {prefs.digest_time}"


def publish_home(client: WebClient, deps: Deps, person: Person) -> None:
    try:
        client.views_publish(user_id=person.user_id, view=home_view(snapshot(person, deps)).to_dict())
    except SlackApiError as error:
        logger.warning("views.publish failed: %s", error.response.get("error"))


def register(app: App, deps: Deps) -> None:
    @app.event("app_home_opened")
    def home_opened(event, body, client):
        if event.get("tab", "home") != "home":
            return
        team_id = body.get("team_id") or event.get("view", {}).get("team_id", "")
        publish_home(client, deps, load_person(client, deps, team_id, event["user"]))
