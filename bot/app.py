"""The app factory: settings and deps in, a wired Bolt app out. No module-level app object."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings
from handlers.core.deps import Deps
from handlers.core.errors import problem_for
from handlers.slack import register_all
from handlers.slack.deliver import deliver
from handlers.slack.once import once_per_delivery
from handlers.slack.payloads import ids_from

# Listeners acknowledge and hand their work to `deps.work`, so these threads only carry
# acknowledgements: enough that a burst of requests never queues behind Bolt's default of 5.
LISTENER_THREADS = 64


def slack_client(settings: Settings) -> WebClient:
    """A Web API client pointed at `SLACK_API_URL`, retrying Slack's 429s after `Retry-After`."""
    client = WebClient(token=settings.bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool = False) -> App:
    app = App(
        client=slack_client(settings),
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=not socket_mode,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
    )
    app.use(once_per_delivery(deps))
    register_all(app, deps)

    @app.error
    def on_error(error, body, client, respond):
        """The one answer to a listener that raised: where the person is, never a stack trace."""
        problem = problem_for(error)
        if body.get("response_url") or ids_from(body)[1]:
            deliver(body, client, respond, problem)

    return app
