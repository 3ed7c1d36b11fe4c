"""What the app is built on: settings in, `Deps` out (the store, the key, the providers).

Slack-free, so `learnbot chat`, which never talks to Slack, starts without importing Bolt;
`bot.app` builds the Slack app on top of these deps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

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

logger = logging.getLogger(__name__)

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
