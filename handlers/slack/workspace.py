"""A workspace removing learnbot (`app_uninstalled`) or revoking its tokens (`tokens_revoked`).

learnbot can no longer act there: the digest sweep stops sending to it and the credentials
shared with the whole workspace are deleted, with one log line. Any later request from the
workspace (it installed learnbot again) clears the mark.
"""

from __future__ import annotations

import logging

from slack_bolt import App

from handlers.core.deps import Deps
from handlers.slack.payloads import ids_from
from store import workspaces

logger = logging.getLogger(__name__)

GONE_EVENTS = ("app_uninstalled", "tokens_revoked")


def register(app: App, deps: Deps) -> None:
    @app.middleware
    def back_again(body, next):  # Bolt passes the next middleware under this name
        team_id = ids_from(body)[0]
        if (body.get("event") or {}).get("type") not in GONE_EVENTS and team_id \
                and workspaces.clear_gone(deps.db, team_id):
            logger.info("workspace %s uses learnbot again: digests resume", team_id)
        return next()

    def gone(event, body):
        team_id = ids_from(body)[0]
        deleted = workspaces.mark_gone(deps.db, team_id, event["type"])
        if deleted is not None:
            logger.warning("workspace %s: %s; learnbot stops sending there and deleted its %d shared "
                           "credential(s)", team_id, event["type"], deleted)

    for event_type in GONE_EVENTS:
        app.event(event_type)(gone)
