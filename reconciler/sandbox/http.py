"""A small, fast HTTP/1.1 server on asyncio for the emulators.

Why not ``http.server``: the benchmarks need thousands of keep-alive requests per second from
several concurrent clients, and fault injection needs to reset a connection mid-request or
stall it, which a thread-per-request server makes awkward.  Why not a framework: the emulators
must control status lines, header order and byte-exact bodies (APISIX's plain-text paging
error with a JSON content type, Hydra's ``Link`` quirks), and the sandbox must start in well
under two seconds.  The protocol subset is what admin clients send: ``Content-Length`` or
chunked request bodies, keep-alive, ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from reconciler.sandbox.faults import FaultInjector

MAX_BODY = 16 * 1024 * 1024


@dataclass
class Request:
    """One parsed request.  Header names are lower-cased; ``query`` keeps every value."""

    method: str
    target: str
    path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    peer: str = "127.0.0.1"

    def arg(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def cookies(self) -> dict[str, str]:
        """Cookies from the ``Cookie`` header."""
        out: dict[str, str] = {}
        for part in self.headers.get("cookie", "").split(";"):
            name, sep, value = part.strip().partition("=")
            if sep:
                out[name] = value
        return out


@dataclass
class Response:
    """A response.  ``reset`` drops the connection instead of answering (fault injection)."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    reset: bool = False

    @classmethod
    def json(cls, status: int, obj: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
        """A JSON response; the body ends with a newline, as APISIX's do."""
        body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        return cls(status, body, [("Content-Type", "application/json"), *headers])

    @classmethod
    def text(cls, status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Response:
        """A plain-text response."""
        return cls(status, text.encode(), [("Content-Type", content_type)])


Handler = Callable[[Request], Awaitable[Response]]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _Protocol(asyncio.Protocol):
    """Parses requests off one connection and answers them in order."""

    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.queue: asyncio.Queue[Request | None] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.peer = "127.0.0.1"

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        peername = transport.get_extra_info("peername")
        self.peer = str(peername[0]) if isinstance(peername, tuple) and peername else "127.0.0.1"
        self.server.connections.add(self)
        self.task = asyncio.get_running_loop().create_task(self._serve())

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.queue.put_nowait(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            request = self._parse()
            if request is None:
                return
            self.queue.put_nowait(request)

    def _parse(self) -> Request | None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = bytes(self.buffer[:end]).decode("latin-1")
        lines = head.split("\r\n")
        try:
            method, target, _version = lines[0].split(" ", 2)
        except ValueError:
            self._bad()
            return None
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parsed = self._chunked(start)
            if parsed is None:
                return None
            body, consumed = parsed
        else:
            length = int(headers.get("content-length", "0") or 0)
            if length > MAX_BODY:
                self._bad()
                return None
            if len(self.buffer) < start + length:
                return None
            body = bytes(self.buffer[start : start + length])
            consumed = start + length
        del self.buffer[:consumed]
        if target.startswith("/"):  # origin form; urlsplit would read "//a/b" as a host
            raw_path, _, raw_query = target.partition("?")
        else:
            split = urlsplit(target)
            raw_path, raw_query = split.path, split.query
        return Request(
            method=method.upper(),
            target=target,
            path=unquote(raw_path),
            raw_query=raw_query,
            query=parse_qs(raw_query, keep_blank_values=True),
            headers=headers,
            body=body,
            peer=self.peer,
        )

    def _chunked(self, pos: int) -> tuple[bytes, int] | None:
        body = bytearray()
        while True:
            eol = self.buffer.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(bytes(self.buffer[pos:eol]).split(b";")[0] or b"0", 16)
            pos = eol + 2
            if size == 0:
                trailer_end = self.buffer.find(b"\r\n", pos)
                if trailer_end < 0:
                    return None
                return bytes(body), trailer_end + 2
            if len(self.buffer) < pos + size + 2:
                return None
            body += self.buffer[pos : pos + size]
            pos += size + 2

    def _bad(self) -> None:
        if self.transport is not None:
            self.transport.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            self.transport.close()
        self.buffer.clear()

    async def _serve(self) -> None:
        while True:
            request = await self.queue.get()
            if request is None or self.transport is None or self.transport.is_closing():
                return
            response = await self.server.dispatch(request)
            if response.reset:
                self.transport.abort()
                return
            close = request.headers.get("connection", "").lower() == "close"
            out = [f"HTTP/1.1 {response.status} {_reason(response.status)}"]
            out.extend(f"{k}: {v}" for k, v in response.headers)
            body = b"" if request.method == "HEAD" else response.body
            out.append(f"Content-Length: {len(response.body)}")
            if close:
                out.append("Connection: close")
            self.transport.write(("\r\n".join(out) + "\r\n\r\n").encode("latin-1") + body)
            if close:
                self.transport.close()
                return


class HTTPServer:
    """Serves ``handler`` on ``host:port`` (0 picks a free port) inside the running event loop.

    Every request first passes the server's ``FaultInjector``, which may delay it, answer it
    with an error or reset the connection; the emulator never sees an injected failure.
    """

    def __init__(self, handler: Handler, host: str = "127.0.0.1", port: int = 0,
                 faults: FaultInjector | None = None, server_header: str | None = None) -> None:
        self.handler = handler
        self.host = host
        self.port = port
        self.faults = faults or FaultInjector()
        self.server_header = server_header
        self.connections: set[_Protocol] = set()
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:41234``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Start listening; afterwards ``port`` holds the real port."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Protocol(self), self.host, self.port,
                                                reuse_address=True, backlog=512)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close every connection."""
        if self._server is not None:
            self._server.close()
            for conn in list(self.connections):
                if conn.transport is not None:
                    conn.transport.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def dispatch(self, request: Request) -> Response:
        """Run the request through fault injection, then the handler."""
        injected = await self.faults.before(request)
        if injected is None:
            try:
                response = await self.handler(request)
            except Exception as exc:  # an emulator bug must not kill the connection silently
                response = Response.json(500, {"error_msg": f"emulator error: {type(exc).__name__}: {exc}"})
            if self.faults.take("reset_after", request.method, request.path) is not None:
                return Response(0, reset=True)  # handled, but the answer is lost
        elif injected.reset:
            response = Response(0, reset=True)
        else:
            response = Response.json(injected.status, injected.body, list(injected.headers))
        if self.server_header and not any(k.lower() == "server" for k, _ in response.headers):
            response.headers.append(("Server", self.server_header))
        return response


class ServerThread:
    """Runs one or more ``HTTPServer`` objects on an event loop in a daemon thread.

    Used by test fixtures and by ``reconcile sandbox``: ``start()`` returns once every server
    accepts connections, ``stop()`` shuts them down and joins the thread.
    """

    def __init__(self, *servers: HTTPServer) -> None:
        self.servers = servers
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="sandbox-http", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            for server in self.servers:
                self.loop.run_until_complete(server.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        for server in self.servers:
            self.loop.run_until_complete(server.stop())
        self.loop.close()

    def start(self) -> ServerThread:
        """Start the thread and wait until every server listens."""
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        """Stop every server and the loop."""
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the server loop and return its result (to touch emulator state safely)."""
        async def _wrapped() -> Any:
            return fn()
        return asyncio.run_coroutine_threadsafe(_wrapped(), self.loop).result(10)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
