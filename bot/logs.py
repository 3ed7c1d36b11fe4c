"""Logging set-up with a filter that redacts secrets from every log record."""

from __future__ import annotations

import logging
import re
import threading

TOKEN_PATTERNS = (
    re.compile(r"xox[a-z]-[A-Za-z0-9-]+"),
    re.compile(r"xapp-[A-Za-z0-9-]+"),
    re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"gAAAAA[A-Za-z0-9_=-]{20,}"),  # Fernet tokens
    # A response_url answers as the app for 30 minutes: as secret as a token (also URL-encoded in a body).
    re.compile(r"(?i)https?(?::|%3A)(?:/|%2F){2}hooks\.slack\.com[^\s\"'&]*"),
)
REDACTED = "[redacted]"


class SecretRedactor(logging.Filter):
    """Replaces known secret values and token-shaped strings in log messages and tracebacks."""

    def __init__(self) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *secrets: str | None) -> None:
        with self._lock:
            self._secrets.update(s for s in secrets if s and len(s) >= 6)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern in TOKEN_PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def configure(level: int = logging.INFO) -> None:
    """Send logs to stderr (the CLI then applies `Settings.log_level`, from LEARNBOT_LOG_LEVEL);
    `install` puts the app's redactor in front of them, whatever the level."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def install(redactor: SecretRedactor) -> None:
    """Redact every log line through `redactor` (the one the app factory built, `deps.redactor`),
    in place of any redactor installed before."""
    for handler in logging.getLogger().handlers:
        for previous in [f for f in handler.filters if isinstance(f, SecretRedactor)]:
            handler.removeFilter(previous)
        handler.addFilter(redactor)
