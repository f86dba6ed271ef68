"""Scripted HTTP servers on 127.0.0.1 for the bad-server and zero-request tests.

The sandbox emulators behave like APISIX and Hydra; these do not, on purpose: each answers with
what a test scripts (a trickle, a flood, an echo of the admin key, a foreign ``Link``), and
counts every request it receives, so a test can prove that bad input sent nothing at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: (status, headers, body chunks).  A chunk that is a float is a pause of that many seconds;
#: status 0 means no answer at all.
Answer = tuple[int, dict[str, str], Iterable[bytes | float]]


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Scripted:
    """A running server; ``url`` is its origin, ``seen`` every request it got."""

    url: str
    seen: list[Seen] = field(default_factory=list)


def _handler(script: Callable[[Seen], Answer], seen: list[Seen], stop: threading.Event) -> type:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _any(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = Seen(self.command, self.path, dict(self.headers.items()), self.rfile.read(length))
            seen.append(request)
            status, headers, chunks = script(request)
            if status == 0:  # never answer: hold the connection until the server stops
                stop.wait(600)
                return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                for chunk in chunks:
                    if stop.is_set():
                        return
                    if isinstance(chunk, float):
                        stop.wait(chunk)
                        continue
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                return

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

    return Handler


class _Quiet(ThreadingHTTPServer):
    """A server that does not print a client's hang-up as a traceback (the client may cut a body)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


def serve(script: Callable[[Seen], Answer]) -> Iterator[Scripted]:
    """Run a scripted server for the duration of a ``with``/fixture; yields it."""
    seen: list[Seen] = []
    stop = threading.Event()
    httpd = _Quiet(("127.0.0.1", 0), _handler(script, seen, stop))
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Scripted(f"http://127.0.0.1:{httpd.server_address[1]}", seen)
    finally:
        stop.set()
        httpd.shutdown()
        httpd.server_close()


def json_answer(body: bytes, status: int = 200, **headers: str) -> Answer:
    """A complete JSON answer."""
    return status, {"Content-Type": "application/json", "Content-Length": str(len(body)), **headers}, [body]
