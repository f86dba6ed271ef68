"""The Hydra emulator's public port: ``/oauth2/token``, ``/oauth2/revoke``, and the routing to the flow.

Its first purpose is proof: after the reconciler rotates a client secret, a test (or
``reconcile verify``) asks for a token with the new secret and is refused with the old one.  So
the endpoint follows fosite's order and texts for what such a request meets: an empty body,
missing credentials, HTTP Basic with id and secret form-url-encoded before base64 (or
``client_secret_post``), a wrong secret or an unknown client (401 ``invalid_client``, always
before any grant check), the auth-method mismatch, a client without the grant it asks for
(400 ``unauthorized_client``), and scopes the client may not request.  The authorization-code
and refresh grants are handed to ``hydra_grants``; the browser flow and OpenID Connect paths to
``hydra_oidc``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote_plus

from reconciler.sandbox.http import Request, Response
from reconciler.sandbox.hydra_json import dumps
from reconciler.sandbox.hydra_model import ClientError
from reconciler.sandbox.hydra_wire import (
    NO_CACHE,
    error_response,
    gate,
    go_response,
    health,
    not_allowed,
    plain_response,
)


class TokenStore(Protocol):
    """What the public port needs of the grant store (``hydra_grants.Grants``)."""

    def revoke(self, client_id: str, token: str) -> None: ...

    def exchange(self, client: dict[str, Any], form: dict[str, list[str]]) -> dict[str, Any]: ...

    def refresh_grant(self, client: dict[str, Any], form: dict[str, list[str]]) -> dict[str, Any]: ...

    def register_client_token(self, client_id: str, token: str, scope: list[str], audience: list[str],
                              life: int) -> None: ...


class BrowserFlow(Protocol):
    """What the public port needs of the OpenID Connect pages (``hydra_oidc.OIDCPort``)."""

    def handle(self, request: Request) -> Response: ...


class ClientRegistry(Protocol):
    """What the public port needs of the emulator (``hydra.HydraEmulator``), named here so that this
    module does not import the emulator that imports it."""

    @property
    def v2(self) -> bool: ...

    @property
    def clients(self) -> dict[str, dict[str, Any]]: ...

    @property
    def grants(self) -> TokenStore: ...

    @property
    def oidc(self) -> BrowserFlow: ...

    def check_secret(self, client_id: str, secret: str) -> bool: ...

OIDC_PATHS = frozenset({"/.well-known/openid-configuration", "/.well-known/jwks.json", "/oauth2/auth",
                        "/userinfo", "/oauth2/sessions/logout", "/oauth2/fallbacks/error",
                        "/oauth2/fallbacks/logout/callback"})
"""Paths of the browser flow and OpenID Connect, answered by ``hydra_oidc``."""

INVALID_REQUEST = ("The request is missing a required parameter, includes an invalid parameter value, "
                   "includes a parameter more than once, or is otherwise malformed.")
INVALID_CLIENT = ("Client authentication failed (e.g., unknown client, no client authentication included, "
                  "or unsupported authentication method).")
UNAUTHORIZED_CLIENT = "The client is not authorized to request a token using this method."
INVALID_GRANT = ("The provided authorization grant (e.g., authorization code, resource owner credentials) or "
                 "refresh token is invalid, expired, revoked, does not match the redirection URI used in the "
                 "authorization request, or was issued to another client.")
INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."
NO_HANDLER = ("Make sure that the various parameters are correct, be aware of case sensitivity and trim your "
              "parameters. Make sure that the client you are using has exactly whitelisted the redirect_uri "
              "you specified.")


def wildcard_match(allowed: list[str], scope: str) -> bool:
    """Hydra's default ``wildcard`` scope strategy: ``foo.*`` grants ``foo.bar`` (and deeper), not ``foo``."""
    needle = scope.split(".")
    for pattern in allowed:
        parts = pattern.split(".")
        if len(parts) > len(needle):
            continue
        for index, part in enumerate(needle):
            if index >= len(parts):
                break
            if parts[index] == "*" and part:
                return True
            if parts[index] != part:
                break
        else:
            return True
    return False


class OAuthError(Exception):
    """An OAuth 2.0 error answer: status, ``error`` and ``error_description``."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def read_form(request: Request) -> dict[str, list[str]]:
    """The form body, read only for ``application/x-www-form-urlencoded`` (as Go's ``ParseForm``)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return {}
    return parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)


def _answer(status: int, body: dict[str, object]) -> Response:
    headers = [("Cache-Control", "no-store"), ("Content-Type", "application/json;charset=UTF-8"),
               ("Pragma", "no-cache")]
    return go_response(status, dumps(body).encode(), headers)


class PublicPort:
    """The public port: health, tokens for clients that prove their secret, revocation, registration."""

    def __init__(self, emulator: ClientRegistry) -> None:
        self.emulator = emulator

    def handle(self, request: Request) -> Response:
        """Route one public-port request."""
        path = request.path
        if path in ("/health/alive", "/health/ready"):
            return health(request)
        if path in ("/oauth2/token", "/oauth2/revoke"):
            if request.method == "OPTIONS":  # answered by the public port's CORS layer
                return go_response(200, b"", [NO_CACHE])
            if request.method != "POST":
                return not_allowed("OPTIONS, POST")
            return self.token(request) if path == "/oauth2/token" else self.revoke(request)
        if self.emulator.v2 and (path == "/oauth2/register" or path.startswith("/oauth2/register/")):
            return self._registration(request)
        if self.emulator.v2 and path in OIDC_PATHS:
            return self.emulator.oidc.handle(request)
        return plain_response(404, "404 page not found\n")

    @staticmethod
    def _registration(request: Request) -> Response:
        """Dynamic client registration, disabled as in Hydra's default configuration."""
        rest = request.path[len("/oauth2/register"):]
        if rest in ("", "/"):
            allowed = "OPTIONS, POST" if not rest else None
        else:
            allowed = "DELETE, GET, OPTIONS, PUT" if "/" not in rest[1:] else None
        if allowed is None:
            return plain_response(404, "404 page not found\n")
        return gate(request, allowed) or error_response(ClientError(404, "The requested resource could not be found",
                                          "Dynamic registration is not enabled."))

    def token(self, request: Request) -> Response:
        """``POST /oauth2/token``: client credentials, authorization code and refresh token grants."""
        try:
            return self._grant(request)
        except OAuthError as err:
            return _answer(err.status, {"error": err.error, "error_description": err.description})

    def _credentials(self, request: Request, form: dict[str, list[str]]) -> tuple[str, str, str]:
        auth = request.headers.get("authorization", "")
        if auth[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
                raw_id, sep, raw_secret = decoded.partition(":")
            except (binascii.Error, UnicodeDecodeError):
                sep = ""
            if sep:
                return unquote_plus(raw_id), unquote_plus(raw_secret), "client_secret_basic"
        client_id = (form.get("client_id") or [""])[0]
        if client_id:
            if "client_secret" not in form:
                return client_id, "", "none"
            return client_id, form["client_secret"][0], "client_secret_post"
        raise OAuthError(400, "invalid_request", f"{INVALID_REQUEST} Client credentials missing or malformed "
                          "in both HTTP Authorization header and HTTP POST body.")

    def revoke(self, request: Request) -> Response:
        """``POST /oauth2/revoke``: 200 once the client authenticates (unknown tokens count as revoked).

        The emulator stores no tokens, so this is only the secret probe the spec describes.
        """
        try:
            form = read_form(request)
            if not form:
                raise OAuthError(400, "invalid_request", f"{INVALID_REQUEST} {NO_HANDLER}")
            try:
                client_id, secret, method = self._credentials(request, form)
            except OAuthError:
                raise OAuthError(400, "invalid_request", f"{INVALID_REQUEST} {NO_HANDLER}") from None
            self._authenticate(client_id, secret, method, hint=False)
            self.emulator.grants.revoke(client_id, (form.get("token") or [""])[0])
        except OAuthError as err:
            return _answer(err.status, {"error": err.error, "error_description": err.description})
        return go_response(200, b"", [("Cache-Control", "no-store"), ("Pragma", "no-cache")])

    def _authenticate(self, client_id: str, secret: str, method: str, *, hint: bool = True) -> dict[str, Any]:
        record = self.emulator.clients.get(client_id)
        if record is None:
            raise OAuthError(401, "invalid_client", INVALID_CLIENT)
        if method != "none" and not self.emulator.check_secret(client_id, secret):
            raise OAuthError(401, "invalid_client", INVALID_CLIENT)
        client: dict[str, Any] = record["client"]
        wanted = client["token_endpoint_auth_method"] or "client_secret_basic"
        if wanted != method and not hint:
            raise OAuthError(401, "invalid_client", INVALID_CLIENT)
        if wanted != method:
            raise OAuthError(401, "invalid_client", f"{INVALID_CLIENT} The OAuth 2.0 Client supports client "
                              f"authentication method '{wanted}', but method '{method}' was requested. You must "
                              "configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept "
                              f"'{method}'.")
        return client

    def _grant(self, request: Request) -> Response:
        form = read_form(request)
        if not form:
            raise OAuthError(400, "invalid_request", f"{INVALID_REQUEST} The POST body can not be empty.")
        grant = (form.get("grant_type") or [""])[0]
        if not grant:
            raise OAuthError(400, "invalid_request", f"{INVALID_REQUEST} Request parameter 'grant_type' is missing")
        client_id, secret, method = self._credentials(request, form)
        client = self._authenticate(client_id, secret, method)
        if grant == "authorization_code" and self.emulator.v2:
            return _answer(200, self.emulator.grants.exchange(client, form))
        if grant == "refresh_token" and self.emulator.v2:
            return _answer(200, self.emulator.grants.refresh_grant(client, form))
        if grant != "client_credentials":
            raise OAuthError(400, "invalid_request", f"{INVALID_REQUEST} {NO_HANDLER}")
        if client["token_endpoint_auth_method"] == "none":
            raise OAuthError(400, "invalid_grant", f"{INVALID_GRANT} The OAuth 2.0 Client is marked as public and "
                              "is thus not allowed to use authorization grant 'client_credentials'.")
        if "client_credentials" not in (client["grant_types"] or []):
            raise OAuthError(400, "unauthorized_client", f"{UNAUTHORIZED_CLIENT} The OAuth 2.0 Client is not "
                              "allowed to use authorization grant 'client_credentials'.")
        requested = list(dict.fromkeys((form.get("scope") or [""])[0].split()))
        allowed = client["scope"].split()
        for scope in requested:
            if not wildcard_match(allowed, scope):
                raise OAuthError(400, "invalid_scope", f"{INVALID_SCOPE} The OAuth 2.0 Client is not allowed to "
                                  f"request scope '{scope}'.")
        for audience in (form.get("audience") or [""])[0].split():
            if audience not in (client["audience"] or []):
                raise OAuthError(400, "invalid_request", f"{INVALID_REQUEST} Requested audience '{audience}' has "
                                  "not been whitelisted by the OAuth 2.0 Client.")
        lifespan = client.get("client_credentials_grant_access_token_lifespan")
        # Go reports the whole seconds left at the time of writing, a moment after issuing.
        expires = ((lifespan or 3_600_000_000_000) - 1_000_000) // 1_000_000_000
        token = "ory_at_" + secrets.token_urlsafe(32) + "." + secrets.token_urlsafe(32)
        self.emulator.grants.register_client_token(client["client_id"], token, requested,
                                                   (form.get("audience") or [""])[0].split(), expires + 1)
        return _answer(200, {"access_token": token, "expires_in": expires, "scope": " ".join(requested),
                             "token_type": "bearer"})
