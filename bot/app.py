"""The app factory: settings in, a wired Bolt app out. No module-level app object.

`build_deps` serves `learnbot chat` too, which never talks to Slack: Bolt and slack_sdk are
imported inside the functions that use them, so the terminal starts without them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from bot.config import Settings
from bot.logs import SecretRedactor
from handlers.core.deps import Deps
from providers import inokufu, learnflow, learnifier, linkedin, records
from providers.catalog import CatalogProvider, load_bundled_catalog
from providers.registry import ProviderHub, ProviderSpec
from providers.runner import LoopThread
from providers.vocabulary import Equivalents, Speller
from store.credentials import checked_keys
from store.crypto import Vault, key_file_is_loose
from store.db import BUSY_SECONDS, StoreGone
from store.pool import ThreadLocalDatabase

if TYPE_CHECKING:
    from slack_bolt import App
    from slack_sdk import WebClient

logger = logging.getLogger(__name__)

LISTENER_THREADS = 64


class RedactingVault(Vault):
    """A vault that tells the log redactor about every credential it decrypts."""

    def __init__(self, keys: list[str], redactor: SecretRedactor):
        super().__init__(keys)
        self.redactor = redactor

    def decrypt(self, token: str) -> dict[str, str]:
        values = super().decrypt(token)
        self.redactor.add(*values.values())
        return values


class GuardedDatabase(ThreadLocalDatabase):
    """The store, reporting its file's disappearance (`StoreGone`) to `on_gone` before raising it,
    wherever that is noticed: a listener, the digest sweep, a health check.

    `on_gone` is how `learnbot` stops loudly (`bot.cli.StopOnGone`) instead of answering
    every later request with an error; without it the error is only raised.
    """

    def __init__(self, path: str | Path, *, busy_seconds: float = BUSY_SECONDS,
                 on_gone: Callable[[StoreGone], None] | None = None):
        super().__init__(path, busy_seconds=busy_seconds)
        self.on_gone = on_gone

    def current(self):
        try:
            return super().current()
        except StoreGone as error:
            if self.on_gone is not None:
                self.on_gone(error)
            raise


def provider_specs() -> list[ProviderSpec]:
    """Every remote provider, in the order their results are interleaved."""
    return [inokufu.SPEC, linkedin.SPEC, learnflow.SPEC, learnifier.SPEC, records.SPEC]


def build_deps(settings: Settings, *,
               transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
               busy_seconds: float = BUSY_SECONDS,
               on_gone: Callable[[StoreGone], None] | None = None) -> Deps:
    """Open the store, check the key, load the bundled catalog and create each provider's HTTP
    client once.

    A key that cannot read the stored credentials (or a missing key file when credentials
    exist) raises `store.crypto.KeyProblem`: no new key is ever made over stored credentials.
    The returned deps own the log redactor, which knows every secret of these settings; the
    caller installs it on the log handlers (`bot.logs.install(deps.redactor)`).
    """
    redactor = SecretRedactor()
    redactor.add(settings.bot_token, settings.signing_secret, settings.app_token, settings.secret_key)
    db = GuardedDatabase(settings.db_path, busy_seconds=busy_seconds, on_gone=on_gone)
    keys, key_path = checked_keys(db, settings.secret_key, settings.db_path)
    if key_path is not None:
        logger.info("credentials are encrypted with the key in %s: back it up", key_path)
        if key_file_is_loose(key_path):
            logger.warning("the key file %s can be read by others than its owner: chmod 600 it", key_path)
    redactor.add(*keys)
    load_bundled_catalog(db)
    equivalents = Equivalents()
    catalog = CatalogProvider(db, equivalents)
    for spec in provider_specs():
        redactor.add(*(settings.env.get(var) for var in spec.credential_env.values()))
    hub = ProviderHub(provider_specs(), settings.env, transports=transports,
                      extra={"catalog": catalog})
    return Deps(db=db, vault=RedactingVault(keys, redactor), hub=hub, runner=LoopThread(),
                deadline=settings.search_deadline, redactor=redactor,
                equivalents=equivalents, speller=Speller(catalog.words, equivalents))


def slack_client(settings: Settings) -> WebClient:
    """A Web API client pointed at `SLACK_API_URL`, retrying Slack's 429s after `Retry-After`."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    client = WebClient(token=settings.bot_token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=3))
    return client


def create_app(settings: Settings, deps: Deps, *, socket_mode: bool = False) -> App:
    from concurrent.futures import ThreadPoolExecutor

    from slack_bolt import App

    from handlers.core.errors import problem_for
    from handlers.slack import register_all
    from handlers.slack.deliver import deliver
    from handlers.slack.once import once_per_delivery
    from handlers.slack.payloads import ids_from

    app = App(
        client=slack_client(settings),
        signing_secret=settings.signing_secret or "",
        request_verification_enabled=not socket_mode,
        # A listener acknowledges at once, then holds its thread while providers answer
        # (up to the search deadline). Bolt's default of 5 threads would make the sixth
        # concurrent request miss Slack's 3-second window.
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
