"""Delivering a reply in Slack: rendered as Block Kit, where the person is."""

from __future__ import annotations

from slack_sdk import WebClient

from handlers.core.errors import problem_for
from handlers.core.replies import Reply
from handlers.slack.payloads import ids_from
from handlers.slack.render import render_slack


def payload(reply: Reply) -> dict:
    """Render a reply; a reply that breaks Slack's limits becomes an incident, never a crash."""
    try:
        return render_slack(reply)
    except Exception as error:
        return render_slack(problem_for(error))


def deliver(body: dict, client: WebClient, respond, reply: Reply, *, replace: bool = False) -> None:
    """Answer where the person is: through `response_url` when there is one, else by DM."""
    message = payload(reply)
    if body.get("response_url") or (body.get("response_urls") or []):
        respond(**message, replace_original=replace, response_type="ephemeral")
        return
    _team, user = ids_from(body)
    client.chat_postMessage(channel=user, **message)
