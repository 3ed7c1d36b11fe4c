"""The errors a person is meant to read. Everything else is a bug and gets an incident id."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message is written for the person who caused it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class UsageError(UserFacingError):
    """The input did not follow the grammar; the message says what was wrong and the right form."""


class NotFoundError(UserFacingError):
    """The thing the person referred to does not exist (or is not theirs)."""
