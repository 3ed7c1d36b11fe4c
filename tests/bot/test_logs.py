"""The log redactor keeps secrets out of every log line, tracebacks included."""

import logging

from bot import logs
from bot.config import Settings
from bot.deps import build_deps
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


def test_each_app_owns_its_redactor(env, tmp_path):
    """Secrets one app learns (an LRS user called `learnbot`) do not hide words in another's logs."""
    lrs_env = {**env, "LEARNBOT_LRS_URL": "https://lrs.test/xAPI", "LEARNBOT_LRS_USERNAME": "learnbot",
               "LEARNBOT_LRS_PASSWORD": "lrs-password-123"}
    other_env = {**env, "LEARNBOT_DB": str(tmp_path / "other.db")}
    with_lrs, other = build_deps(Settings.from_env(lrs_env)), build_deps(Settings.from_env(other_env))
    try:
        assert with_lrs.redactor.redact("job learnbot-digest-sweep") == "job [redacted]-digest-sweep"
        assert other.redactor.redact("job learnbot-digest-sweep") == "job learnbot-digest-sweep"
    finally:
        for deps in (with_lrs, other):
            deps.runner.stop()
            deps.db.close()


def test_install_puts_the_apps_redactor_in_place_of_the_previous_one():
    handler = logging.StreamHandler()
    root = logging.getLogger()
    saved = root.handlers[:]
    root.handlers[:] = [handler]
    try:
        first, second = SecretRedactor(), SecretRedactor()
        first.add("first-secret")
        second.add("second-secret")
        logs.install(first)
        logs.install(second)
        assert handler.filters == [second]
    finally:
        root.handlers[:] = saved


def test_response_urls_are_redacted_plain_and_url_encoded():
    redactor = SecretRedactor()
    text = ("response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F123%2Fabc&x=1 "
            "and https://hooks.slack.com/actions/T1/456/def")
    assert redactor.redact(text) == "response_url=[redacted]&x=1 and [redacted]"


def test_debug_lines_are_redacted_too(capsys):
    redactor = SecretRedactor()
    redactor.add("debug-secret-value")
    logs.configure(logging.DEBUG)
    logs.install(redactor)
    logging.getLogger("learnbot.test").debug("sending %s", "debug-secret-value")
    err = capsys.readouterr().err
    assert " DEBUG " in err and "sending [redacted]" in err
