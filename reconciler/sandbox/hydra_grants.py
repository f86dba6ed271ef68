"""The emulated Hydra's tokens: authorization codes, the code and refresh grants, ID tokens.

After consent the flow ends with a code; a gateway exchanges it at ``/oauth2/token``, verifies
the RS256 ID token with the JWKS, calls ``/userinfo``, later refreshes, and a bearer-only route
asks ``/admin/oauth2/introspect``.  The checks and texts follow fosite v0.49
(``handler/oauth2/flow_authorize_code_token.go``, ``flow_refresh.go``, ``handler/pkce/handler.go``,
``handler/openid/``) as Hydra v2.3.0 wires it: the grant type must be allowed for the client
(``unauthorized_client``) before the code is looked up; an unknown code is ``invalid_grant``
without a hint; a code or refresh token used twice is refused and revokes what it issued;
PKCE is checked only when the authorization request carried a challenge.  Tokens are HMAC-style
opaque strings with Hydra's prefixes (``ory_ac_``, ``ory_at_``, ``ory_rt_``); lifespans default
to Hydra's (access and ID token 1 h, refresh 720 h, code 10 min) or the client's own.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid
from typing import TYPE_CHECKING, Any

from reconciler.sandbox.hydra_keys import SigningKeys, at_hash, b64url
from reconciler.sandbox.hydra_public import INVALID_GRANT, INVALID_REQUEST, UNAUTHORIZED_CLIENT, OAuthError

if TYPE_CHECKING:
    from reconciler.sandbox.hydra import HydraEmulator
    from reconciler.sandbox.hydra_flow import Flow

HOUR = 3600
DEFAULTS = {"access": HOUR, "id": HOUR, "refresh": 720 * HOUR}
CODE_LIFESPAN = 600
MIN_NONCE = 8
_VERIFIER_BAD = re.compile(r"[^\w.\-~]")


def opaque(prefix: str) -> str:
    """A token in Hydra's HMAC format: ``<prefix><key>.<signature>``."""
    return prefix + secrets.token_urlsafe(32) + "." + secrets.token_urlsafe(32)


def _grant_error(hint: str = "") -> OAuthError:
    return OAuthError(400, "invalid_grant", f"{INVALID_GRANT} {hint}".strip())


def _not_allowed(grant: str) -> OAuthError:
    return OAuthError(400, "unauthorized_client", f"{UNAUTHORIZED_CLIENT} The OAuth 2.0 Client is not allowed "
                      f"to use authorization grant '{grant}'.")


class Grants:
    """Codes and tokens in memory; every token remembers the request (grant chain) it belongs to."""

    def __init__(self, emulator: HydraEmulator) -> None:
        self.emulator = emulator
        self.keys = SigningKeys()
        self.codes: dict[str, dict[str, Any]] = {}
        self.access: dict[str, dict[str, Any]] = {}
        self.refresh: dict[str, dict[str, Any]] = {}

    def _lifespan(self, client: dict[str, Any], grant: str, kind: str) -> int:
        value = client.get(f"{grant}_grant_{kind}_token_lifespan")
        return int(value) // 1_000_000_000 if value else DEFAULTS[kind]

    # --- authorization endpoint ------------------------------------------------------------

    def authorize(self, flow: Flow, consent: dict[str, Any]) -> dict[str, str]:
        """The final step of ``/oauth2/auth``: PKCE parameters checked, then a code."""
        challenge = flow.params.get("code_challenge", "")
        method = flow.params.get("code_challenge_method", "")
        if challenge and method in ("plain", ""):  # Hydra leaves fosite's EnablePKCEPlainChallengeMethod off
            return {"error": "invalid_request", "error_description": f"{INVALID_REQUEST} Clients must use "
                    "code_challenge_method=S256, plain is not allowed."}
        if challenge and method != "S256":
            return {"error": "invalid_request", "error_description": f"{INVALID_REQUEST} The code_challenge_method "
                    "is not supported, use S256 instead."}
        granted = list(consent.get("grant_scope") or [])
        code = opaque("ory_ac_")
        session = consent.get("session") or {}
        self.codes[code] = {
            "client_id": flow.client_id, "redirect_uri": flow.params.get("redirect_uri", ""), "scope": granted,
            "audience": list(consent.get("grant_access_token_audience") or []), "subject": flow.subject,
            "nonce": flow.params.get("nonce", ""), "challenge": challenge, "method": method,
            "auth_time": flow.auth_time, "sid": flow.session_id, "request_id": str(uuid.uuid4()),
            "id_claims": dict(session.get("id_token") or {}), "ext": dict(session.get("access_token") or {}),
            "expires": time.time() + CODE_LIFESPAN, "used": False, "requested_at": int(time.time())}
        return {"code": code, "scope": " ".join(granted)}

    # --- token endpoint --------------------------------------------------------------------

    def exchange(self, client: dict[str, Any], form: dict[str, list[str]]) -> dict[str, Any]:
        """``grant_type=authorization_code`` for an authenticated client."""
        if "authorization_code" not in (client["grant_types"] or []):
            raise _not_allowed("authorization_code")
        code = (form.get("code") or [""])[0]
        record = self.codes.get(code)
        if record is None:
            raise _grant_error()
        if record["used"]:
            self._revoke_request(record["request_id"])
            raise _grant_error("The authorization code has already been used.")
        if record["expires"] < time.time():
            raise _grant_error("The authorization code has expired.")
        if record["client_id"] != client["client_id"]:
            raise _grant_error("The OAuth 2.0 Client ID from this request does not match the one from the "
                               "authorize request.")
        if (form.get("redirect_uri") or [""])[0] != record["redirect_uri"]:
            raise _grant_error("The 'redirect_uri' from this request does not match the one from the authorize "
                               "request.")
        self._check_pkce(record, (form.get("code_verifier") or [""])[0])
        record["used"] = True
        if "openid" in record["scope"] and 0 < len(record["nonce"]) < MIN_NONCE:
            raise OAuthError(400, "insufficient_entropy", "The request used a security parameter (e.g., anti-replay, "
                             f"anti-csrf) with insufficient entropy. Parameter 'nonce' is set but does not satisfy "
                             f"the minimum entropy of {MIN_NONCE} characters.")
        return self._issue(client, record, "authorization_code", nonce=record["nonce"])

    @staticmethod
    def _check_pkce(record: dict[str, Any], verifier: str) -> None:
        challenge, method = record["challenge"], record["method"]
        if not challenge and not verifier:
            return
        if len(verifier) < 43:
            raise _grant_error("The PKCE code verifier must be at least 43 characters.")
        if len(verifier) > 128:
            raise _grant_error("The PKCE code verifier can not be longer than 128 characters.")
        if _VERIFIER_BAD.search(verifier):
            raise _grant_error("The PKCE code verifier must only contain [a-Z], [0-9], '-', '.', '_', '~'.")
        if method == "S256":
            matches = b64url(hashlib.sha256(verifier.encode()).digest()) == challenge
        else:
            matches = verifier == challenge
        if not matches:
            raise _grant_error("The PKCE code challenge did not match the code verifier.")

    def refresh_grant(self, client: dict[str, Any], form: dict[str, list[str]]) -> dict[str, Any]:
        """``grant_type=refresh_token``: rotate the refresh token, issue new tokens."""
        if "refresh_token" not in (client["grant_types"] or []):
            raise _not_allowed("refresh_token")
        token = (form.get("refresh_token") or [""])[0]
        record = self.refresh.get(token)
        if record is None or not record["active"] or record["expires"] < time.time():
            raise _grant_error("The refresh token is malformed or not valid.")
        if record["used"]:
            self._revoke_request(record["request_id"])
            raise _grant_error("The refresh token was already used.")
        if record["client_id"] != client["client_id"]:
            raise _grant_error("The OAuth 2.0 Client ID from this request does not match the ID during the "
                               "initial token issuance.")
        record["used"] = True
        for other in self.access.values():
            if other["request_id"] == record["request_id"]:
                other["active"] = False
        return self._issue(client, dict(record), "refresh_token", nonce=record["nonce"])

    def _issue(self, client: dict[str, Any], grant: dict[str, Any], kind: str, *, nonce: str) -> dict[str, Any]:
        now = int(time.time())
        scope: list[str] = grant["scope"]
        access_life = self._lifespan(client, kind, "access")
        access = opaque("ory_at_")
        base = {"client_id": client["client_id"], "subject": grant["subject"], "scope": scope,
                "audience": grant["audience"], "request_id": grant["request_id"], "iat": now,
                "ext": grant["ext"], "id_claims": grant["id_claims"], "auth_time": grant["auth_time"],
                "requested_at": grant["requested_at"], "sid": grant["sid"], "nonce": grant["nonce"],
                "active": True, "used": False}
        self.access[access] = {**base, "expires": now + access_life, "use": "access_token"}
        out: dict[str, Any] = {"access_token": access, "expires_in": access_life - 1}
        if "openid" in scope:
            out["id_token"] = self.id_token(client, base, access, nonce, self._lifespan(client, kind, "id"))
        if {"offline", "offline_access"} & set(scope) and "refresh_token" in (client["grant_types"] or []):
            refresh = opaque("ory_rt_")
            life = self._lifespan(client, kind, "refresh")
            self.refresh[refresh] = {**base, "expires": now + life, "use": "refresh_token"}
            out["refresh_token"] = refresh
        out.update({"scope": " ".join(scope), "token_type": "bearer"})
        return out

    def id_token(self, client: dict[str, Any], grant: dict[str, Any], access: str, nonce: str, life: int) -> str:
        """An RS256 ID token with the claims real Hydra puts in one."""
        now = int(time.time())
        claims: dict[str, Any] = {**grant["id_claims"], "at_hash": at_hash(access), "aud": [client["client_id"]],
                                  "auth_time": grant["auth_time"], "exp": now + life, "iat": now,
                                  "iss": self.emulator.issuer, "jti": str(uuid.uuid4()),
                                  "rat": grant["requested_at"], "sid": grant["sid"], "sub": grant["subject"]}
        if nonce:
            claims["nonce"] = nonce
        return self.keys.sign(claims)

    # --- introspection, userinfo, revocation -----------------------------------------------

    def lookup(self, token: str) -> dict[str, Any] | None:
        """The active, unexpired access or refresh token, or None."""
        record = self.access.get(token) or self.refresh.get(token)
        if record is None or not record["active"] or record["expires"] < time.time():
            return None
        if record["use"] == "refresh_token" and record["used"]:
            return None
        return record

    def introspection(self, token: str) -> dict[str, Any]:
        """``POST /admin/oauth2/introspect``'s body for one token."""
        record = self.lookup(token)
        if record is None:
            return {"active": False}
        out: dict[str, Any] = {"active": True}
        if record["scope"]:
            out["scope"] = " ".join(record["scope"])
        out.update({"client_id": record["client_id"], "sub": record["subject"] or record["client_id"],
                    "exp": record["expires"], "iat": record["iat"], "nbf": record["iat"],
                    "aud": record["audience"], "iss": self.emulator.issuer})
        if record["ext"]:
            out["ext"] = record["ext"]
        out.update({"token_type": "Bearer", "token_use": record["use"]})
        return out

    def userinfo(self, token: str) -> dict[str, Any] | None:
        """``/userinfo`` claims for an active access token, or None."""
        record = self.access.get(token)
        if record is None or self.lookup(token) is None:
            return None
        claims: dict[str, Any] = {**record["id_claims"], "aud": [record["client_id"]], "iat": record["iat"],
                                  "iss": self.emulator.issuer}
        if record["subject"]:
            claims.update({"auth_time": record["auth_time"], "rat": record["requested_at"],
                           "sub": record["subject"]})
        return claims

    def revoke(self, client_id: str, token: str) -> None:
        """RFC 7009 for one client's token: fosite revokes every token of the same grant with it."""
        record = self.access.get(token) or self.refresh.get(token)
        if record is not None and record["client_id"] == client_id:
            self._revoke_request(record["request_id"])

    def _revoke_request(self, request_id: str) -> None:
        for store in (self.access, self.refresh):
            for record in store.values():
                if record["request_id"] == request_id:
                    record["active"] = False

    def revoke_subject(self, subject: str, client_id: str | None) -> None:
        """Revoking a consent revokes the tokens issued under it (Hydra's consent session delete)."""
        for store in (self.access, self.refresh):
            for record in store.values():
                if record["subject"] == subject and (client_id is None or record["client_id"] == client_id):
                    record["active"] = False

    def register_client_token(self, client_id: str, token: str, scope: list[str], audience: list[str],
                              life: int) -> None:
        """Remember a client-credentials token so that introspection and revocation know it."""
        now = int(time.time())
        self.access[token] = {"client_id": client_id, "subject": "", "scope": scope, "audience": audience,
                              "request_id": str(uuid.uuid4()), "iat": now, "ext": {}, "id_claims": {},
                              "auth_time": 0, "requested_at": now, "sid": "", "nonce": "", "active": True,
                              "used": False, "expires": now + life, "use": "access_token"}
