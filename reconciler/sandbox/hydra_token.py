"""The Hydra emulator's public ``POST /oauth2/token``: the client-credentials grant only.

Its purpose is proof, not OAuth: after the reconciler rotates a client secret, a test asks for
a token with the new secret (and is refused with the old one).  So the endpoint follows fosite's
order and texts for what such a test meets: an empty body, missing credentials, HTTP Basic with
id and secret form-url-encoded before base64 (or ``client_secret_post``), a wrong secret or an
unknown client (401 ``invalid_client``), the auth-method mismatch, a client without the
``client_credentials`` grant, and scopes the client may not request.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote_plus

from reconciler.sandbox.http import Request, Response
from reconciler.sandbox.hydra_json import dumps

if TYPE_CHECKING:
    from reconciler.sandbox.hydra import HydraEmulator

INVALID_REQUEST = ("The request is missing a required parameter, includes an invalid parameter value, "
                   "includes a parameter more than once, or is otherwise malformed.")
INVALID_CLIENT = ("Client authentication failed (e.g., unknown client, no client authentication included, "
                  "or unsupported authentication method).")
UNAUTHORIZED_CLIENT = "The client is not authorized to request a token using this method."
INVALID_SCOPE = "The requested scope is invalid, unknown, or malformed."
NO_HANDLER = ("Make sure that the various parameters are correct, be aware of case sensitivity and trim your "
              "parameters. Make sure that the client you are using has exactly whitelisted the redirect_uri "
              "you specified.")


class _OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description


def _answer(status: int, body: dict[str, object]) -> Response:
    from reconciler.sandbox.hydra import go_response

    headers = [("Cache-Control", "no-store"), ("Content-Type", "application/json;charset=UTF-8"),
               ("Pragma", "no-cache")]
    return go_response(status, dumps(body).encode(), headers)


class TokenEndpoint:
    """Issues opaque access tokens to clients that prove their secret."""

    def __init__(self, emulator: HydraEmulator) -> None:
        self.emulator = emulator

    def handle(self, request: Request) -> Response:
        """Answer one token request."""
        try:
            return self._grant(request)
        except _OAuthError as err:
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
            return client_id, (form.get("client_secret") or [""])[0], "client_secret_post"
        raise _OAuthError(400, "invalid_request", f"{INVALID_REQUEST} Client credentials missing or malformed "
                          "in both HTTP Authorization header and HTTP POST body.")

    def _grant(self, request: Request) -> Response:
        form: dict[str, list[str]] = {}
        if request.headers.get("content-type", "").split(";")[0].strip() == "application/x-www-form-urlencoded":
            form = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        if not form:
            raise _OAuthError(400, "invalid_request", f"{INVALID_REQUEST} The POST body can not be empty.")
        grant = (form.get("grant_type") or [""])[0]
        if not grant:
            raise _OAuthError(400, "invalid_request", f"{INVALID_REQUEST} Request parameter 'grant_type' is missing")
        client_id, secret, method = self._credentials(request, form)
        record = self.emulator.clients.get(client_id)
        if record is None or not self.emulator.check_secret(client_id, secret):
            raise _OAuthError(401, "invalid_client", INVALID_CLIENT)
        client = record["client"]
        wanted = client["token_endpoint_auth_method"] or "client_secret_basic"
        if wanted != method:
            raise _OAuthError(401, "invalid_client", f"{INVALID_CLIENT} The OAuth 2.0 Client supports client "
                              f"authentication method '{wanted}', but method '{method}' was requested. You must "
                              "configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept "
                              f"'{method}'.")
        if grant != "client_credentials":
            raise _OAuthError(400, "invalid_request", f"{INVALID_REQUEST} {NO_HANDLER}")
        if "client_credentials" not in (client["grant_types"] or []):
            raise _OAuthError(400, "unauthorized_client", f"{UNAUTHORIZED_CLIENT} The OAuth 2.0 Client is not "
                              "allowed to use authorization grant 'client_credentials'.")
        requested = " ".join(form.get("scope") or []).split()
        allowed = set(client["scope"].split())
        for scope in requested:
            if scope not in allowed:
                raise _OAuthError(400, "invalid_scope", f"{INVALID_SCOPE} The OAuth 2.0 Client is not allowed to "
                                  f"request scope '{scope}'.")
        lifespan = client.get("client_credentials_grant_access_token_lifespan")
        expires = (lifespan // 1_000_000_000 if lifespan else 3600) - 1
        token = "ory_at_" + secrets.token_urlsafe(32) + "." + secrets.token_urlsafe(32)
        return _answer(200, {"access_token": token, "expires_in": expires, "scope": " ".join(requested),
                             "token_type": "bearer"})
