"""The hub's HTTP clients: made on the first request, one SSL context for all, on real loopback sockets."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys

import httpx
import pytest

from providers.base import HttpClient, SharedSSLContext
from providers.errors import ProviderDown
from providers.inokufu import SPEC as INOKUFU
from providers.learnflow import SPEC as LEARNFLOW
from providers.registry import ProviderHub

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def serve(handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def answer_ok(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One HTTP/1.1 request in, one JSON answer out."""
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    body = b'{"ok": true}'
    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                 + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode() + body)
    await writer.drain()
    writer.close()


def test_a_new_hub_creates_no_network_client_and_loads_no_certificates():
    hub = ProviderHub([INOKUFU, LEARNFLOW], {})

    assert [client._http for client in hub.http.values()] == [None, None]
    assert hub.ssl_context._context is None


def test_building_every_provider_imports_no_aiohttp():
    """aiohttp loads the system certificate store as it is imported (~120 ms of start-up)."""
    script = ("import sys; from providers import inokufu, learnflow, learnifier, linkedin, records; "
              "from providers.registry import ProviderHub; "
              "ProviderHub([m.SPEC for m in (inokufu, learnflow, learnifier, linkedin, records)], {}); "
              "print('aiohttp' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "False"


def test_every_client_of_a_hub_uses_the_same_ssl_context():
    hub = ProviderHub([INOKUFU, LEARNFLOW], {})

    contexts = {id(client._client._transport.ssl_context) for client in hub.http.values()}

    assert len(contexts) == 1 and isinstance(hub.ssl_context(), ssl.SSLContext)


def test_the_shared_context_is_made_once():
    shared = SharedSSLContext()

    assert shared() is shared()


async def test_a_request_over_loopback_returns_an_httpx_response():
    server, url = await serve(answer_ok)
    http = HttpClient("Loopback", url)
    try:
        response = await http.request("GET", "/search", params={"q": "python"})
    finally:
        await http.aclose()
        server.close()

    assert isinstance(response, httpx.Response) and response.json() == {"ok": True}


async def test_a_refused_connection_means_the_provider_is_down():
    server, url = await serve(answer_ok)
    server.close()
    await server.wait_closed()
    http = HttpClient("Loopback", url, max_attempts=1)

    with pytest.raises(ProviderDown, match="could not be reached"):
        await http.request("GET", "/search")
    await http.aclose()


async def test_a_silent_server_means_the_provider_took_too_long():
    async def never_answer(reader, writer):
        await asyncio.sleep(5)

    server, url = await serve(never_answer)
    http = HttpClient("Loopback", url, timeout=httpx.Timeout(0.2), max_attempts=1)
    try:
        with pytest.raises(ProviderDown, match="took too long"):
            await http.request("GET", "/search")
    finally:
        await http.aclose()
        server.close()
