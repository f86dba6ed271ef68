"""What sits under httpx: an aiohttp connection pool behind httpx's transport interface.

The code talks to httpx (``httpx.Request``, ``httpx.Response``, its exception tree), as the
design asks; only the transport underneath is swapped.  httpx's default transport (httpcore on
anyio) spends about 1 ms of CPU per request on connection-pool bookkeeping, several times what
the request itself costs, and more the more connections it juggles, so an apply at a higher
``--parallelism`` got slower.  aiohttp's pool does the same job in C-accelerated code.

The ``httpx-aiohttp`` package does this too, but streams each body through an adapter and maps
every ``ClientConnectionError`` to ``ConnectTimeout``, which would tell a user that a server
which reset the connection was slow.  This module reads each (small, JSON) body whole and maps
aiohttp's errors onto the httpx exceptions they mean, so ``http.Transport`` keeps deciding
retries on httpx's types alone: connect failures and timeouts are ``httpx.TransportError``
subclasses, exactly as with httpcore.
"""

from __future__ import annotations

import ssl
from typing import Any

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    """httpx's per-phase timeouts (``request.extensions["timeout"]``) in aiohttp's terms."""
    spec: dict[str, float | None] = request.extensions.get("timeout", {})
    return aiohttp.ClientTimeout(total=None, connect=spec.get("pool"), sock_connect=spec.get("connect"),
                                 sock_read=spec.get("read"))


def _mapped(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
    """The httpx exception that means what the aiohttp (or socket) failure ``exc`` means."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return httpx.ConnectError(f"SSL: {detail}", request=request)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(detail, request=request)
    if isinstance(exc, TimeoutError):  # aiohttp's ServerTimeoutError (a read) is one too
        return httpx.ReadTimeout(detail, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx.ConnectError(detail, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError
                  | aiohttp.ClientResponseError):
        return httpx.RemoteProtocolError(detail, request=request)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(detail, request=request)
    if isinstance(exc, aiohttp.ClientOSError | OSError):
        return httpx.ReadError(detail, request=request)
    return httpx.TransportError(detail)


async def _read(answer: aiohttp.ClientResponse, limit: int | None) -> tuple[bytes, bool]:
    """The body, and whether it is whole: reading stops past ``limit`` bytes (the request's
    ``max_body`` extension), so that a server cannot make us hold an unbounded answer."""
    declared = answer.content_length
    if limit is not None and declared is not None and declared > limit:
        return b"", False  # refused before a byte of it is read
    if limit is None or declared is not None:
        return await answer.read(), True
    chunks: list[bytes] = []
    size = 0
    async for chunk in answer.content.iter_chunked(1 << 16):
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            chunks.clear()  # refused whole: nothing of it is kept, so nothing of it is copied
            return b"", False
    return b"".join(chunks), True


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` over one ``aiohttp.ClientSession`` with at most
    ``max_connections`` connections (kept alive).  ``verify`` is an ``ssl.SSLContext``, True for
    the system's CA bundle, or False to skip verification (``--insecure``).  The session is made on
    first use, inside the running event loop, and closed by ``aclose`` (``AsyncClient.aclose``)."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True, max_connections: int = 32) -> None:
        self._ssl: ssl.SSLContext | bool = verify
        self._max = max(1, max_connections)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(limit=self._max, limit_per_host=0, ssl=self._ssl,
                                         enable_cleanup_closed=False)
        # No cookie jar, no proxy settings from the environment, no default headers: httpx sets them.
        self._session = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar(),
                                              skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding",
                                                                 "Content-Type"),
                                              auto_decompress=False, trust_env=False)
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return the whole answer as an ``httpx.Response``."""
        session = self._session or self._open()
        # Names as the caller wrote them (``X-API-KEY``), not httpx's lower-cased view of them.
        headers = CIMultiDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw)
        content = request.content  # our bodies are always bytes, never streams
        try:
            async with session.request(request.method, URL(str(request.url), encoded=True),
                                       data=content or None, headers=headers, allow_redirects=False,
                                       timeout=_timeout(request)) as answer:
                status, reason, raw = answer.status, answer.reason, answer.raw_headers
                body, whole = await _read(answer, request.extensions.get("max_body"))
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise _mapped(exc, request) from exc
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1",
                                      "reason_phrase": (reason or "").encode("latin-1", "replace")}
        if not whole:
            extensions["body_too_large"] = True
            raw = tuple((k, v) for k, v in raw if k.lower() != b"content-encoding")  # a cut body is not decodable
        # httpx decodes a Content-Encoding itself (aiohttp's decompression is off above).
        return httpx.Response(status, headers=list(raw), content=body, request=request, extensions=extensions)

    async def aclose(self) -> None:
        """Close every pooled connection."""
        if self._session is not None:
            await self._session.close()
            self._session = None
