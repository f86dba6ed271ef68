"""The sandbox's upstream "hello" page, standing in for the seed's nginx on 127.0.0.1:8081.

The seed walkthrough puts a stock nginx behind the gateway; the login is proven when the
browser lands on that page.  The sandbox serves an equally plain page on ``--upstream-port``
so that the gateway has something to proxy to and a test can recognise it: every ``GET`` or
``HEAD`` answers 200 with the title "Hello from the upstream", the method and the path.  It
never echoes request headers, which would carry the gateway's tokens.
"""

from __future__ import annotations

import html

from reconciler.sandbox.http import Request, Response

TITLE = "Hello from the upstream"


async def hello(request: Request) -> Response:
    """Answer any request with the hello page (405 for methods other than GET and HEAD)."""
    if request.method not in ("GET", "HEAD"):
        return Response(405, b"Method Not Allowed\n", [("Allow", "GET, HEAD"),
                                                      ("Content-Type", "text/plain; charset=utf-8")])
    body = (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>{TITLE}</title></head>\n"
            f"<body>\n<h1>{TITLE}</h1>\n<p>{html.escape(request.method)} {html.escape(request.path)}</p>\n"
            "</body>\n</html>\n")
    return Response(200, body.encode(), [("Content-Type", "text/html; charset=utf-8")])
