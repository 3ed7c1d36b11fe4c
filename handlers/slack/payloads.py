"""Reading Slack payloads into typed values: who is asking (ids, profile), and whether they are an admin."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.core.deps import Deps, Person
from handlers.core.errors import UserFacingError
from store import users

logger = logging.getLogger(__name__)

PROFILE_MAX_AGE = timedelta(hours=24)


def ids_from(body: dict) -> tuple[str, str]:
    """Team and user ids from any Slack payload (command, event, action, view)."""
    team = body.get("team_id") or (body.get("team") or {}).get("id") or body.get("user", {}).get("team_id")
    user = body.get("user_id") or (body.get("user") or {}).get("id") or (body.get("event") or {}).get("user")
    return team or "", user or ""


def load_person(client: WebClient, deps: Deps, team_id: str, user_id: str) -> Person:
    """The person, with time zone and email refreshed from `users.info` at most once a day."""
    user = users.get_user(deps.db, team_id, user_id)
    now = deps.now()
    fresh = user and user.tz_checked_at and \
        now - datetime.fromisoformat(user.tz_checked_at) < PROFILE_MAX_AGE
    if not fresh:
        profile = fetch_profile(client, user_id)
        if profile:
            user = users.upsert_user(deps.db, team_id, user_id, tz_checked_at=now.isoformat(), **profile)
        elif user is None:
            user = users.upsert_user(deps.db, team_id, user_id)
    return Person(team_id, user_id, email=user.email, name=user.name, tz=user.tz, locale=user.locale)


def fetch_profile(client: WebClient, user_id: str) -> dict:
    try:
        info = client.users_info(user=user_id, include_locale=True)["user"]
    except SlackApiError as error:
        logger.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
        return {}
    profile = info.get("profile") or {}
    fields = {"tz": info.get("tz"), "email": profile.get("email"), "locale": info.get("locale"),
              "name": profile.get("real_name") or info.get("real_name") or info.get("name")}
    return {key: value for key, value in fields.items() if value}


def is_admin(client: WebClient, user_id: str) -> bool:
    """Whether the person is a workspace admin or owner; raises when Slack cannot say."""
    try:
        info = client.users_info(user=user_id)["user"]
    except SlackApiError as error:
        logger.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
        raise UserFacingError("learnbot could not check with Slack whether you are a workspace admin, "
                              "so nothing changed; please try again in a moment.") from error
    return bool(info.get("is_admin") or info.get("is_owner"))


