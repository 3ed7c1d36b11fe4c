"""Typed provider errors, each carrying one sentence a person can act on.

The sentence never contains a secret: errors are built from status codes and the
provider's own error message, from which `providers.base` has removed every credential
the request carried. The sentence is what a person sees, a log line shows and the store
keeps; the provider's raw answer is never kept.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Base of every provider failure. `sentence` is what the person is told."""

    default = "{label} could not answer."

    def __init__(self, label: str, sentence: str | None = None, *, status: int | None = None):
        self.label = label
        self.status = status
        self.sentence = sentence or self.default.format(label=label)
        super().__init__(self.sentence)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.sentence!r})"


class AuthError(ProviderError):
    default = "{label} refused the credentials: reconnect it with `/learn connect`."


class NotFound(ProviderError):
    default = "{label} does not know that item any more."


class RateLimited(ProviderError):
    default = "{label} is receiving too many requests; try again in a minute."

    def __init__(self, label: str, sentence: str | None = None, *, status: int | None = 429,
                 retry_after: float | None = None):
        super().__init__(label, sentence, status=status)
        self.retry_after = retry_after


class ProviderDown(ProviderError):
    default = "{label} is not answering right now; try again later."


class BadResponse(ProviderError):
    default = "{label} sent an answer learnbot could not read."


class BadRequest(ProviderError):
    default = "{label} did not accept the request."


class NotConfigured(ProviderError):
    default = "{label} is not connected: use `/learn connect` to add credentials."


class ResponseTooLarge(BadResponse):
    """The provider sent more than the cap; learnbot stopped reading."""

    def __init__(self, label: str, limit_bytes: int):
        super().__init__(label, f"{label} sent more than {_size(limit_bytes)}; learnbot stopped reading "
                                "its answer.")
        self.limit_bytes = limit_bytes


class Unconfirmed(ProviderError):
    """A request that must not be sent twice got no answer after it may have reached the provider."""

    default = "{label} did not answer in time; the request may have gone through."


class EnrollmentUnconfirmed(Unconfirmed):
    """An enrollment timed out after sending: trying again with the same idempotency key is safe."""

    default = ("{label} did not answer in time; it may have enrolled you. Check again in a minute: "
               "trying again is safe.")


class NeedsLearnflowUserId(ProviderError):
    """LearnFlow enrolls by user id, and learnbot does not know this person's yet."""

    default = ("{label} enrolls people by their {label} user id, and learnbot does not know yours yet: "
               "enter it (it looks like usr_7f3d9a, in your {label} profile) and learnbot will remember it.")


def _size(limit_bytes: int) -> str:
    """5000000 → "5 MB"; smaller caps in bytes."""
    if limit_bytes >= 1_000_000:
        return f"{limit_bytes / 1_000_000:g} MB"
    return f"{limit_bytes:,} bytes"
