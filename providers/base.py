"""The one HTTP base every provider client stands on.

`HttpClient` owns a pooled `httpx.AsyncClient` (one per provider, created on its first
request) on aiohttp's connection pool (`httpx-aiohttp`: under 50 concurrent searches,
httpx's own pool spent 40 % of the client's CPU re-checking its connections), a
client-side rate limiter (aiolimiter), retries with jittered exponential backoff on
connect errors, timeouts and 5xx (tenacity), 429 handling with `Retry-After` /
`X-RateLimit-Reset`, a guard against URLs longer than 8,192 bytes, and the mapping of
HTTP failures to the typed errors in `providers.errors`.

It also keeps what a provider sends back from doing harm:
- redirects are followed only within the same origin (scheme, host, port), so a key is
  never carried to another host and https never becomes http;
- a body is read as a stream and decoded here, piece by piece, so no answer (a gzip bomb
  included) holds more than `max_response_bytes` in memory;
- every credential the request carried is blanked out of the provider's error text;
- a request marked `idempotent=False` (an enrollment) is never sent twice.

Provider clients call `await http.request(...)` and map the JSON they get back.
"""

from __future__ import annotations

import base64
import email.utils
import json as jsonlib
import logging
import re
import ssl
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus

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
    ResponseTooLarge,
    Unconfirmed,
)

logger = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)

MAX_URL_BYTES = 8192
DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
MAX_RETRY_AFTER = 5.0  # longer waits are reported to the person instead of blocking a search
MAX_REDIRECTS = 3
DEFAULT_MAX_RESPONSE_BYTES = 5_000_000
# Only encodings `BoundedDecoder` can unpack within the cap are asked for.
ACCEPTED_ENCODINGS = {"Accept-Encoding": "gzip, deflate"}

MAX_DETAIL_CHARS = 300  # a provider's explanation is quoted, never pasted whole
REDACTED = "[redacted]"
MIN_REPLACEABLE_SECRET = 4
CREDENTIAL_NAME = re.compile(
    r"(^|[-_.])(auth|authorization|key|apikey|token|secret|password|passwd|pwd|signature|sig|session"
    r"|cookie|credentials?)($|[-_.])", re.IGNORECASE)
NOT_CREDENTIALS = {"idempotency-key"}
# A scheme and token left after scrubbing, or a JWT: an echoed credential learnbot did not send.
LOOKS_LIKE_A_CREDENTIAL = re.compile(
    r"\b(bearer|basic)\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}|\beyJ[A-Za-z0-9_-]{8,}\.", re.IGNORECASE)

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
    else on aiohttp's connection pool with the shared SSL context.

    One client serves everyone's credentials, so it keeps no cookies: a session cookie a
    provider sets for one person must never ride along with another person's request.
    """
    if transport is None:
        from providers.transport import ProviderTransport  # imports aiohttp: see that module

        transport = ProviderTransport(verify=ssl_context())
    return CookielessClient(timeout=timeout, transport=transport, follow_redirects=False)


class Cookieless(httpx.Cookies):
    """A cookie store that keeps nothing a response sets."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class CookielessClient(httpx.AsyncClient):
    """`httpx.AsyncClient` without a cookie store: none is kept, so none is sent, and no
    time goes into reading `Set-Cookie` headers."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._no_cookies = Cookieless()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        """Cookies given to the client are not kept either."""


class HttpClient:
    """Shared HTTP machinery for one provider (see module docstring).

    `state` is whatever the provider keeps between calls (a token cache, a rate-limit
    window): the hub creates it with the client, so nothing lives at module level.
    """

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
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        state: Any = None,
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
        self.max_response_bytes = max_response_bytes
        self.state = state
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
        idempotent: bool = True,
    ) -> httpx.Response:
        """Send one request with retries; return a 2xx response or raise a `ProviderError`.

        `idempotent=False` is for a request that must reach the provider at most once (an
        enrollment): it is retried only when it surely was not sent (connection refused, or a
        429), never after a 5xx, and any timeout or dropped connection raises `Unconfirmed`.
        """
        url = path_or_url if "://" in path_or_url else f"{self.base_url}/{path_or_url.lstrip('/')}"
        request = self._client.build_request(method, url, params=params, json=json, data=data,
                                             headers={**ACCEPTED_ENCODINGS, **(headers or {})})
        if len(str(request.url).encode()) > MAX_URL_BYTES:
            raise BadRequest(self.label, f"That search is too long for {self.label}; use fewer words.",
                             status=414)
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda error: self._retryable(error, idempotent)),
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            reraise=True,
            **({"sleep": self.sleep} if self.sleep else {}),
        )
        async for attempt in retrying:
            with attempt:
                return await self._send_once(request, auth, idempotent)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retryable(self, error: BaseException, idempotent: bool) -> bool:
        if isinstance(error, RateLimited):
            return (self.retry_rate_limits and error.retry_after is not None
                    and error.retry_after <= MAX_RETRY_AFTER)
        if not isinstance(error, ProviderDown):
            return False
        # A 5xx may come after the provider acted: only an unsent request is safe to resend.
        return idempotent or error.status is None

    def _wait(self, retry_state) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after
        return wait_exponential_jitter(multiplier=self.backoff_initial, max=2.0,
                                      jitter=self.backoff_initial)(retry_state)

    async def _send_once(self, request: httpx.Request, auth, idempotent: bool) -> httpx.Response:
        if self._limiter is not None:
            await self._limiter.acquire()
        try:
            response = await self._send_following_redirects(request, auth)
        except httpx.ConnectError:  # refused or unresolvable: nothing was sent
            raise ProviderDown(self.label, f"{self.label} could not be reached.") from None
        except httpx.DecodingError:
            raise BadResponse(self.label) from None
        except httpx.TransportError as error:
            # Some transports (httpx-aiohttp) report a connection dropped after sending as a
            # connect timeout: for a request that must not be repeated, any of them may mean sent.
            if not idempotent:
                raise Unconfirmed(self.label) from None
            if isinstance(error, httpx.TimeoutException):
                raise ProviderDown(self.label, f"{self.label} took too long to answer.") from None
            raise ProviderDown(self.label, f"{self.label} could not be reached.") from None
        self._note_rate_limit(response)
        if response.is_success:
            return response
        raise self.error_for(response)

    async def _send_following_redirects(self, request: httpx.Request, auth) -> httpx.Response:
        """Send, following at most `MAX_REDIRECTS` redirects, each within the request's origin."""
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._client.send(request, auth=auth, stream=True)
            try:
                if response.next_request is None:
                    return await self._read_capped(response)
            finally:
                await response.aclose()
            following = response.next_request
            if _origin(following.url) != _origin(request.url):
                raise BadResponse(self.label, f"{self.label} answered with a redirect to another host; "
                                              "learnbot did not follow it.")
            request = following
        raise BadResponse(self.label, f"{self.label} answered with too many redirects.")

    async def _read_capped(self, response: httpx.Response) -> httpx.Response:
        """The response with its body decoded, or `ResponseTooLarge` once the body passes the cap.

        The body is decoded here rather than by httpx, in pieces no larger than what the cap
        still allows: httpx decodes each network chunk whole, and one 64 KiB chunk of a gzip
        bomb unpacks to 64 MiB.
        """
        decoder = BoundedDecoder.for_encoding(response.headers.get("content-encoding", ""))
        if decoder is None:
            raise BadResponse(self.label)
        body = bytearray()
        try:
            async for raw in response.aiter_raw():
                for piece in decoder.decode(raw, self.max_response_bytes - len(body) + 1):
                    body += piece
                    if len(body) > self.max_response_bytes:
                        raise ResponseTooLarge(self.label, self.max_response_bytes)
        except httpx.StreamConsumed:  # an answer built in memory (httpx.MockTransport), decoded already
            body = bytearray(response.content)
            if len(body) > self.max_response_bytes:
                raise ResponseTooLarge(self.label, self.max_response_bytes) from None
        headers = [(name, value) for name, value in response.headers.multi_items()
                   if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers, content=bytes(body),
                              request=response.request)

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
        """The provider's own explanation, with every credential the request carried removed."""
        try:
            detail = self.read_error(response)
        except Exception:  # a malformed error body must not hide the status
            return None
        if not detail:
            return None
        return scrub(detail[:MAX_DETAIL_CHARS], credentials_sent(response.request))

    @staticmethod
    def json(response: httpx.Response, label: str) -> Any:
        """Decode a JSON body or raise `BadResponse`."""
        try:
            return response.json()
        except ValueError:
            raise BadResponse(label) from None


class BoundedDecoder:
    """Undoes `Content-Encoding` (none, gzip or deflate), never producing more than asked at once."""

    def __init__(self, wbits: int | None):
        self._zlib = zlib.decompressobj(wbits) if wbits is not None else None

    @classmethod
    def for_encoding(cls, encoding: str) -> BoundedDecoder | None:
        """A decoder for the encoding, or None for one learnbot did not ask for (br, zstd, chains)."""
        wbits = {"": None, "identity": None, "gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS,
                 "deflate": zlib.MAX_WBITS}
        encoding = encoding.strip().lower()
        return cls(wbits[encoding]) if encoding in wbits else None

    def decode(self, data: bytes, limit: int) -> Iterator[bytes]:
        """Decoded pieces of `data`, each at most `limit` bytes; pull the next only if it is wanted."""
        if self._zlib is None:
            yield data
            return
        while data:
            try:
                piece = self._zlib.decompress(data, limit)
            except zlib.error:
                raise httpx.DecodingError("the body does not match its Content-Encoding") from None
            yield piece
            data = self._zlib.unconsumed_tail


def credentials_sent(request: httpx.Request) -> set[str]:
    """Every value the request carried as a credential, in each form it may be echoed back.

    Headers, query parameters and JSON or form fields whose name says credential (`x-api-key`,
    `Authorization`, `refresh_token`, `client_secret`…); for `Basic` auth also the decoded
    `user:password`, the user and the password.
    """
    values: set[str] = set()
    for name, value in request.headers.multi_items():
        if _is_credential_name(name):
            values |= _header_forms(value)
    values |= {value for name, value in request.url.params.multi_items() if _is_credential_name(name)}
    values |= {value for name, value in _body_fields(request) if _is_credential_name(name)}
    return {value for value in values if value}


def scrub(text: str, secrets: set[str]) -> str | None:
    """`text` with each secret replaced by "[redacted]"; None when it still looks unsafe."""
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) < MIN_REPLACEABLE_SECRET:
            if secret in text:  # too short to replace without mangling words: drop the detail
                return None
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = re.sub(re.escape(form), REDACTED, text, flags=re.IGNORECASE)
    return None if LOOKS_LIKE_A_CREDENTIAL.search(text) else text


def _is_credential_name(name: str) -> bool:
    return name.lower() not in NOT_CREDENTIALS and bool(CREDENTIAL_NAME.search(name))


def _header_forms(value: str) -> set[str]:
    forms = {value}
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if not token:
        return forms
    forms.add(token)
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(token, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return forms
        user, _, password = pair.partition(":")
        forms |= {pair, user, password}
    return forms


def _body_fields(request: httpx.Request) -> list[tuple[str, str]]:
    """Top-level fields of a JSON object or form body, as (name, text)."""
    content_type = request.headers.get("content-type", "")
    try:
        content = request.content
    except httpx.RequestNotRead:
        return []
    if "json" in content_type:
        try:
            body = jsonlib.loads(content or b"null")
        except ValueError:
            return []
        return [(str(k), str(v)) for k, v in body.items()] if isinstance(body, dict) else []
    if "x-www-form-urlencoded" in content_type:
        return parse_qsl(content.decode(errors="replace"))
    return []


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default_ports = {"http": 80, "https": 443}
    return url.scheme, url.host, url.port or default_ports.get(url.scheme)


def text_field(value: Any) -> str:
    """A JSON field as trimmed text; anything that is not a string counts as empty."""
    return value.strip() if isinstance(value, str) else ""


def _join(sentence: str, detail: str | None) -> str:
    if not detail:
        return sentence
    detail = detail.strip().rstrip(".")
    return f"{sentence} ({detail}.)"
