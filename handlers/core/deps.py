"""What handlers need from the outside, built once by the app factory and passed down."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handlers.core.work import WorkPool
from providers.registry import ProviderHub
from providers.runner import LoopThread
from providers.search import DEFAULT_DEADLINE, ResultCache
from providers.vocabulary import Equivalents, Speller
from store.crypto import Vault


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Deps:
    db: Any  # a sqlite_utils.Database or store.pool.ThreadLocalDatabase
    vault: Vault
    hub: ProviderHub
    runner: LoopThread
    cache: ResultCache = field(default_factory=ResultCache)
    deadline: float = DEFAULT_DEADLINE
    page_size: int = 5
    now: Callable[[], datetime] = utc_now
    redactor: logging.Filter | None = None  # bot.logs.SecretRedactor: what the log handlers hide
    equivalents: Equivalents = field(default_factory=Equivalents)  # synonyms and translations
    speller: Speller | None = None  # spelling help from the catalog's words and recent results
    work: WorkPool = field(default_factory=WorkPool)  # acknowledged work runs here, after the ack


@dataclass(frozen=True)
class Person:
    """Who is asking: Slack team and user ids, plus what Slack told us about them."""

    team_id: str
    user_id: str
    email: str | None = None
    name: str | None = None
    tz: str | None = None
    locale: str | None = None  # Slack's locale, like fr-FR
