"""Settings, read once from the environment (and an optional `.env`) and passed down.

A missing or malformed setting stops the start with one line naming it (`ConfigError`).
Secrets are kept out of `repr()`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from providers import learnflow, records
from providers.registry import max_response_bytes_from

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
LOG_LEVELS = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says the right form."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = field(default=None, repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    db_path: Path = Path("learnbot.db")
    secret_key: str | None = field(default=None, repr=False)
    search_deadline: float = 2.5
    digest_sweep_minutes: float = 5.0
    log_level: int = logging.INFO
    drain_seconds: float = 25.0  # on SIGTERM/SIGINT: how long acknowledged work may take to finish
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        _check_provider_settings(env)
        return cls(
            bot_token=_token(env, "SLACK_BOT_TOKEN", "xoxb-"),
            signing_secret=_signing_secret(env),
            app_token=_token(env, "SLACK_APP_TOKEN", "xapp-"),
            slack_api_url=_url(env, "SLACK_API_URL", DEFAULT_SLACK_API_URL),
            db_path=Path(env.get("LEARNBOT_DB") or "learnbot.db"),
            secret_key=env.get("LEARNBOT_SECRET_KEY") or None,
            search_deadline=_positive(env, "LEARNBOT_SEARCH_DEADLINE", 2.5),
            digest_sweep_minutes=_positive(env, "LEARNBOT_DIGEST_SWEEP_MINUTES", 5.0),
            log_level=_log_level(env),
            drain_seconds=_positive(env, "LEARNBOT_DRAIN_SECONDS", 25.0),
            env={k: v for k, v in env.items() if k.startswith("LEARNBOT_")},
        )

    def require_slack(self, *, http: bool) -> None:
        """Check the settings `learnbot run` needs in the chosen mode."""
        if not self.bot_token:
            raise ConfigError("SLACK_BOT_TOKEN is missing: set it to the app's Bot User OAuth Token (xoxb-…).")
        if http and not self.signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET is missing: copy it from the app's Basic Information page.")
        if not http and not self.app_token:
            raise ConfigError("SLACK_APP_TOKEN is missing: set an app-level token (xapp-…) for Socket Mode, "
                              "or serve HTTP with `learnbot run --http --port PORT`.")


def _token(env: Mapping[str, str], name: str, prefix: str) -> str | None:
    value = (env.get(name) or "").strip()
    if value and not re.fullmatch(re.escape(prefix) + r"[A-Za-z0-9-]{8,}", value):
        raise ConfigError(f"{name} is malformed: it should start with {prefix} and contain only "
                          "letters, digits and dashes.")
    return value or None


def _signing_secret(env: Mapping[str, str]) -> str | None:
    value = (env.get("SLACK_SIGNING_SECRET") or "").strip()
    if value and not re.fullmatch(r"[A-Za-z0-9]{16,128}", value):
        raise ConfigError("SLACK_SIGNING_SECRET is malformed: it should be the hexadecimal secret from "
                          "the app's Basic Information page.")
    return value or None


def _url(env: Mapping[str, str], name: str, default: str) -> str:
    value = (env.get(name) or default).strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name} is malformed: it should be an http(s) URL such as {default}.")
    return value if value.endswith("/") else value + "/"


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} is malformed: it should be a number of seconds or minutes, "
                          f"e.g. {default:g}.") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than 0.")
    return value


def _log_level(env: Mapping[str, str]) -> int:
    value = (env.get("LEARNBOT_LOG_LEVEL") or "INFO").strip().upper()
    if value not in LOG_LEVELS:
        raise ConfigError(f"LEARNBOT_LOG_LEVEL is malformed: it should be one of {', '.join(LOG_LEVELS)} "
                          "(default INFO).")
    return LOG_LEVELS[value]


def _check_provider_settings(env: Mapping[str, str]) -> None:
    """The provider settings the hub and the learning records check, as start errors."""
    try:
        max_response_bytes_from(env)
        learnflow.check_env(env)
        records.account_rule(env)
    except ValueError as error:
        raise ConfigError(str(error)) from None
