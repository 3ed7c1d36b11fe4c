"""Acting once on each Slack delivery, in one place: a global Bolt middleware.

Slack resends an Events API event (same `event_id`, header `X-Slack-Retry-Num`) when our
200 came late, and a signed interaction can be replayed within Slack's five-minute window.
Before any listener runs, the delivery is claimed in the store (`store.events`): the first
claim acts, a later one is acknowledged and ignored. Claimed are every event, the buttons
where acting twice does harm (Enroll, and Confirm: a paid enrollment or forget-me) and every
view submission (a modal may enroll); other buttons (Save, More…) are harmless twice and
are not claimed, so they cost no write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse

from handlers.core.deps import Deps
from handlers.slack.ids import Action
from handlers.slack.payloads import ids_from
from store.events import claim_action, claim_event

logger = logging.getLogger(__name__)

ONCE_ACTIONS = frozenset({Action.ENROLL, Action.CONFIRM})


def once_per_delivery(deps: Deps) -> Callable:
    """The middleware for `app.use`: registered after Bolt's signature check, so only signed
    deliveries are claimed."""

    def once(req: BoltRequest, body: dict, next_):
        if first_delivery(body, deps):
            return next_()
        retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
        logger.debug("ignored a repeated Slack delivery (%s, retry %s)", delivery_label(body), retry)
        return BoltResponse(status=200, body="")

    return once


def first_delivery(body: dict, deps: Deps) -> bool:
    """Claim the delivery if it is one to act on once; True unless it was claimed before."""
    team_id, user_id = ids_from(body)
    kind = body.get("type")
    if kind == "event_callback" and body.get("event_id"):
        return claim_event(deps.db, team_id, body["event_id"])
    if kind == "block_actions":
        action = (body.get("actions") or [{}])[0]
        if action.get("action_id") in ONCE_ACTIONS:
            return claim_action(deps.db, team_id, user_id, action["action_id"], action.get("action_ts") or "")
    if kind == "view_submission":
        view = body.get("view") or {}
        return claim_action(deps.db, team_id, user_id, view.get("callback_id") or "", body.get("trigger_id") or "")
    return True


def delivery_label(body: dict) -> str:
    """What the delivery was, for the log: its kind and ids, never its content."""
    if body.get("event_id"):
        return f"event {body['event_id']}"
    if body.get("type") == "view_submission":
        return f"view {(body.get('view') or {}).get('callback_id')}"
    return f"action {((body.get('actions') or [{}])[0]).get('action_id')}"
