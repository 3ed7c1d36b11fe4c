"""The one HTTP base every provider client stands on.

`HttpClient` owns a pooled `httpx.AsyncClient` (one per provider, created on its first
request) on aiohttp's connection pool (`httpx-aiohttp`: under 50 concurrent searches,
httpx's own pool spent 40 % of the client's CPU re-checking its connections), a
client-side rate limiter (aiolimiter), retries with jittered exponential backoff on
connect errors, timeouts and 5xx (tenacity), 429 handling with `Retry-After` /
`X-RateLimit-Reset`, a guard against URLs longer than 8,192 bytes, and the mapping of
HTTP failures to the typed errors in `providers.errors`.

Provider clients call `await http.request(...)` and map the JSON they get back.
"""

from __future__ import annotations

import email.utils
import logging
import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from providers.errors import (
    AuthError,
    BadRequest,
    BadResponse,
    NotFound,
    ProviderDown,
    ProviderError,
    RateLimited,
)

logger = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)

MAX_URL_BYTES = 8192
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RETRY_AFTER = 5.0  # longer waits are reported to the person instead of blocking a search

ErrorReader = Callable[[httpx.Response], str | None]
SSLContextSource = Callable[[], ssl.SSLContext]


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds to wait from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset` (epoch)."""
    now = time.time() if now is None else now
    value = response.headers.get("retry-after")
    if value:
        if value.strip().isdigit():
            return float(value)
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is not None:
            return max(0.0, parsed.timestamp() - now)
    reset = response.headers.get("x-ratelimit-reset")
    if reset:
        try:
            seconds = float(reset)
        except ValueError:
            return None
        # Some services send an epoch, others a delay: an epoch is far larger than any delay.
        return max(0.0, seconds - now) if seconds > 1e9 else seconds
    return None


class SharedSSLContext:
    """One SSL context for every provider client, made on first use.

    Loading the certificate bundle costs ~20 ms per context: five clients each loading
    their own took ~100 ms of start-up, and a process that never calls a remote provider
    (`learnbot chat` on the bundled catalog) need not load it at all.
    """

    def __init__(self) -> None:
        self._context: ssl.SSLContext | None = None

    def __call__(self) -> ssl.SSLContext:
        if self._context is None:
            self._context = httpx.create_ssl_context()
        return self._context


def new_async_client(timeout: httpx.Timeout | float, transport: httpx.AsyncBaseTransport | None,
                     ssl_context: SSLContextSource) -> httpx.AsyncClient:
    """The httpx client provider clients call: on `transport` if given (tests pass fakes),
    else on aiohttp's connection pool with the shared SSL context."""
    if transport is None:
        from providers.transport import ProviderTransport  # imports aiohttp: see that module

        transport = ProviderTransport(verify=ssl_context())
    return httpx.AsyncClient(timeout=timeout, transport=transport, follow_redirects=True)


class HttpClient:
    """Shared HTTP machinery for one provider (see module docstring)."""

    def __init__(
        self,
        label: str,
        base_url: str,
        *,
        rate_per_second: float | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_attempts: int = 3,
        transport: httpx.AsyncBaseTransport | None = None,
        read_error: ErrorReader | None = None,
        backoff_initial: float = 0.2,
        retry_rate_limits: bool = True,
        ssl_context: SSLContextSource | None = None,
    ):
        """`transport` replaces the network (tests pass `httpx.MockTransport`); otherwise the
        aiohttp transport is used, with `ssl_context` (a `SharedSSLContext` the caller owns,
        or one of this client's own)."""
        self.label = label
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.backoff_initial = backoff_initial
        self.retry_rate_limits = retry_rate_limits
        self.read_error = read_error or (lambda response: None)
        self._limiter = AsyncLimiter(rate_per_second, 1) if rate_per_second else None
        self._timeout = timeout
        self._transport = transport
        self._ssl_context = ssl_context or SharedSSLContext()
        self._http: httpx.AsyncClient | None = None
        self.remaining: int | None = None
        self.sleep = None  # tests may replace tenacity's sleep to run instantly

    @property
    def _client(self) -> httpx.AsyncClient:
        """The httpx client, created on the first request (inside the event loop it serves)."""
        if self._http is None:
            self._http = new_async_client(self._timeout, self._transport, self._ssl_context)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request with retries; return a 2xx response or raise a `ProviderError`."""
        url = path_or_url if "://" in path_or_url else f"{self.base_url}/{path_or_url.lstrip('/')}"
        request = self._client.build_request(method, url, params=params, json=json, data=data,
                                             headers=headers)
        if len(str(request.url).encode()) > MAX_URL_BYTES:
            raise BadRequest(self.label, f"That search is too long for {self.label}; use fewer words.",
                             status=414)
        retrying = AsyncRetrying(
            retry=retry_if_exception(self._retryable),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            reraise=True,
            **({"sleep": self.sleep} if self.sleep else {}),
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(method, url, params, json, data, headers, auth)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retryable(self, error: BaseException) -> bool:
        if isinstance(error, RateLimited):
            return (self.retry_rate_limits and error.retry_after is not None
                    and error.retry_after <= MAX_RETRY_AFTER)
        return isinstance(error, ProviderDown)

    def _wait(self, retry_state) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after
        return wait_exponential_jitter(multiplier=self.backoff_initial, max=2.0,
                                      jitter=self.backoff_initial)(retry_state)

    async def _send_once(self, method, url, params, json, data, headers, auth) -> httpx.Response:
        if self._limiter is not None:
            await self._limiter.acquire()
        try:
            response = await self._client.request(method, url, params=params, json=json, data=data,
                                                  headers=headers, auth=auth)
        except httpx.TimeoutException:
            raise ProviderDown(self.label, f"{self.label} took too long to answer.") from None
        except httpx.TransportError:
            raise ProviderDown(self.label, f"{self.label} could not be reached.") from None
        self._note_rate_limit(response)
        if response.is_success:
            return response
        raise self.error_for(response)

    def _note_rate_limit(self, response: httpx.Response) -> None:
        remaining = response.headers.get("x-ratelimit-remaining")
        if remaining is not None and remaining.strip().isdigit():
            self.remaining = int(remaining)

    def error_for(self, response: httpx.Response) -> ProviderError:
        """Turn a non-2xx response into a typed error with one readable sentence."""
        status = response.status_code
        detail = self._safe_detail(response)
        label = self.label
        if status == 401:
            return AuthError(label, _join(AuthError.default.format(label=label), detail), status=status)
        if status == 403:
            return AuthError(label, _join(f"{label} refused access with these credentials.", detail),
                             status=status)
        if status == 404:
            return NotFound(label, _join(NotFound.default.format(label=label), detail), status=status)
        if status == 414:
            return BadRequest(label, f"That search is too long for {label}; use fewer words.", status=status)
        if status == 429:
            return RateLimited(label, _join(RateLimited.default.format(label=label), detail),
                               retry_after=retry_after_seconds(response))
        if status >= 500:
            return ProviderDown(label, _join(ProviderDown.default.format(label=label), detail), status=status)
        return BadRequest(label, _join(f"{label} did not accept the request (HTTP {status}).", detail),
                          status=status)

    def _safe_detail(self, response: httpx.Response) -> str | None:
        try:
            return self.read_error(response)
        except Exception:  # a malformed error body must not hide the status
            return None

    @staticmethod
    def json(response: httpx.Response, label: str) -> Any:
        """Decode a JSON body or raise `BadResponse`."""
        try:
            return response.json()
        except ValueError:
            raise BadResponse(label) from None


def text_field(value: Any) -> str:
    """A JSON field as trimmed text; anything that is not a string counts as empty."""
    return value.strip() if isinstance(value, str) else ""


def _join(sentence: str, detail: str | None) -> str:
    if not detail:
        return sentence
    detail = detail.strip().rstrip(".")
    return f"{sentence} ({detail}.)"
