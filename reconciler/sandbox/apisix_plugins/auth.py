"""key-auth, basic-auth and jwt-auth (3.18.0 sources; the jwt-auth legacy variant from 3.13).

Why these three: they are the auth plugins consumers and credentials carry, and their
consumer schemas decide which fields are encrypted (``key``, ``password``, ``secret``).
"""

from __future__ import annotations

import base64
import os
from typing import Any

from reconciler.sandbox.apisix_plugins.base import Check, PluginDef, Schema, Version

_ANON: Schema = {"type": "string", "minLength": 1}
HS = ["HS256", "HS384", "HS512"]
ASYM = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"]


def realm(default: str) -> Schema:
    """``schema_def.get_realm_schema``."""
    return {"type": "string", "pattern": "^[\x20-\x21\x23-\x5b\\]-\x7e]+$", "default": default,
            "minLength": 1, "maxLength": 128}


def key_auth(version: Version) -> PluginDef:
    """key-auth: header/query on routes, ``key`` (encrypted) on consumers."""
    props: Schema = {"header": {"type": "string", "default": "apikey"},
                     "query": {"type": "string", "default": "apikey"},
                     "hide_credentials": {"type": "boolean", "default": False},
                     "anonymous_consumer": _ANON}
    if version >= (3, 15):
        props["realm"] = realm("key")
    return PluginDef("key-auth", 2500, {"type": "object", "properties": props},
                     consumer_schema={"type": "object", "properties": {"key": {"type": "string"}},
                                      "encrypt_fields": ["key"], "required": ["key"]},
                     auth=True)


def basic_auth(version: Version) -> PluginDef:
    """basic-auth: ``username`` and ``password`` (encrypted) on consumers."""
    props: Schema = {"hide_credentials": {"type": "boolean", "default": False}, "anonymous_consumer": _ANON}
    if version >= (3, 15):
        props["realm"] = realm("basic")
    return PluginDef("basic-auth", 2520, {"type": "object", "title": "work with route or service object",
                                          "properties": props},
                     consumer_schema={"type": "object", "title": "work with consumer object",
                                      "properties": {"username": {"type": "string"},
                                                     "password": {"type": "string"}},
                                      "encrypt_fields": ["password"], "required": ["username", "password"]},
                     auth=True)


def _jwt_check(message: str) -> Check:
    def check(conf: dict[str, Any], schema_type: str, legacy: bool) -> str | None:
        if schema_type != "consumer":
            return None
        algorithm = conf.get("algorithm", "HS256")
        if legacy:
            if algorithm not in ("RS256", "ES256") and not conf.get("secret"):
                conf["secret"] = base64.b64encode(os.urandom(32)).decode()
            return None
        if algorithm in HS and not conf.get("secret"):
            return message
        return None
    return check


def jwt_auth(version: Version) -> PluginDef:
    """jwt-auth: a random HS ``secret`` is invented in legacy mode, required from 3.14."""
    old = version < (3, 18)
    algorithms = ["HS256", "HS512", "RS256", "ES256"] if old else HS + ASYM
    hs = ["HS256", "HS512"] if old else HS
    message = ('property "secret" is required when "algorithm" is "HS256" or "HS512"' if old
               else 'property "secret" is required when using HS based algorithms')
    props: Schema = {
        "header": {"type": "string", "default": "authorization"},
        "query": {"type": "string", "default": "jwt"},
        "cookie": {"type": "string", "default": "jwt"},
        "hide_credentials": {"type": "boolean", "default": False},
        "key_claim_name": {"type": "string", "default": "key", "minLength": 1},
        "store_in_ctx": {"type": "boolean", "default": False},
        "anonymous_consumer": _ANON,
    }
    if version >= (3, 15):
        props["realm"] = realm("jwt")
    if version >= (3, 16):
        props["claims_to_verify"] = {"type": "array", "uniqueItems": True,
                                     "items": {"type": "string", "enum": ["exp", "nbf"]}}
    consumer: Schema = {
        "type": "object",
        "properties": {
            "key": {"type": "string", "minLength": 1},
            "secret": {"type": "string", "minLength": 1},
            "algorithm": {"type": "string", "enum": algorithms, "default": "HS256"},
            "exp": {"type": "integer", "minimum": 1, "default": 86400},
            "base64_secret": {"type": "boolean", "default": False},
            "lifetime_grace_period": {"type": "integer", "minimum": 0, "default": 0},
        },
        "dependencies": {"algorithm": {"oneOf": [
            {"properties": {"algorithm": {"enum": hs, "default": "HS256"}}},
            {"properties": {"public_key": {"type": "string", "minLength": 1},
                            "algorithm": {"enum": [a for a in algorithms if a not in hs]}},
             "required": ["public_key"]},
        ]}},
        "encrypt_fields": ["secret"],
        "required": ["key"],
    }
    return PluginDef("jwt-auth", 2510, {"type": "object", "properties": props}, consumer_schema=consumer,
                     auth=True, post_check=_jwt_check(message))
