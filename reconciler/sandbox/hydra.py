"""A loopback emulator of Ory Hydra's admin API (v2.3.0, or v1.10.6 on request).

The reconciler and its tests need a Hydra that behaves like the real one where reconcilers
trip: server defaults that cause false drift, a secret that is hashed and never read back,
``null`` in a create response but ``[]`` in a GET, PUT wiping ``metadata``, JSON Patch limits,
``Link`` paging with its quirks, and error bodies worded as Hydra words them.  Running the real
binary needs a Go build; this emulator starts in milliseconds, keeps its state in plain dicts
on one asyncio loop (so no locks), can snapshot and restore that state, and serves the public
``/oauth2/token`` client-credentials grant so that a test can prove a rotated secret works.
For the browser login that a gateway runs, it also serves the authorization-code flow:
``hydra_flow`` (``/oauth2/auth``), ``hydra_challenges`` (login, consent and logout requests on
the admin port), ``hydra_grants`` (codes, tokens, ID tokens) and ``hydra_oidc`` (discovery,
JWKS, userinfo, introspection, logout); ``set_login_urls`` is Hydra's ``urls.login``/``consent``/
``logout`` and the issuer is the public URL (``set_public_url``).

Secrets are hashed with PBKDF2-SHA256 and a per-client salt, like Hydra 2.x.  Real Hydra uses
25,000 rounds; the default here is ``hash_iterations=1000`` so that seeding 10,000 clients
through the API takes seconds.  The hash encodes its round count, so a snapshot restored with
another setting still verifies.  Version 1.10.6 stored bcrypt hashes; the emulator uses the
same PBKDF2 format there, which only shows in the hash that v1's broken PATCH leaks.

Each client's GET JSON is rendered once per write and cached, so listing 10,000 clients at
``page_size=1000`` is a join of cached strings.
"""

from __future__ import annotations

import bisect
import json
import secrets
import time
import uuid
from typing import Any
from urllib.parse import quote

from reconciler.sandbox.faults import FaultInjector
from reconciler.sandbox.http import HTTPServer, Request, Response
from reconciler.sandbox.hydra_challenges import ChallengeAdmin
from reconciler.sandbox.hydra_flow import FlowPort
from reconciler.sandbox.hydra_grants import Grants
from reconciler.sandbox.hydra_json import dumps, rfc3339_nano, rfc3339_seconds, time_to_utc
from reconciler.sandbox.hydra_model import (
    ClientError,
    before_save,
    decode,
    empty_client,
    render,
    stored,
)
from reconciler.sandbox.hydra_oidc import OIDCPort
from reconciler.sandbox.hydra_paging import link_header, parse_v1, parse_v2
from reconciler.sandbox.hydra_patch import PatchError, apply_patch, touches
from reconciler.sandbox.hydra_public import PublicPort
from reconciler.sandbox.hydra_validate import validate
from reconciler.sandbox.hydra_wire import (
    JSON_OK,
    NO_CACHE,
    error_response,
    gate,
    generate_secret,
    go_redirect,
    go_response,
    hash_secret,
    health,
    json_response,
    plain_response,
    verify_secret,
)
from reconciler.state.models.hydra import LIFESPANS

VERSIONS = ("2.3.0", "1.10.6")
NOT_FOUND = ClientError(404, "Unable to locate the resource", "")
CONFLICT = ClientError(409, "Unable to insert or update resource because a resource with that value "
                            "exists already", "")
UNRECOGNIZABLE = ClientError(500, "error", "The error is unrecognizable")
V1_UNAUTHORIZED = ClientError(401, "The request could not be authorized",
                              "The requested OAuth 2.0 client does not exist or you did not provide "
                              "the necessary credentials")
ROUTE_404_HTML = ("<!DOCTYPE html>\n<html lang=\"en\">\n  <head><meta charset=\"UTF-8\" />"
                  "<title>404 - Route not found</title></head>\n  <body><h1>Error 404</h1><p>The requested "
                  "route does not exist. Make sure you are using the right path, domain, and port.</p>"
                  "</body>\n</html>\n")


class HydraEmulator:
    """Ory Hydra's admin API and public port (tokens and the login flow) over plain in-memory dicts.

    ``handle_admin`` and ``handle_public`` are the two ports' handlers; ``servers()`` wraps them
    in ``HTTPServer`` objects sharing ``faults``.  ``version`` is ``"2.3.0"`` (default) or
    ``"1.10.6"``.  ``system_secret`` only seeds the registration tokens' shape and is kept for
    parity with Hydra's ``secrets.system``.
    """

    def __init__(self, version: str = "2.3.0", *, faults: FaultInjector | None = None,
                 hash_iterations: int = 1000, system_secret: str = "sandbox-system-secret-0123456789") -> None:
        if version not in VERSIONS:
            raise ValueError(f"unsupported Hydra version {version!r}; choose one of {', '.join(VERSIONS)}")
        self.version = version
        self.v2 = version.startswith("2.")
        self.faults = faults or FaultInjector()
        self.hash_iterations = hash_iterations
        self.system_secret = system_secret
        self.clients: dict[str, dict[str, Any]] = {}
        self.ids: list[str] = []
        self._json: dict[str, str] = {}
        self._public_url: str | None = None
        self._admin_url: str | None = None
        self._admin_server: HTTPServer | None = None
        self._public_server: HTTPServer | None = None
        self.public = PublicPort(self)
        self.flow = FlowPort(self)
        self.grants = Grants(self)
        self.oidc = OIDCPort(self)
        self.challenges = ChallengeAdmin(self)
        self._login_urls: tuple[str, str, str] | None = None

    # --- wiring ------------------------------------------------------------------------------

    def servers(self, host: str = "127.0.0.1", admin_port: int = 0,
                public_port: int = 0) -> tuple[HTTPServer, HTTPServer]:
        """The (admin, public) servers; like real Hydra they send no ``Server`` header."""
        self._admin_server = HTTPServer(self.handle_admin, host, admin_port, faults=self.faults)
        self._public_server = HTTPServer(self.handle_public, host, public_port, faults=self.faults)
        return self._admin_server, self._public_server

    def set_public_url(self, url: str) -> None:
        """Hydra's ``urls.self.issuer``: the base of ``registration_client_uri``."""
        self._public_url = url

    @property
    def issuer(self) -> str:
        """``urls.self.issuer`` (ends with ``/``): the public port's URL unless set explicitly."""
        return self._base(self._public_url, self._public_server)

    def set_login_urls(self, login: str, consent: str, logout: str) -> None:
        """Hydra's ``urls.login``, ``urls.consent`` and ``urls.logout``: where challenges are sent."""
        self._login_urls = (login, consent, logout)

    def _login_url(self, index: int, fallback: str) -> str:
        if self._login_urls is not None:
            return self._login_urls[index]
        return self.issuer + "oauth2/fallbacks/" + fallback

    @property
    def login_url(self) -> str:
        """Where ``/oauth2/auth`` sends the browser with a ``login_challenge``."""
        return self._login_url(0, "login")

    @property
    def consent_url(self) -> str:
        """Where the flow sends the browser with a ``consent_challenge``."""
        return self._login_url(1, "consent")

    @property
    def logout_url(self) -> str:
        """Where ``/oauth2/sessions/logout`` sends the browser with a ``logout_challenge``."""
        return self._login_url(2, "logout")

    def client_json(self, cid: str) -> str:
        """The client's GET JSON, as cached."""
        return self._json[cid]

    def set_admin_url(self, url: str) -> None:
        """Hydra's ``urls.self.admin``: the base of the legacy paths' 307 ``Location``."""
        self._admin_url = url

    def _base(self, explicit: str | None, server: HTTPServer | None) -> str:
        if explicit is not None:
            base = explicit
        elif server is not None and server.port:
            base = server.url
        else:
            base = "http://"
        return base if base.endswith("/") else base + "/"

    # --- state -------------------------------------------------------------------------------

    def _store(self, client: dict[str, Any], hashed: str) -> None:
        cid = client["client_id"]
        if cid not in self.clients:
            bisect.insort(self.ids, cid)
        record = stored(client, v2=self.v2)
        self.clients[cid] = {"client": record, "hash": hashed}
        self._json[cid] = render(record, v2=self.v2)

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-able data, secret hashes included (shares the stored dicts)."""
        return {"version": self.version,
                "clients": [{"client": self.clients[cid]["client"], "hash": self.clients[cid]["hash"]}
                            for cid in self.ids]}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a ``snapshot()``; fields missing from it take their zero value."""
        self.clients.clear()
        self.ids.clear()
        self._json.clear()
        for item in data.get("clients", []):
            self._store({**empty_client(), **item["client"]}, item["hash"])

    def check_secret(self, client_id: str, secret: str) -> bool:
        """Whether ``secret`` is the current secret of ``client_id``."""
        record = self.clients.get(client_id)
        return record is not None and verify_secret(secret, record["hash"])

    def _route_not_found(self) -> Response:
        if self.v2:
            return go_response(404, ROUTE_404_HTML.encode(), [("Content-Type", "text/html; charset=utf-8")])
        return plain_response(404, "404 page not found\n")

    # --- routing -----------------------------------------------------------------------------

    async def handle_admin(self, request: Request) -> Response:
        """Answer one request on the admin port."""
        path = request.path
        if path in ("/health/alive", "/health/ready"):
            return health(request)
        if path == "/version":
            version = (dumps({"version": "v" + self.version}) + "\n").encode()
            return gate(request, "GET, OPTIONS") or go_response(200, version, [JSON_OK])
        if self.v2 and path.startswith("/admin/oauth2/"):
            return self._oauth2(request, path[len("/admin/oauth2"):])
        prefix = "/admin/clients" if self.v2 else "/clients"
        if self.v2 and (path == "/clients" or path.startswith("/clients/")):
            return self._legacy(request)
        if path == prefix or path.startswith(prefix + "/"):
            return self._clients(request, path[len(prefix):])
        return self._route_not_found()

    def _oauth2(self, request: Request, rest: str) -> Response:
        """Introspection and the login, consent and logout requests (``hydra_oidc``, ``hydra_flow``)."""
        if rest == "/introspect":
            return self.oidc.introspect(request)
        kinds = ("login", "consent", "logout")
        routes = {f"/auth/requests/{kind}": "GET, OPTIONS" for kind in kinds}
        routes.update({f"/auth/requests/{kind}/{act}": "OPTIONS, PUT"
                       for kind in kinds for act in ("accept", "reject")})
        routes.update({"/auth/sessions/login": "DELETE, OPTIONS", "/auth/sessions/consent": "DELETE, OPTIONS"})
        allowed = routes.get(rest)
        if allowed is None:
            return self._route_not_found()
        return gate(request, allowed) or self.challenges.admin(request, rest[len("/auth"):])

    def _allowed(self, rest: str) -> str | None:
        parts = rest.split("/")[1:] if rest else []
        if not parts:
            return "GET, OPTIONS, POST"
        if len(parts) == 1 and parts[0]:
            return "DELETE, GET, OPTIONS, PATCH, PUT"
        if self.v2 and len(parts) == 2 and parts[0] and parts[1] == "lifespans":
            return "OPTIONS, PUT"
        return None

    def _trailing_slash(self, request: Request) -> Response | None:
        """httprouter's redirect of ``.../clients/`` to ``.../clients`` when that route has the method."""
        if request.method not in ("GET", "POST"):
            return None
        target = request.path.rstrip("/")
        if request.raw_query:
            target += "?" + request.raw_query
        if request.method == "GET":
            return go_redirect(301, target, body=True)
        return go_redirect(308, target, body=False)

    def _routed(self, request: Request, rest: str) -> Response | None:
        """The router's answer when ``rest`` (after ``/clients``) is not a route for this method."""
        if rest == "/":
            return self._trailing_slash(request) or self._route_not_found()
        allowed = self._allowed(rest)
        if allowed is None:
            return self._route_not_found()
        return gate(request, allowed)

    def _legacy(self, request: Request) -> Response:
        rest = request.path[len("/clients"):]
        refused = self._routed(request, rest)
        if refused is not None:
            return refused
        location = self._base(self._admin_url, self._admin_server) + "admin/clients" + rest
        if request.raw_query:
            location += "?" + request.raw_query
        return go_redirect(307, location, body=request.method in ("GET", "HEAD"), extra=[NO_CACHE])

    def _clients(self, request: Request, rest: str) -> Response:
        method = request.method
        refused = self._routed(request, rest)
        if refused is not None:
            return refused
        parts = rest.split("/")[1:] if rest else []
        try:
            if not parts:
                return self._list(request) if method == "GET" else self._create(request)
            cid = parts[0]
            if len(parts) == 2:
                return self._lifespans(request, cid)
            if method == "GET":
                return self._get(cid)
            if method == "PUT":
                return self._put(request, cid)
            if method == "PATCH":
                return self._patch(request, cid)
            return self._delete(cid)
        except ClientError as err:
            if not self.v2 and err.status == 400 and err.error.startswith("The request was malformed"):
                return error_response(UNRECOGNIZABLE)
            return error_response(err)

    # --- handlers ----------------------------------------------------------------------------

    def _list(self, request: Request) -> Response:
        page = parse_v2(request.query) if self.v2 else parse_v1(request.query)
        if page.size == 0:
            raise UNRECOGNIZABLE
        name = request.arg("client_name") or ""
        owner = request.arg("owner") or ""
        ids = self.ids
        if name or owner:
            ids = [cid for cid in ids
                   if (not name or self.clients[cid]["client"]["client_name"] == name)
                   and (not owner or self.clients[cid]["client"]["owner"] == owner)]
        chosen = ids[page.offset : page.offset + page.size]
        if chosen and self.faults.take("truncate", request.method, request.path) is not None:
            chosen = chosen[:-1]
        body = "[" + ",".join(self._json[cid] for cid in chosen) + "]"
        total = len(self.ids)
        link = link_header(request.path, request.query, total, page.size, page.link_offset, v2=self.v2)
        return json_response(200, body, [("Link", link), ("X-Total-Count", str(total))])

    def _get(self, cid: str) -> Response:
        if cid not in self.clients:
            raise NOT_FOUND if self.v2 else V1_UNAUTHORIZED
        return json_response(200, self._json[cid])

    def _create(self, request: Request) -> Response:
        client = decode(request.body, v2=self.v2)
        if not client["client_secret"]:
            client["client_secret"] = generate_secret()
        validate(client, v2=self.v2)
        if self.v2:
            client["registration_access_token"] = self._opaque_token()
            client["registration_client_uri"] = (self._base(self._public_url, self._public_server)
                                                 + "oauth2/register/" + quote(client["client_id"], safe="$&+,/:;=@"))
        if not client["client_id"]:
            client["client_id"] = str(uuid.uuid4())
        if client["client_id"] in self.clients:
            raise CONFLICT
        now = time.time_ns()
        client["created_at"] = rfc3339_seconds(now)
        client["updated_at"] = rfc3339_nano(now // 1000 * 1000)
        before_save(client)
        secret = client["client_secret"]
        self._store(client, hash_secret(secret, self.hash_iterations))
        if client["token_endpoint_auth_method"] == "none":
            client["client_secret"] = ""
        location = ("/admin/clients/" if self.v2 else "/clients/") + client["client_id"]
        return json_response(201, render(client, v2=self.v2), [("Location", location)])

    def _put(self, request: Request, cid: str) -> Response:
        client = decode(request.body, v2=self.v2)
        client["client_id"] = cid
        validate(client, v2=self.v2)
        if cid not in self.clients:
            raise NOT_FOUND
        now = time.time_ns()
        echo_created = client["created_at"] or rfc3339_nano(now)
        return self._update(client, now, echo_created=time_to_utc(echo_created))

    def _update(self, client: dict[str, Any], now: int, *, echo_created: str,
                rehash: str | None = None) -> Response:
        """Store an updated client; echo the secret only if one was set (``rehash`` is v1's bug)."""
        current = self.clients[client["client_id"]]
        secret = client["client_secret"]
        if rehash is not None:
            hashed = hash_secret(rehash, self.hash_iterations)
            client["client_secret"] = rehash
        elif secret:
            hashed = hash_secret(secret, self.hash_iterations)
        else:
            hashed = current["hash"]
        client["updated_at"] = rfc3339_nano(now // 1000 * 1000)
        before_save(client)
        client["created_at"] = current["client"]["created_at"]
        self._store(client, hashed)
        client["created_at"] = echo_created
        return json_response(200, render(client, v2=self.v2))

    def _patch(self, request: Request, cid: str) -> Response:
        if cid not in self.clients:
            raise NOT_FOUND
        record = self.clients[cid]
        try:
            patch = json.loads(request.body)
            if patch is None:
                patch = []
            doc = json.loads(self._json[cid])
            doc = {"client_id": doc.pop("client_id"), "client_secret": record["hash"], **doc}
            patched = apply_patch(doc, patch, v2=self.v2)
            if not isinstance(patched, dict):
                raise PatchError("the patched document is not an object")
            base = dict(record["client"], client_secret=record["hash"])
            client = decode(json.dumps(patched).encode(), v2=self.v2, base=base)
        except (ValueError, PatchError, ClientError):
            raise UNRECOGNIZABLE from None
        if not touches(patch, "/metadata"):
            client["metadata"] = record["client"]["metadata"]
        rehash = None
        if client["client_secret"] == record["hash"]:
            if self.v2:
                client["client_secret"] = ""
            else:
                rehash = record["hash"]
        validate(client, v2=self.v2)
        if client["client_id"] not in self.clients:
            raise NOT_FOUND
        return self._update(client, time.time_ns(), echo_created=client["created_at"], rehash=rehash)

    def _lifespans(self, request: Request, cid: str) -> Response:
        spans = decode(request.body, struct="Lifespans")
        if cid not in self.clients:
            raise NOT_FOUND
        record = self.clients[cid]
        client = dict(record["client"])
        for name in LIFESPANS:
            client[name] = spans[name]
        client["updated_at"] = rfc3339_nano(time.time_ns() // 1000 * 1000)
        self._store(client, record["hash"])
        return json_response(200, self._json[cid])

    def _delete(self, cid: str) -> Response:
        if cid not in self.clients:
            raise NOT_FOUND
        del self.clients[cid]
        del self._json[cid]
        self.ids.pop(bisect.bisect_left(self.ids, cid))
        return go_response(204, b"", [NO_CACHE])

    @staticmethod
    def _opaque_token() -> str:
        return "ory_at_" + secrets.token_urlsafe(32) + "." + secrets.token_urlsafe(32)

    # --- public port -------------------------------------------------------------------------

    async def handle_public(self, request: Request) -> Response:
        """Answer one request on the public port (see ``hydra_public``)."""
        return self.public.handle(request)
