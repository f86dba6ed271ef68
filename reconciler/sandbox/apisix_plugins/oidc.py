"""openid-connect, the plugin whose defaults and invented secret caused the most false drift.

Fields come from the spec's §5.4 table (3.18.0).  Legacy (<= 3.13) differs in three ways the
reconciler must survive: ``ssl_verify`` defaults to false, ``session`` only knows ``secret`` and
``cookie.lifetime``, and a missing session gets a fresh random ``session.secret`` on every write
instead of being rejected.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from reconciler.sandbox.apisix_plugins.base import PluginDef, Schema, Version, is_legacy

_FLAT = [("use_par", "par.enabled"), ("pushed_authorization_request_endpoint", "par.endpoint"),
         ("pushed_authorization_request_endpoint_auth_method", "par.endpoint_auth_method"),
         ("use_dpop", "dpop.enabled"), ("dpop_signing_alg", "dpop.signing_alg"),
         ("dpop_private_key", "dpop.private_key"), ("dpop_public_jwk", "dpop.public_jwk")]
_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "private_key_jwt", "client_secret_jwt"]


def _s(default: Any = None) -> Schema:
    return {"type": "string"} if default is None else {"type": "string", "default": default}


def _b(default: bool) -> Schema:
    return {"type": "boolean", "default": default}


def _i(default: int | None = None, minimum: int | None = None) -> Schema:
    out: Schema = {"type": "integer"}
    if minimum is not None:
        out["minimum"] = minimum
    if default is not None:
        out["default"] = default
    return out


def _session(legacy: bool) -> Schema:
    if legacy:
        return {"type": "object", "properties": {
            "secret": {"type": "string", "minLength": 16},
            "cookie": {"type": "object", "properties": {"lifetime": {"type": "integer"}}}},
            "required": ["secret"], "additionalProperties": False}
    redis: Schema = {"type": "object", "properties": {
        "host": _s("127.0.0.1"), "port": _i(6379), "username": _s(), "password": _s(),
        "database": _i(0), "prefix": _s("sessions"), "ssl": _b(False), "ssl_verify": _b(True),
        "server_name": _s(), "connect_timeout": _i(1000), "send_timeout": _i(1000),
        "read_timeout": _i(1000), "keepalive_timeout": _i(10000)}}
    return {"type": "object", "properties": {
        "secret": {"type": "string", "minLength": 16},
        "cookie_name": _s(), "cookie_path": _s(), "cookie_domain": _s(),
        "cookie_secure": {"type": "boolean"}, "cookie_http_only": {"type": "boolean"},
        "cookie_same_site": {"type": "string", "enum": ["Strict", "Lax", "None", "Default"]},
        "idling_timeout": {"type": "integer"}, "rolling_timeout": {"type": "integer"},
        "absolute_timeout": {"type": "integer"},
        "cookie": {"type": "object", "properties": {"lifetime": {"type": "integer"}}},
        "storage": {"type": "string", "enum": ["cookie", "redis"], "default": "cookie"},
        "redis": redis},
        "if": {"properties": {"storage": {"enum": ["redis"]}}, "required": ["storage"]},
        "then": {"required": ["redis"]},
        "required": ["secret"], "additionalProperties": False}


def _schema(version: tuple[int, ...], legacy: bool) -> Schema:
    props: Schema = {
        "client_id": _s(), "client_secret": _s(), "discovery": _s(), "scope": _s("openid"),
        "ssl_verify": _b(version >= (3, 16)), "timeout": _i(3, 1), "introspection_endpoint": _s(),
        "introspection_endpoint_auth_method": _s("client_secret_basic"),
        "token_endpoint_auth_method": _s("client_secret_basic"), "bearer_only": _b(False),
        "session": _session(legacy), "realm": _s("apisix"),
        "claim_validator": {"type": "object", "properties": {
            "issuer": {"type": "object", "properties": {
                "valid_issuers": {"type": "array", "items": {"type": "string"}}}},
            "audience": {"type": "object", "properties": {
                "claim": _s("aud"), "required": _b(False), "match_with_client_id": _b(False)}}}},
        "logout_path": _s("/logout"), "redirect_uri": _s(), "post_logout_redirect_uri": _s(),
        "unauth_action": {"type": "string", "enum": ["auth", "deny", "pass"], "default": "auth"},
        "public_key": _s(), "use_jwks": _b(False) if version >= (3, 16) else {"type": "boolean"},
        "token_signing_alg_values_expected": _s(), "use_pkce": _b(False),
        "set_access_token_header": _b(True), "access_token_in_authorization_header": _b(False),
        "set_id_token_header": _b(True), "set_userinfo_header": _b(True),
        "set_refresh_token_header": _b(False),
        "proxy_opts": {"type": "object", "properties": {k: _s() for k in (
            "http_proxy", "https_proxy", "http_proxy_authorization", "https_proxy_authorization",
            "no_proxy")}},
        "authorization_params": {"type": "object"},
        "client_rsa_private_key": _s(), "client_rsa_private_key_id": _s(),
        "client_jwt_assertion_expires_in": _i(60), "client_jwt_assertion_audience": _s(),
        "renew_access_token_on_expiry": _b(True), "access_token_expires_in": _i(),
        "refresh_session_interval": _i(), "iat_slack": _i(120), "accept_none_alg": _b(False),
        "accept_unsupported_alg": _b(True), "access_token_expires_leeway": _i(0),
        "force_reauthorize": _b(False), "use_nonce": _b(False), "revoke_tokens_on_logout": _b(False),
        "jwk_expires_in": _i(86400), "jwt_verification_cache_ignore": _b(False),
        "cache_segment": _s(), "introspection_interval": _i(0), "introspection_expiry_claim": _s(),
        "introspection_addon_headers": {"type": "array", "minItems": 1,
                                        "items": {"type": "string", "pattern": "^[^:]*$"}},
        "required_scopes": {"type": "array", "items": {"type": "string"}},
        "claim_schema": {"type": "object"},
    }
    if not legacy:
        props["par"] = {"type": "object", "properties": {
            "enabled": _b(False), "endpoint": _s(),
            "endpoint_auth_method": {"type": "string", "enum": _AUTH_METHODS}}}
        props["dpop"] = {"type": "object", "properties": {
            "enabled": _b(False),
            "signing_alg": {"type": "string", "enum": ["ES256", "RS256", "PS256"], "default": "ES256"},
            "private_key": _s(), "public_jwk": {"type": "object"}}}
        props["set_raw_id_token_header"] = _b(False)
        props["client_jwt_assertion_alg"] = {"type": "string", "enum": [
            "HS256", "HS512", "RS256", "RS512", "ES256", "ES512"]}
    encrypt = ["client_secret", "client_rsa_private_key"]
    if version >= (3, 17):
        encrypt += ["session.secret", "session.redis.password"]
    if version >= (3, 18):
        encrypt.insert(2, "dpop.private_key")
    required = ["client_id", "discovery"] if version >= (3, 17) else ["client_id", "client_secret", "discovery"]
    return {"type": "object", "properties": props, "encrypt_fields": encrypt, "required": required}


def _pre_check(conf: dict[str, Any], schema_type: str, legacy: bool) -> str | None:
    if legacy:
        if not conf.get("session"):
            conf["session"] = {"secret": base64.b64encode(os.urandom(32)).decode()}
        return None
    bearer_only = bool(conf.get("bearer_only"))
    if not bearer_only and not conf.get("session"):
        return 'property "session.secret" is required when "bearer_only" is false'
    if bearer_only:
        optional = bool(conf.get("public_key") or conf.get("use_jwks")
                        or conf.get("introspection_endpoint_auth_method") == "private_key_jwt")
    else:
        optional = bool(conf.get("token_endpoint_auth_method") == "private_key_jwt" or conf.get("use_pkce"))
    if not optional and not conf.get("client_secret"):
        return 'property "client_secret" is required'
    return None


def _post_check(conf: dict[str, Any], schema_type: str, legacy: bool) -> str | None:
    if legacy:
        return None
    for name, owner in _FLAT:
        if name in conf:
            return f'property "{name}" is not allowed, use "{owner}" instead'
    return None


def openid_connect(version: Version) -> PluginDef:
    """openid-connect (priority 2599)."""
    legacy = is_legacy(version)
    return PluginDef("openid-connect", 2599, _schema(version, legacy), version=0.2,
                     pre_check=_pre_check, post_check=_post_check)
