"""Real HTTP on loopback for provider fakes, and the hostile answers real services sometimes give.

`LoopbackServer` serves any fake written as `app(httpx.Request) -> httpx.Response` (the same
callables the tests hand to `httpx.MockTransport`) over a real socket on 127.0.0.1, or on
127.0.0.2 to play "another host". Bodies are sent chunked, as they are produced, so an app
can answer with a generator (a gzip bomb) that is never held whole in memory.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

App = Callable[[httpx.Request], httpx.Response]
MIB = 1024 * 1024


class LoopbackServer:
    """A threaded HTTP/1.1 server; `requests` lists every request it received, in order."""

    def __init__(self, app: App, host: str = "127.0.0.1"):
        self.app = app
        self.requests: list[httpx.Request] = []
        self._server = ThreadingHTTPServer((host, 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler_for(server: LoopbackServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = httpx.Request(self.command, f"{server.url}{self.path}",
                                    headers=list(self.headers.items()), content=self.rfile.read(length))
            server.requests.append(request)
            response = server.app(request)
            self.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(name, value)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for chunk in _raw_chunks(response):
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):  # the client stopped reading: fine
                pass
            finally:
                response.close()

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, *_args) -> None:
            pass

    return Handler


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as produced: a generator's pieces, or the bytes of a body built in memory."""
    try:
        yield from response.iter_raw()
    except httpx.StreamConsumed:
        yield response.content


def gzip_bomb(unpacked_bytes: int = 1024 * MIB) -> Iterator[bytes]:
    """A gzip stream of zeros (about 1 MB sent per GiB unpacked), compressed as it is sent."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MIB)
    for _ in range(unpacked_bytes // MIB):
        packed = packer.compress(zeros)
        if packed:
            yield packed
    yield packer.flush()


def big_body(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """`size` bytes of JSON-looking filler, produced chunk by chunk."""
    sent = 0
    while sent < size:
        piece = b" " * min(chunk, size - sent)
        sent += len(piece)
        yield piece
