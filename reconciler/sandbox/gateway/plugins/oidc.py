"""The openid-connect plugin (priority 2599, rewrite) of APISIX 3.18.0.

Why it exists: it is the seed's login.  This module is [A] ``apisix/plugins/openid-connect.lua:
rewrite()`` (``shared/spec/apisix-data-plane.md`` §4.2, §4.3, §4.7, §4.8, §4.10, §4.11): strip the
client's identity headers, complete ``redirect_uri``, check a bearer token when the config asks
for one (introspection, or the JWKS with ``use_jwks``), otherwise run the session flow
(``oidc_login``), then enforce ``required_scopes`` and pass the identity upstream in
``X-Access-Token``, ``X-ID-Token`` (base64 of the claims' JSON), ``X-Userinfo`` and the optional
headers.  Failures of the session flow are a 500, as APISIX answers them, so a wrong
``client_secret`` visibly breaks the callback.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from reconciler.sandbox.apisix_jsonschema import validate
from reconciler.sandbox.gateway import jwt
from reconciler.sandbox.gateway.context import Ctx, exit_json, nginx_page
from reconciler.sandbox.gateway.idp import IdpError, Provider
from reconciler.sandbox.gateway.plugins.oidc_login import FlowError, LoginFlow
from reconciler.sandbox.gateway.session import Session
from reconciler.sandbox.http import Response

if TYPE_CHECKING:
    from reconciler.sandbox.gateway.gateway import Gateway

LOG = logging.getLogger(__name__)
IDENTITY_HEADERS = ("x-access-token", "x-userinfo", "x-id-token", "x-refresh-token", "x-raw-id-token")


def b64json(value: Any) -> str:
    """Standard padded base64 of compact JSON (``/`` unescaped, as APISIX's patched cjson)."""
    return base64.b64encode(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()).decode()


def redirect_uri(conf: dict[str, Any], ctx: Ctx) -> str | None:
    """The configured or default callback, made absolute with ``http://<Host>``; None without a host."""
    uri = conf.get("redirect_uri")
    if not uri:
        path = ctx.request.path
        uri = path if path.endswith("/.apisix/redirect") else path.removesuffix("/") + "/.apisix/redirect"
    uri = str(uri)
    if uri.startswith("/"):
        host = ctx.client_host_header
        if not host:
            return None
        return f"http://{host}{uri}"
    return uri


def _scopes_refused(required: list[str]) -> Response:
    """403 naming every required scope, in configuration order ([A] ``rewrite()``)."""
    return exit_json(403, {"error": f"required scopes {', '.join(map(str, required))} not present"}, newline=False)


def _claim_schema(conf: dict[str, Any], claims: dict[str, Any]) -> Response | None:
    """``claim_schema`` ([A] ``validate_claims_in_oidcauth_response()``): 401 ``invalid_token`` on a mismatch."""
    schema = conf.get("claim_schema")
    if not isinstance(schema, dict):
        return None
    error = validate(schema, claims)
    if error is None:
        return None
    LOG.warning("OIDC claim validation failed: %s", error)
    realm = str(conf.get("realm") or "apisix")
    value = f'Bearer realm="{realm}", error="invalid_token", error_description="{error}"'
    return nginx_page(401, [("WWW-Authenticate", value)])


class OpenIdConnect:
    """The plugin; its provider caches are shared by every route, like nginx shared dicts."""

    name = "openid-connect"
    priority = 2599
    phase = "rewrite"
    auth = False

    def __init__(self, gateway: Gateway) -> None:
        self.provider = Provider(gateway.http)

    async def run(self, conf: dict[str, Any], ctx: Ctx) -> Response | None:
        """[A] ``rewrite()``."""
        for name in IDENTITY_HEADERS:
            ctx.upstream_headers.pop(name, None)
        uri = redirect_uri(conf, ctx)
        if uri is None:
            return nginx_page(400)
        bearer_mode = bool(conf.get("bearer_only") or conf.get("introspection_endpoint")
                           or conf.get("public_key") or conf.get("use_jwks"))
        if bearer_mode:
            answer = await self._bearer(conf, ctx)
            if answer is not None or conf.get("bearer_only"):
                return answer if isinstance(answer, Response) else None
        action = str(conf.get("unauth_action") or "auth")
        try:
            outcome = await LoginFlow(conf, ctx, self.provider, uri).authenticate(action)
        except (FlowError, IdpError) as exc:
            LOG.warning("OIDC authentication failed: %s", exc)
            return nginx_page(500)
        if isinstance(outcome, Response):
            return outcome
        if outcome is None:
            return None
        return self._serve(conf, ctx, outcome)

    def _serve(self, conf: dict[str, Any], ctx: Ctx, session: Session) -> Response | None:
        data = session.data
        checked = {"user": data.get("user"), "access_token": data.get("access_token"), "id_token": data.get("id_token")}
        refused = _claim_schema(conf, {k: v for k, v in checked.items() if v is not None})
        if refused is not None:
            return refused
        required = conf.get("required_scopes")
        if required:
            token_scope: Any = None
            try:
                token_scope = jwt.parse(str(data.get("access_token") or "")).claims.get("scope")
            except jwt.JwtError:
                token_scope = None
            if token_scope is None:
                token_scope = (data.get("id_token") or {}).get("scope")
            if not isinstance(token_scope, str):
                return exit_json(403, {"error": "required scopes not present"}, newline=False)
            if not set(required) <= set(token_scope.split()):
                return _scopes_refused(required)
        headers = ctx.upstream_headers
        token = data.get("access_token")
        if token and conf.get("set_access_token_header", True) is not False:
            if conf.get("access_token_in_authorization_header"):
                headers["authorization"] = f"Bearer {token}"
            else:
                headers["x-access-token"] = str(token)
        if data.get("id_token") and conf.get("set_id_token_header", True) is not False:
            headers["x-id-token"] = b64json(data["id_token"])
        if data.get("user") and conf.get("set_userinfo_header", True) is not False:
            headers["x-userinfo"] = b64json(data["user"])
        if data.get("refresh_token") and conf.get("set_refresh_token_header"):
            headers["x-refresh-token"] = str(data["refresh_token"])
        if data.get("enc_id_token") and conf.get("set_raw_id_token_header"):
            headers["x-raw-id-token"] = str(data["enc_id_token"])
        return None

    # -- bearer tokens (§4.10) ------------------------------------------------------------------

    async def _bearer(self, conf: dict[str, Any], ctx: Ctx) -> Response | bool | None:
        """A Response ends the request; True: the token passed; None: no token (session flow next)."""
        realm = str(conf.get("realm") or "apisix")
        header = ctx.request.headers.get("authorization")
        token: str | None = None
        if header is not None:
            scheme, sep, value = header.partition(" ")
            if not sep:
                LOG.warning("OIDC introspection failed: Invalid Authorization header format.")
                return nginx_page(400)
            if scheme.lower() == "bearer":
                token = value.strip()
        elif "x-access-token" in ctx.request.headers:
            # [A] ``get_bearer_access_token()`` counts it as a token, but lua-resty-openidc reads
            # only ``Authorization``, so the check fails.
            LOG.warning("OIDC introspection failed: no Authorization header found")
            return self._unauthorized(realm, "no Authorization header found")
        if token is None:
            if conf.get("bearer_only"):
                LOG.warning("OIDC introspection failed: No bearer token found in request.")
                return nginx_page(401, [("WWW-Authenticate", f'Bearer realm="{realm}"')])
            return None
        try:
            claims = await self._verify(conf, token)
        except (IdpError, jwt.JwtError) as exc:
            LOG.warning("OIDC introspection failed: %s", exc)
            return self._unauthorized(realm, str(exc))
        denied = self._claims_allowed(conf, claims) or _claim_schema(conf, claims)
        if denied is not None:
            return denied
        if conf.get("access_token_in_authorization_header"):
            ctx.upstream_headers["authorization"] = f"Bearer {token}"
        else:
            ctx.upstream_headers["x-access-token"] = token
        if conf.get("set_userinfo_header", True) is not False:
            ctx.upstream_headers["x-userinfo"] = b64json(claims)
        return True

    @staticmethod
    def _unauthorized(realm: str, error: str) -> Response:
        value = f'Bearer realm="{realm}", error="invalid_token", error_description="{error}"'
        return nginx_page(401, [("WWW-Authenticate", value)])

    async def _verify(self, conf: dict[str, Any], token: str) -> dict[str, Any]:
        if conf.get("public_key") or conf.get("use_jwks"):
            try:
                discovery = await self.provider.discover(conf)
            except IdpError as exc:
                raise IdpError("issuer validation unavailable") from exc
            parsed = jwt.parse(token)
            alg = str(parsed.header.get("alg", ""))
            if not alg.startswith("RS"):
                raise jwt.JwtError(f"jwt signature verification failed: unsupported algorithm {alg}")
            keys = [] if conf.get("public_key") else await self.provider.jwks(conf, discovery)
            allowed = conf.get("token_signing_alg_values_expected")
            jwt.verify_signature(parsed, jwks=keys, secret=None,
                                 allowed_algs=[allowed] if isinstance(allowed, str) else allowed,
                                 accept_none=False, accept_unsupported=False)
            issuers = ((conf.get("claim_validator") or {}).get("issuer") or {}).get("valid_issuers") \
                or [discovery.get("issuer")]
            if parsed.claims.get("iss") not in issuers:
                raise jwt.JwtError(f"jwt signature verification failed: Claim 'iss' ('{parsed.claims.get('iss')}') "
                                   "returned failure")
            exp = parsed.claims.get("exp")
            if isinstance(exp, (int, float)) and exp + int(conf.get("iat_slack", 120)) < time.time():
                raise jwt.JwtError("JWT expired")
            return parsed.claims
        document = None if conf.get("introspection_endpoint") else await self.provider.discover(conf)
        return await self.provider.introspect(conf, document, token)

    @staticmethod
    def _claims_allowed(conf: dict[str, Any], claims: dict[str, Any]) -> Response | None:
        required = conf.get("required_scopes")
        granted = claims.get("scope")
        if required and not set(required) <= set(granted.split() if isinstance(granted, str) else []):
            return _scopes_refused(required)
        audience = (conf.get("claim_validator") or {}).get("audience") or {}
        if audience:
            value = claims.get(str(audience.get("claim") or "aud"))
            if value is None:
                if audience.get("required") or audience.get("match_with_client_id"):
                    return exit_json(403, {"error": "required audience claim not present"}, newline=False)
            elif audience.get("match_with_client_id"):
                values = value if isinstance(value, list) else [value]
                if conf.get("client_id") not in values:
                    return exit_json(403, {"error": "mismatched audience"}, newline=False)
        return None
