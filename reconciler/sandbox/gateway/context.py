"""The per-request state the gateway's phases share, and APISIX's ways of ending a request.

Why one object: APISIX threads ``api_ctx`` through every phase; plugins read the matched route
and consumer from it and leave behind upstream headers, a rewritten URI or host, and headers
for the client's response (``X-RateLimit-*``, the session ``Set-Cookie``), which survive onto
the proxied answer (``shared/spec/apisix-data-plane.md`` §2.3).  The helpers build the two
kinds of early answers: ``core.response.exit`` bodies (a table goes out as JSON plus a newline,
with nginx's default ``text/plain`` type, [A] ``apisix/core/response.lua: resp_exit()``) and
nginx's built-in status pages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from reconciler.sandbox.gateway.view import Consumer, ResolvedRoute, StoreView
from reconciler.sandbox.http import Request, Response

TEXT_PLAIN = "text/plain; charset=utf-8"


def exit_json(status: int, body: Any, headers: list[tuple[str, str]] | None = None,
              *, newline: bool = True) -> Response:
    """``core.response.exit(status, table)``: JSON (``/`` unescaped) plus a newline, ``text/plain``."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False) + ("\n" if newline else "")
    return Response(status, text.encode(), [("Content-Type", TEXT_PLAIN), *(headers or [])])


def nginx_page(status: int, headers: list[tuple[str, str]] | None = None) -> Response:
    """nginx's built-in page for ``status`` (its exact bytes are not part of the contract)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    title = f"{status} {phrase}".strip()
    body = (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1>"
            f"</center>\r\n<hr><center>openresty</center>\r\n</body>\r\n</html>\r\n")
    return Response(status, body.encode(), [("Content-Type", "text/html; charset=utf-8"), *(headers or [])])


@dataclass
class Ctx:
    """One request on its way through the phases.

    ``upstream_headers`` starts as the client's headers (lower-case names); a plugin sets or
    deletes entries.  ``upstream_uri`` (path and query) and ``upstream_host`` stay None unless
    a plugin rewrites them.  ``response_headers`` are added to whatever the client finally gets.
    """

    request: Request
    host: str
    view: StoreView
    listen_port: int
    route: ResolvedRoute | None = None
    upstream_headers: dict[str, str] = field(default_factory=dict)
    upstream_uri: str | None = None
    upstream_host: str | None = None
    upstream_method: str | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    consumer: Consumer | None = None
    credential_id: str | None = None

    def __post_init__(self) -> None:
        if not self.upstream_headers:
            self.upstream_headers = dict(self.request.headers)

    @property
    def client_host_header(self) -> str:
        """The client's ``Host`` header as sent (port kept), ``$host`` when absent."""
        return self.request.headers.get("host") or self.host

    def finish(self, response: Response) -> Response:
        """``response`` with the headers plugins left for the client."""
        response.headers.extend(self.response_headers)
        return response
