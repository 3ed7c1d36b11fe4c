"""The log redactor keeps secrets out of every log line, tracebacks included."""

import logging

from bot.logs import SecretRedactor


def record(message: str, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("t", logging.ERROR, __file__, 1, message, args, exc_info)


def test_known_secrets_and_token_shapes_are_redacted():
    redactor = SecretRedactor()
    redactor.add("my-api-key-123")
    entry = record("key %s token %s auth %s", "my-api-key-123", "xoxb-1-2-abc", "Bearer abc.def")
    redactor.filter(entry)
    assert entry.getMessage() == "key [redacted] token [redacted] auth [redacted]"


def test_secrets_in_tracebacks_are_redacted():
    redactor = SecretRedactor()
    redactor.add("hunter2-password")
    try:
        raise ValueError("failed with hunter2-password")
    except ValueError as error:
        entry = record("boom", exc_info=(type(error), error, error.__traceback__))
    redactor.filter(entry)
    assert "hunter2-password" not in entry.exc_text and "[redacted]" in entry.exc_text


def test_short_values_are_not_treated_as_secrets():
    redactor = SecretRedactor()
    redactor.add("42", "", None)
    assert redactor.redact("org 42") == "org 42"
