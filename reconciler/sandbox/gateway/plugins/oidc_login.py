"""The openid-connect session flow: redirect to the provider, the callback, refresh, logout.

Why its own module: this is lua-resty-openidc 1.9.0's ``openidc.authenticate()`` as APISIX
3.18 drives it, and it is the part a login depends on (``shared/spec/apisix-data-plane.md``
§4.3, §4.5, §4.9; [O] ``openidc_authorize()``, ``openidc_authorization_response()``,
``openidc_access_token()``, ``openidc_logout()``; [A] ``apisix/plugins/openid-connect.lua:
rewrite()`` for the 3.18 restarts, ``MAX_AUTH_FLOW_RESTARTS = 3``).  ``authenticate`` returns a
Response that ends the request, or the session to serve the request from (None: unauthenticated
and ``unauth_action: pass``).  Errors are ``FlowError``; the plugin answers them with 500.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from reconciler.sandbox.gateway import jwt
from reconciler.sandbox.gateway.context import Ctx, nginx_page
from reconciler.sandbox.gateway.idp import IdpError, Provider
from reconciler.sandbox.gateway.session import Session, SessionCookie
from reconciler.sandbox.http import Response

LOG = logging.getLogger(__name__)
MAX_AUTH_FLOW_RESTARTS = 3
STATE_MAX_AGE = 300
STATE_MAX_COUNT = 10
NO_CACHE = ("Cache-Control", "no-cache, no-store, max-age=0")
LOGGED_OUT = b"<html><body>Logged Out</body></html>\n"


class FlowError(Exception):
    """A failed authentication step; the text is what APISIX logs (``OIDC authentication failed``)."""


def _path(target: str) -> str:
    return target.split("?", 1)[0]


class LoginFlow:
    """One request's session flow under one openid-connect config."""

    def __init__(self, conf: dict[str, Any], ctx: Ctx, provider: Provider, redirect_uri: str) -> None:
        self.conf = conf
        self.ctx = ctx
        self.provider = provider
        self.redirect_uri = redirect_uri
        self.cookie = SessionCookie(conf.get("session") or {})
        self.session: Session = self.cookie.open(ctx.request.cookies)
        self.now = time.time()

    def _save(self) -> list[tuple[str, str]]:
        return self.cookie.save(self.session, self.now)

    def _redirect(self, location: str, extra: list[tuple[str, str]] | None = None) -> Response:
        response = nginx_page(302, [("Location", location), *(extra or [])])
        response.headers.extend(self._save())
        return response

    async def authenticate(self, action: str) -> Response | Session | None:
        """Run the flow; see the module docstring for what the result means."""
        target = self.ctx.request.target
        if _path(target) == urlsplit(self.redirect_uri).path:
            return await self._callback()
        if _path(target) == self.conf.get("logout_path", "/logout"):
            return await self._logout()
        data = self.session.data
        if data.get("authenticated") and not self.conf.get("force_reauthorize"):
            interval = self.conf.get("refresh_session_interval")
            if interval and self.now - float(data.get("last_authenticated", 0)) > float(interval):
                return await self._authorize(prompt_none=True) if action == "auth" else None
            if await self._access_token_ok():
                if data.pop("auth_flow_restarts", None) is not None or self.cookie.stale(self.session, self.now):
                    self.ctx.response_headers.extend(self._save())
                return self.session
        if action == "pass":
            return None
        if action == "deny":
            return nginx_page(401)
        return await self._authorize()

    # -- step 1: to the provider ----------------------------------------------------------

    async def _authorize(self, prompt_none: bool = False) -> Response:
        discovery = await self._discover()
        state = os.urandom(16).hex()
        params: dict[str, str] = {"response_type": "code", "client_id": str(self.conf.get("client_id", "")),
                                  "scope": str(self.conf.get("scope") or "openid"),
                                  "redirect_uri": self.redirect_uri, "state": state}
        pending: dict[str, Any] = {"original_url": self.ctx.request.target, "created_at": int(self.now)}
        if self.conf.get("use_nonce"):
            pending["nonce"] = params["nonce"] = os.urandom(16).hex()
        if self.conf.get("use_pkce"):
            verifier = jwt.b64url(os.urandom(32))
            pending["code_verifier"] = verifier
            params["code_challenge"] = jwt.b64url(hashlib.sha256(verifier.encode()).digest())
            params["code_challenge_method"] = "S256"
        for key in ("prompt", "display", "response_mode"):
            if self.conf.get(key):
                params[key] = str(self.conf[key])
        if prompt_none:
            params["prompt"] = "none"
        params.update({str(k): str(v) for k, v in (self.conf.get("authorization_params") or {}).items()})
        data = self.session.data
        states: dict[str, Any] = data.get("authorization_states") or {}
        fresh = {k: v for k, v in states.items() if self.now - float(v.get("created_at", 0)) <= STATE_MAX_AGE}
        kept = dict(sorted(fresh.items(), key=lambda kv: kv[1].get("created_at", 0))[-(STATE_MAX_COUNT - 1):])
        kept[state] = pending
        data["authorization_states"] = kept
        data.update({"state": state, "original_url": pending["original_url"], "last_authenticated": int(self.now)})
        for key in ("nonce", "code_verifier"):
            if key in pending:
                data[key] = pending[key]
            else:
                data.pop(key, None)
        endpoint = str(discovery.get("authorization_endpoint", ""))
        location = endpoint + ("&" if "?" in endpoint else "?") + urlencode(params, quote_via=quote)
        return self._redirect(location, [NO_CACHE])

    async def _discover(self) -> dict[str, Any]:
        try:
            return await self.provider.discover(self.conf)
        except IdpError as exc:
            raise FlowError(str(exc)) from exc

    # -- step 2: the callback ---------------------------------------------------------------

    def _restart(self, original_url: str | None, reason: str) -> Response:
        """3.18: send a GET with a session back to where it started, at most three times in a row."""
        data = self.session.data
        count = int(data.get("auth_flow_restarts", 0)) + 1
        if self.ctx.request.method != "GET" or not original_url or count > MAX_AUTH_FLOW_RESTARTS:
            raise FlowError(reason)
        data["auth_flow_restarts"] = count
        return self._redirect(original_url)

    async def _callback(self) -> Response:
        data = self.session.data
        if not data:
            raise FlowError("request to the redirect_uri path but there's no session state found")
        args = parse_qs(self.ctx.request.raw_query, keep_blank_values=True)
        code, state = (args.get("code") or [""])[0], (args.get("state") or [""])[0]
        states: dict[str, Any] = data.get("authorization_states") or {}
        if not code or not state:
            reason = f"unhandled request to the redirect_uri: {self.ctx.request.target}"
            if (args.get("error") or [""])[0] == "temporarily_unavailable" and state:
                if state in states:
                    return self._restart(states[state].get("original_url"), reason)
                if state == data.get("state"):
                    return self._restart(data.get("original_url"), reason)
            raise FlowError(reason)
        pending = states.get(state)
        if pending is None and data.get("state") == state:
            pending = {k: data.get(k) for k in ("nonce", "code_verifier", "original_url")}
        if pending is None:
            return self._restart(data.get("original_url"),
                                 "state from argument does not match state restored from session")
        discovery = await self._discover()
        for arg, expected in (("iss", discovery.get("issuer")), ("client_id", self.conf.get("client_id"))):
            if args.get(arg) and args[arg][0] != expected:
                raise FlowError(f"{arg} from argument does not match expected {arg}")
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri,
                "state": state}
        if pending.get("code_verifier"):
            form["code_verifier"] = str(pending["code_verifier"])
        tokens = await self._token(discovery, form)
        if not tokens.get("id_token"):
            raise FlowError("token response has no id_token")
        await self._store_tokens(discovery, tokens, nonce=pending.get("nonce"))
        states.pop(state, None)
        if states:
            data["authorization_states"] = states
        else:
            data.pop("authorization_states", None)
        data["authenticated"] = True
        data.pop("auth_flow_restarts", None)
        await self._userinfo(discovery)
        return self._redirect(str(pending.get("original_url") or "/"))

    async def _token(self, discovery: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        try:
            return await self.provider.token(self.conf, discovery, form)
        except IdpError as exc:
            raise FlowError(str(exc)) from exc

    async def _store_tokens(self, discovery: dict[str, Any], tokens: dict[str, Any], nonce: Any) -> None:
        data = self.session.data
        raw_id = tokens.get("id_token")
        if raw_id:
            data["id_token"] = await self._verified_claims(discovery, str(raw_id),
                                                           str(nonce) if nonce else None)
            data["enc_id_token"] = raw_id
        data["access_token"] = tokens.get("access_token")
        lifetime = tokens.get("expires_in") or self.conf.get("access_token_expires_in") or 3600
        leeway = float(self.conf.get("access_token_expires_leeway") or 0)
        data["access_token_expiration"] = self.now + float(lifetime) - 1 - leeway
        if tokens.get("refresh_token"):
            data["refresh_token"] = tokens["refresh_token"]
        data["last_authenticated"] = int(self.now)

    async def _verified_claims(self, discovery: dict[str, Any], raw: str, nonce: str | None) -> dict[str, Any]:
        try:
            token = jwt.parse(raw)
            keys = None
            if str(token.header.get("alg", "")).startswith("RS"):
                keys = await self.provider.jwks(self.conf, discovery)
                if token.header.get("kid") and jwt.pick_jwk(keys, str(token.header["kid"])) is None:
                    keys = await self.provider.jwks(self.conf, discovery, force=True)
            algs = discovery.get("id_token_signing_alg_values_supported")
            jwt.verify_signature(token, jwks=keys, secret=self.conf.get("client_secret"),
                                 allowed_algs=algs if isinstance(algs, list) else None,
                                 accept_none=bool(self.conf.get("accept_none_alg")),
                                 accept_unsupported=self.conf.get("accept_unsupported_alg", True) is not False)
            jwt.validate_id_token(token.claims, issuer=str(discovery.get("issuer")),
                                  client_id=str(self.conf.get("client_id")), nonce=nonce, now=self.now,
                                  slack=int(self.conf.get("iat_slack", 120)))
        except (jwt.JwtError, IdpError) as exc:
            raise FlowError(f"id_token validation failed: {exc}") from exc
        return token.claims

    async def _userinfo(self, discovery: dict[str, Any]) -> None:
        data = self.session.data
        if not discovery.get("userinfo_endpoint") or not data.get("access_token"):
            return
        try:
            user = await self.provider.userinfo(self.conf, discovery, str(data["access_token"]))
        except IdpError as exc:
            LOG.warning("error calling userinfo endpoint: %s", exc)
            return
        if user.get("sub") != (data.get("id_token") or {}).get("sub"):
            LOG.warning("\"sub\" claim in userinfo response does not match the id_token's; userinfo dropped")
            return
        data["user"] = user

    # -- step 3: an authenticated session ---------------------------------------------------

    async def _access_token_ok(self) -> bool:
        """[O] ``openidc_access_token()``: renew an expired token with the refresh token."""
        data = self.session.data
        if not data.get("access_token") or self.now < float(data.get("access_token_expiration", 0)):
            return True
        if self.conf.get("renew_access_token_on_expiry", True) is False:
            data.pop("access_token", None)
            return True
        if not data.get("refresh_token"):
            LOG.warning("lost access token: no refresh token")
            return False
        try:
            discovery = await self.provider.discover(self.conf)
            tokens = await self.provider.token(self.conf, discovery, {
                "grant_type": "refresh_token", "refresh_token": str(data["refresh_token"]),
                "scope": str(self.conf.get("scope") or "openid")})
            await self._store_tokens(discovery, tokens, nonce=None)
        except (IdpError, FlowError) as exc:
            LOG.warning("lost access token: %s", exc)
            return False
        self.ctx.response_headers.extend(self._save())
        return True

    # -- logout -----------------------------------------------------------------------------

    async def _logout(self) -> Response:
        data = self.session.data
        hint = data.get("enc_id_token")
        headers = self.cookie.destroy(self.session) if data or self.session.present else []
        try:
            discovery = await self.provider.discover(self.conf)
        except IdpError as exc:
            LOG.warning("OIDC logout failed: %s", exc)
            return nginx_page(503)
        accept = self.ctx.request.headers.get("accept", "")
        if "image/png" in accept and "text/html" not in accept:
            return Response(200, b"", [("Content-Type", "image/png"), NO_CACHE, *headers])
        end_session = discovery.get("end_session_endpoint")
        post_logout = self.conf.get("post_logout_redirect_uri")
        if end_session:
            params = {}
            if hint:
                params["id_token_hint"] = str(hint)
            if post_logout:
                params["post_logout_redirect_uri"] = str(post_logout)
            sep = "&" if "?" in str(end_session) else "?"
            location = str(end_session) + (sep + urlencode(params, quote_via=quote) if params else "")
            return nginx_page(302, [("Location", location), *headers])
        if post_logout and self.ctx.request.target == self.conf.get("logout_path", "/logout"):
            location = f"{post_logout}?post_logout_redirect_uri={quote(str(post_logout), safe='')}"
            return nginx_page(302, [("Location", location), *headers])
        return Response(200, LOGGED_OUT, [("Content-Type", "text/html"), *headers])
