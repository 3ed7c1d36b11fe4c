"""Typed provider errors, each carrying one sentence a person can act on.

The sentence never contains a secret: errors are built from status codes and the
provider's own error message, never from request headers or URLs with keys.
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
