"""The errors a person is meant to read, and the one error path: any exception becomes a
reply (a sentence for the person, or an incident id for a bug) and at most one log line."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from handlers.core.replies import Problem, Reply
from providers.errors import ProviderError
from store.db import StoreBusy, StoreGone

logger = logging.getLogger(__name__)


class UserFacingError(Exception):
    """An error whose message is written for the person who caused it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(UserFacingError):
    """The input did not follow the grammar; the message says what was wrong and the right form."""


class NotFoundError(UserFacingError):
    """The thing the person referred to does not exist (or is not theirs)."""


STORE_GONE = ("learnbot has lost its database and is stopping; nothing was changed. "
              "Please tell a workspace admin.")


def describe_error(error: BaseException) -> str | None:
    """The sentence for a person-facing error, or None when it is a bug."""
    if isinstance(error, UserFacingError):
        return error.message
    if isinstance(error, ProviderError):
        return error.sentence
    if isinstance(error, StoreBusy):  # another process held the write lock longer than we wait
        return "learnbot is busy, try again in a minute."
    if isinstance(error, StoreGone):  # the process is stopping (see bot.cli.StopOnGone)
        return STORE_GONE
    return None


def problem_for(error: BaseException) -> Problem:
    """The one error path: a person-facing sentence, or an incident id for a bug."""
    sentence = describe_error(error)
    if sentence is not None:
        return Problem(sentence)
    incident = uuid.uuid4().hex[:8]
    logger.error("incident %s: %s", incident, type(error).__name__, exc_info=error)
    return Problem(f"Something went wrong on learnbot's side (incident {incident}). "
                   "It has been logged; please try again.")


def safely(work: Callable[[], Reply]) -> Reply:
    try:
        return work()
    except Exception as error:
        return problem_for(error)
