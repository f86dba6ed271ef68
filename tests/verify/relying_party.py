"""A minimal OpenID Connect relying party that stands in for APISIX's data plane in unit tests of
``reconciler/run/verify_flow.py``, until the sandbox gateway serves the route itself.

It reads the route's openid-connect configuration from the APISIX Admin API on every request
(as the data plane reads etcd), so a secret pasted into the route reaches the code exchange.
It does only what lua-resty-openidc's ``authenticate`` does on the seed's path: no session
cookie -> 302 to the discovered ``authorization_endpoint`` with state and nonce; at
``redirect_uri`` -> check state, exchange the code with ``client_secret_basic`` and redirect
back; with a session -> the "upstream" page.  A failed exchange answers 500, as
``apisix/plugins/openid-connect.lua`` does when ``authenticate`` returns an error.
"""

from __future__ import annotations

import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx


class RelyingParty:
    """Serve on a free loopback port; ``url`` once started.  Use as a context manager."""

    def __init__(self, apisix_admin_url: str, admin_key: str, route_id: str) -> None:
        self.admin = f"{apisix_admin_url}/apisix/admin/routes/{route_id}"
        self.key = admin_key
        self.pending: dict[str, str] = {}  # state -> original path
        self.sessions: set[str] = set()
        rp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, headers, body = rp.handle(self.path, self.headers.get("Cookie", ""))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def conf(self) -> dict[str, Any]:
        conf: dict[str, Any] = httpx.get(self.admin, headers={"X-API-KEY": self.key}).json()["value"]["plugins"][
            "openid-connect"]
        return conf

    def handle(self, path: str, cookie: str) -> tuple[int, dict[str, str], bytes]:
        conf = self.conf()
        doc = httpx.get(conf["discovery"]).json()
        parts = urlsplit(path)
        if parts.path == urlsplit(conf["redirect_uri"]).path:
            query = parse_qs(parts.query)
            state = query.get("state", [""])[0]
            if state not in self.pending or "code" not in query:
                return 400, {}, b"bad state"
            answer = httpx.post(doc["token_endpoint"], auth=(conf["client_id"], conf["client_secret"]),
                                data={"grant_type": "authorization_code", "code": query["code"][0],
                                      "redirect_uri": conf["redirect_uri"]})
            if answer.status_code != 200:
                return 500, {}, b"<html><body>500 Internal Server Error</body></html>"
            session = secrets.token_urlsafe(16)
            self.sessions.add(session)
            return 302, {"Location": self.pending.pop(state), "Set-Cookie": f"rp_session={session}; Path=/"}, b""
        if any(c.strip() == f"rp_session={s}" for c in cookie.split(";") for s in self.sessions):
            return 200, {"Content-Type": "text/html"}, b"<h1>hello from the upstream</h1>"
        state = secrets.token_urlsafe(16)
        self.pending[state] = path
        query = urlencode({"response_type": "code", "client_id": conf["client_id"], "scope": conf["scope"],
                           "redirect_uri": conf["redirect_uri"], "state": state, "nonce": secrets.token_urlsafe(16)})
        return 302, {"Location": f"{doc['authorization_endpoint']}?{query}"}, b""

    def __enter__(self) -> RelyingParty:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
