"""httpx's transport interface on aiohttp's connection pool, for `HttpClient`.

Its own module so that aiohttp is imported on the first provider request, not at start:
importing aiohttp takes ~120 ms (it loads the system certificate store as it imports), and
`learnbot chat` on the bundled catalog never needs it.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport


class ProviderTransport(AiohttpTransport):
    """The aiohttp transport of `httpx-aiohttp`, with its connection errors put right.

    httpx-aiohttp 0.2 reports every aiohttp connection error as a `ConnectTimeout` (its broad
    `ClientConnectionError` mapping wins). Here a connection that could not be made (refused,
    failed DNS lookup) is a `ConnectError`, so the person reads "could not be reached", and a
    connection dropped after the request went out is a `ReadError`: the request may have
    arrived, so an enrollment must not be sent again.
    """

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await super().handle_async_request(request)
        except httpx.ConnectTimeout as error:
            cause = error.__cause__
            if isinstance(cause, aiohttp.ClientConnectorError):
                raise httpx.ConnectError(str(error), request=request) from cause
            if isinstance(cause, aiohttp.ClientConnectionError) and not isinstance(cause, asyncio.TimeoutError):
                raise httpx.ReadError(str(error), request=request) from cause
            raise
