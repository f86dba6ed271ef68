"""The one HTTP seam: client construction, status-to-error mapping, retries and rate limits.

Every adapter sends its requests through ``AdminClient.request``.  It maps statuses to the error
tree (kopf's ``check_response``), raises ``from`` the httpx error so that httpx exceptions never
leak past the adapters, and retries what is safe to retry: connection failures, timeouts, 429
(honouring ``Retry-After``) and 5xx, with exponential backoff and full jitter.  A caller marks a
request as not idempotent (``retry=False``) when a blind retry could do harm; the Hydra adapter
then checks with a GET before trying again.  An optional requests-per-second cap is shared by
every request of the run.

Servers are not trusted either.  Each request has an overall deadline (``--timeout``), so a body
that trickles forever still ends; a body past ``MAX_BODY`` is refused while it streams in; a
request that timed out is sent at most once more, so a server that never answers costs a small
multiple of ``--timeout``; every message names the server by its origin; and every configured
credential and every secret of the request body is masked in whatever the server answers.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from reconciler.errors import (
    AdminAPIError,
    Conflict,
    ConnectError,
    NotFound,
    PlanError,
    RateLimited,
    ServerError,
    Unauthorized,
)
from reconciler.secrets import Secret, scrub, wire

#: Largest answer read (lists are paged at 500-1000 objects, a few MiB at most).
MAX_BODY = 64 * 1024 * 1024
#: Attempts for a request that got no answer in time: a server that is not answering is
#: not asked five times.
TIMEOUT_ATTEMPTS = 2

#: Counts the requests sent on behalf of the current change (set per task by ``apply``).
REQUESTS_SENT: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("requests_sent", default=None)


def make_client(*, timeout: float, ca_cert: str | None = None, insecure: bool = False,
                max_connections: int = 32, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with keep-alive, TLS verified unless ``insecure``."""
    verify: ssl.SSLContext | bool = True
    if insecure:
        verify = False
    elif ca_cert:
        verify = ssl.create_default_context(cafile=ca_cert)
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    return httpx.AsyncClient(timeout=timeout, verify=verify, limits=limits, transport=transport)


@dataclass
class RetryPolicy:
    """How many times, and how long to wait.  ``sleep`` is injectable for tests."""

    attempts: int = 5
    base: float = 0.2
    cap: float = 5.0
    sleep: Callable[[float], Any] = asyncio.sleep

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Backoff with full jitter for ``attempt`` (1-based), or the server's hint."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), 60.0)
        return random.uniform(0, min(self.cap, self.base * 2 ** (attempt - 1)))


class RateLimiter:
    """A simple shared pacing gate: at most ``rps`` request starts per second."""

    def __init__(self, rps: float | None) -> None:
        self.interval = 1.0 / rps if rps else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Wait for this request's slot."""
        if not self.interval:
            return
        async with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)


def error_message(response: httpx.Response) -> str:
    """The server's own words from an error body (``error_msg``, ``message``, Hydra's pair)."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(body, dict):
        if "error_msg" in body:
            return str(body["error_msg"])
        if "error" in body:
            desc = body.get("error_description") or ""
            return f"{body['error']}: {desc}" if desc else str(body["error"])
        if "message" in body:
            return str(body["message"])
    return json.dumps(body)[:500]


def where(response: httpx.Response) -> str:
    """``scheme://host:port/path`` of the request behind ``response`` (no credentials, no query)."""
    url = response.request.url
    return f"{url.scheme}://{url.netloc.decode()}{url.path}"


def json_body(response: httpx.Response) -> Any:
    """The JSON of a successful answer, or an ``AdminAPIError`` when it is none: a URL that points
    at a login page or a proxy answers 200 with HTML, which must not end in a traceback."""
    try:
        return orjson.loads(response.content)  # several times faster than json on large lists
    except ValueError:
        content_type = response.headers.get("content-type") or "no content type"
        raise AdminAPIError(f"the answer is not JSON ({content_type}); is this the admin API URL?",
                            status=response.status_code, method=response.request.method,
                            url=where(response)) from None


def unexpected(response: httpx.Response, what: str) -> AdminAPIError:
    """The error for a JSON answer that is not ``what`` (the URL points at another API)."""
    return AdminAPIError(f"the answer is not {what}; is this the admin API URL?", status=response.status_code,
                         method=response.request.method, url=where(response))


def check_response(response: httpx.Response) -> httpx.Response:
    """Raise the matching ``AdminAPIError`` for an error status; return the response otherwise."""
    status = response.status_code
    if status < 400:
        return response
    kw: dict[str, Any] = {"status": status, "method": response.request.method, "url": where(response)}
    message = error_message(response)
    if status in (401, 403):
        raise Unauthorized(message, **kw)
    if status == 404:
        raise NotFound(message, **kw)
    if status == 409:
        raise Conflict(message, **kw)
    if status == 429:
        raise RateLimited(message, retry_after=_retry_after(response), **kw)
    if status >= 500:
        raise ServerError(message, **kw)
    raise AdminAPIError(message, **kw)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _failure(exc: httpx.TransportError, origin: str) -> str:
    """Why no answer came from ``origin``, in words a user can act on."""
    name = type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer from {origin} in time ({name}; see --timeout)"
    detail = str(exc) or name
    if isinstance(exc.__context__, ssl.SSLError) or "SSL" in detail:
        return f"TLS with {origin} failed: {detail} (see --ca-cert, or an http:// URL for a plain server)"
    return f"cannot connect to {origin}: {detail}"


def _deadline(client: httpx.AsyncClient) -> float:
    """The client's timeout (``--timeout``) as one overall deadline per request."""
    timeout = client.timeout
    values = [v for v in (timeout.connect, timeout.read, timeout.write, timeout.pool) if v is not None]
    return max(values) if values else 300.0


class AdminClient:
    """Sends requests for one admin API: base URL, fixed headers, retries and the rate cap.

    Not a transport in httpx's sense (``httpx.AsyncBaseTransport`` moves bytes below the client);
    this sits above a shared ``httpx.AsyncClient`` and speaks for one server.
    """

    def __init__(self, client: httpx.AsyncClient, base_url: str, *, headers: dict[str, str] | None = None,
                 retry: RetryPolicy | None = None, limiter: RateLimiter | None = None) -> None:
        self.client = client
        self.base_url = base_url.rstrip("/")
        parsed = httpx.URL(self.base_url)
        #: scheme://host:port, for messages (never the user:password a URL may carry)
        self.origin = f"{parsed.scheme}://{parsed.netloc.decode()}"
        self.headers = headers or {}
        #: Values never to be shown: header credentials and a password in the URL.
        self.credentials = [v for v in self.headers.values() if v] + ([parsed.password] if parsed.password else [])
        #: The whole exchange, body included, must finish within this (a trickling body never ends).
        self.deadline = _deadline(client)
        self.retry = retry or RetryPolicy()
        self.limiter = limiter or RateLimiter(None)
        self.requests = 0
        self.retries = 0

    async def request(self, method: str, path: str, *, body: Any = None, params: dict[str, Any] | None = None,
                      retry: bool = True, retry_if: Callable[[AdminAPIError], bool] | None = None,
                      answers: frozenset[int] = frozenset()) -> httpx.Response:
        """Send one request; retry transient failures when ``retry``; raise ``AdminAPIError``
        (except for a status in ``answers``, whose body the caller reads itself)."""
        url = path if path.startswith("http") else self.base_url + path
        try:
            content = json.dumps(wire(body), separators=(",", ":"), allow_nan=False).encode() \
                if body is not None else None
        except ValueError:
            raise PlanError(f"{method} {self.origin}{path}: the body holds a number JSON cannot carry (infinity "
                            "or NaN); nothing was sent") from None
        headers = dict(self.headers)
        if content is not None:
            headers["Content-Type"] = "application/json"
        hidden = [*self.credentials, *_secret_values(body)]
        attempt = 0
        timeouts = 0
        while True:
            attempt += 1
            await self.limiter.wait()
            self.requests += 1
            sent = REQUESTS_SENT.get()
            if sent is not None:
                sent[0] += 1
            try:
                try:
                    response = await self._send(method, url, content, params, headers)
                except httpx.TransportError as exc:
                    raise ConnectError(_failure(exc, self.origin), method=method, url=self.origin + path) from exc
                except TimeoutError:
                    timeouts += 1
                    message = f"no complete answer from {self.origin} within {self.deadline:g} s (see --timeout)"
                    raise ConnectError(message, method=method, url=self.origin + path) from None
                return response if response.status_code in answers else check_response(response)
            except AdminAPIError as exc:
                _mask(exc, hidden)
                transient = isinstance(exc, ConnectError | RateLimited | ServerError)
                if retry_if is not None and retry_if(exc):
                    transient = True
                timed_out = isinstance(exc, ConnectError) and isinstance(exc.__cause__, httpx.TimeoutException)
                timeouts += timed_out
                if not (retry and transient) or attempt >= self.retry.attempts or timeouts >= TIMEOUT_ATTEMPTS:
                    raise
                self.retries += 1
                hint = exc.retry_after if isinstance(exc, RateLimited) else None
                await self.retry.sleep(self.retry.delay(attempt, hint))

    async def _send(self, method: str, url: str, content: bytes | None, params: dict[str, Any] | None,
                    headers: dict[str, str]) -> httpx.Response:
        """One exchange within ``deadline``, its body read up to ``MAX_BODY`` (``AdminAPIError`` past it)."""
        async with asyncio.timeout(self.deadline):
            request = self.client.build_request(method, url, content=content, params=params, headers=headers)
            response = await self.client.send(request, stream=True)
            try:
                declared = response.headers.get("content-length", "")
                if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
                    raise _too_large(response)
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_BODY:
                        raise _too_large(response)
                    chunks.append(chunk)
            finally:
                await response.aclose()
        headers_out = [(k, v) for k, v in response.headers.raw  # bytes: a header may hold non-ASCII text
                       if k.lower() not in (b"content-encoding", b"content-length", b"transfer-encoding")]
        return httpx.Response(response.status_code, headers=headers_out, content=b"".join(chunks), request=request,
                              extensions=response.extensions)


def _too_large(response: httpx.Response) -> AdminAPIError:
    return AdminAPIError(f"the answer is larger than {MAX_BODY} bytes; refused", status=response.status_code,
                         method=response.request.method, url=where(response))


def _secret_values(value: Any) -> list[str]:
    """The plain values of every ``Secret`` in a request body."""
    if isinstance(value, Secret):
        return [value.reveal()]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _secret_values(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _secret_values(v)]
    return []


def _mask(exc: AdminAPIError, hidden: list[str]) -> None:
    """Mask ``hidden`` values in ``exc`` in place: a server may echo the admin key or the body."""
    if not hidden:
        return
    exc.server_message = scrub(exc.server_message, hidden)
    exc.args = tuple(scrub(a, hidden) if isinstance(a, str) else a for a in exc.args)
