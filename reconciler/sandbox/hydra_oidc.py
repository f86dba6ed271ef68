"""The emulated Hydra's OpenID Connect surface: discovery, JWKS, userinfo, introspection, logout.

A gateway configured with ``discovery: <issuer>/.well-known/openid-configuration`` reads every
other URL from that document, so the emulator serves it as real Hydra v2.3.0 does (the member
list and values below are those of ``GET /.well-known/openid-configuration`` on the real binary,
with the issuer substituted).  ``/userinfo`` answers an access token with the consent session's
ID-token claims, ``/admin/oauth2/introspect`` answers bearer-only routes, and
``/oauth2/sessions/logout`` ends the login session through a logout challenge.  Error texts are
fosite's (``introspection_response_writer.go``, ``handler/openid``), pinned by
``tests/e2e/test_hydra_flow_differential.py``.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from reconciler.sandbox.http import Request, Response
from reconciler.sandbox.hydra_flow import SESSION_COOKIE, found
from reconciler.sandbox.hydra_json import rfc3339_seconds
from reconciler.sandbox.hydra_model import ClientError
from reconciler.sandbox.hydra_public import INVALID_REQUEST, read_form
from reconciler.sandbox.hydra_wire import JSON_OK, NO_CACHE, gate, go_response, html_escape

if TYPE_CHECKING:
    from reconciler.sandbox.hydra import HydraEmulator

LOGOUT_LIFESPAN = 1800
"""Seconds a logout request lives (Hydra's ``ttl.login_consent_request`` default, 30 min)."""
LOGOUT_NOT_FOUND = ClientError(404, "Unable to locate the resource", "")
UNAUTHORIZED = ("The request could not be authorized. Check that you provided valid credentials in the right "
                "format.")
JSON_UTF8 = ("Content-Type", "application/json;charset=UTF-8")
ERROR_PAGE = """
<html>
<head>
\t<title>An OAuth 2.0 Error Occurred</title>
</head>
<body>
<h1>
\tThe OAuth2 request resulted in an error.
</h1>
<ul>
\t<li>Error: {error}</li>
\t<li>Description: {description}</li>
\t<li>Hint: {hint}</li>
\t<li>Debug: {debug}</li>
</ul>
<p>
\tYou are seeing this page because configuration key <code>urls.error</code> is not set.
</p>
<p>
\tIf you are an administrator, please read <a href="https://www.ory.sh/docs">the guide</a> to understand what you
\tneed to do. If you are a user, please contact the administrator.
</p>
</body>
</html>
"""


def discovery(issuer: str) -> dict[str, Any]:
    """Real Hydra v2.3.0's discovery document for ``issuer`` (which ends with ``/``)."""
    return {
        "issuer": issuer, "authorization_endpoint": issuer + "oauth2/auth", "token_endpoint": issuer + "oauth2/token",
        "jwks_uri": issuer + ".well-known/jwks.json", "subject_types_supported": ["public"],
        "response_types_supported": ["code", "code id_token", "id_token", "token id_token", "token",
                                     "token id_token code"],
        "claims_supported": ["sub"],
        "grant_types_supported": ["authorization_code", "implicit", "client_credentials", "refresh_token"],
        "response_modes_supported": ["query", "fragment", "form_post"], "userinfo_endpoint": issuer + "userinfo",
        "scopes_supported": ["offline_access", "offline", "openid"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt",
                                                  "none"],
        "userinfo_signing_alg_values_supported": ["none", "RS256"], "id_token_signing_alg_values_supported": ["RS256"],
        "id_token_signed_response_alg": ["RS256"], "userinfo_signed_response_alg": ["RS256"],
        "request_parameter_supported": True, "request_uri_parameter_supported": True,
        "require_request_uri_registration": True, "claims_parameter_supported": False,
        "revocation_endpoint": issuer + "oauth2/revoke", "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True, "frontchannel_logout_supported": True,
        "frontchannel_logout_session_supported": True, "end_session_endpoint": issuer + "oauth2/sessions/logout",
        "request_object_signing_alg_values_supported": ["none", "RS256", "ES256"],
        "code_challenge_methods_supported": ["plain", "S256"],
        "credentials_endpoint_draft_00": issuer + "credentials",
        "credentials_supported_draft_00": [{
            "format": "jwt_vc_json", "types": ["VerifiableCredential", "UserInfoCredential"],
            "cryptographic_binding_methods_supported": ["jwk"],
            "cryptographic_suites_supported": ["PS256", "RS256", "ES256", "PS384", "RS384", "ES384", "PS512",
                                               "RS512", "ES512", "EdDSA"]}],
    }


def _json(status: int, body: Any, content_type: tuple[str, str] = JSON_OK,
          extra: list[tuple[str, str]] | None = None) -> Response:
    text = json.dumps(body, separators=(",", ":")) + "\n"
    return go_response(status, text.encode(), [NO_CACHE, content_type, *(extra or [])])


class OIDCPort:
    """Discovery, keys, userinfo, introspection and logout over the flow's and grants' state."""

    def __init__(self, emulator: HydraEmulator) -> None:
        self.emulator = emulator
        self.logouts: dict[str, dict[str, Any]] = {}

    def handle(self, request: Request) -> Response:
        """Route one public-port request of ``hydra_public.OIDC_PATHS``."""
        path, issuer = request.path, self.emulator.issuer
        if path == "/userinfo":
            return gate(request, "GET, OPTIONS, POST") or self.userinfo(request)
        refused = gate(request, "GET, OPTIONS")
        if refused is not None:
            return refused
        if path == "/.well-known/openid-configuration":
            return _json(200, discovery(issuer))
        if path == "/.well-known/jwks.json":
            return _json(200, self.emulator.grants.keys.jwks())
        if path == "/oauth2/auth":
            return self.emulator.flow.authorize(request)
        if path == "/oauth2/sessions/logout":
            return self.logout(request)
        if path == "/oauth2/fallbacks/error":
            page = ERROR_PAGE.format(**{name: html_escape(request.arg(key) or "") for name, key in (
                ("error", "error"), ("description", "error_description"), ("hint", "error_hint"),
                ("debug", "error_debug"))})
            return go_response(500, page.encode(), [NO_CACHE, ("Content-Type", "text/html; charset=utf-8")])
        return go_response(200, b"You have logged out successfully!", [NO_CACHE,
                                                                      ("Content-Type", "text/plain; charset=utf-8")])

    def userinfo(self, request: Request) -> Response:
        """``/userinfo``: the claims of an active access token, else 401 ``request_unauthorized``."""
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        claims = self.emulator.grants.userinfo(token) if token else None
        if claims is None:
            challenge = f'Bearer error="request_unauthorized",error_description="{UNAUTHORIZED}"'
            body = json.dumps({"error": "request_unauthorized", "error_description": UNAUTHORIZED},
                              separators=(",", ":")) + "\n"
            return go_response(401, body.encode(), [NO_CACHE, ("Content-Type", "application/json"),
                                                    ("Www-Authenticate", challenge)])
        return _json(200, claims)

    def introspect(self, request: Request) -> Response:
        """``POST /admin/oauth2/introspect``: ``{"active": false}`` for anything not live."""
        refused = gate(request, "OPTIONS, POST")
        if refused is not None:
            return refused
        form = read_form(request)
        if not form:
            body = {"error": "invalid_request", "error_description": f"{INVALID_REQUEST} The POST body can not be "
                                                                     "empty."}
            return go_response(400, (json.dumps(body, separators=(",", ":")) + "\n").encode(),
                               [("Cache-Control", "no-store"), JSON_UTF8, ("Pragma", "no-cache")])
        answer = self.emulator.grants.introspection((form.get("token") or [""])[0])
        if not answer["active"]:  # fosite writes the inactive answer itself, with its own cache headers
            return go_response(200, b'{"active":false}\n', [("Cache-Control", "no-store"), JSON_UTF8,
                                                              ("Pragma", "no-cache")])
        return _json(200, answer, JSON_UTF8)

    # --- logout ------------------------------------------------------------------------------

    def logout(self, request: Request) -> Response:
        """``/oauth2/sessions/logout``: a logout challenge for the login session in the cookie."""
        flow, issuer = self.emulator.flow, self.emulator.issuer
        verifier = request.arg("logout_verifier")
        if verifier:
            entry = self.logouts.pop(verifier, None)
            if entry is not None and entry.get("accepted"):
                flow.sessions.pop(entry["sid"], None)
            clear = ("Set-Cookie", f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax")
            return found(issuer + "oauth2/fallbacks/logout/callback", [clear])
        sid = request.cookies.get(SESSION_COOKIE, "")
        session = flow.sessions.get(sid)
        if session is None:
            return found(issuer + "oauth2/fallbacks/logout/callback")
        challenge = secrets.token_urlsafe(48)
        now = time.time_ns()
        self.logouts[challenge] = {"sid": sid, "subject": session["subject"], "request_url": request.target,
                                   "expires_at": rfc3339_seconds(now + LOGOUT_LIFESPAN * 10**9),
                                   "requested_at": rfc3339_seconds(now)}
        target = self.emulator.logout_url
        return found(target + ("&" if "?" in target else "?") + urlencode({"logout_challenge": challenge}))

    def logout_action(self, challenge: str, action: str) -> dict[str, Any] | None:
        """``GET`` / ``PUT accept`` / ``PUT reject`` of ``/admin/oauth2/auth/requests/logout``."""
        entry = self.logouts.get(challenge)
        if entry is None or entry.get("accepted"):
            raise LOGOUT_NOT_FOUND
        if not action:
            return {"challenge": challenge, "subject": entry["subject"], "sid": entry["sid"],
                    "request_url": entry["request_url"], "rp_initiated": False, "expires_at": entry["expires_at"],
                    "requested_at": entry["requested_at"], "client": None}
        if action == "reject":
            del self.logouts[challenge]
            return None
        verifier = secrets.token_urlsafe(48)
        entry["accepted"] = True
        self.logouts[verifier] = self.logouts.pop(challenge)
        return {"redirect_to": self.emulator.issuer + "oauth2/sessions/logout?" + urlencode(
            {"logout_verifier": verifier})}
