"""hmac-auth, consumer-restriction, referer-restriction, uri-blocker and request-validation (3.18.0).

Why these: they are what people put in front of a Hydra-protected API to decide who may call it
at all (a second auth method, consumer and referer allow-lists, blocked paths, request shape).
Each schema is transcribed from ``apisix/plugins/<name>.lua`` at 3.18.0.  The ``check_schema``
steps that compile regular expressions (uri-blocker ``block_rules``) or JSON schemas
(request-validation) are not run: docs/emulator-fidelity.md records that.
"""

from __future__ import annotations

from reconciler.sandbox.apisix_plugins.auth import realm
from reconciler.sandbox.apisix_plugins.base import PluginDef, Schema, Version
from reconciler.sandbox.apisix_schemas import HOST_DEF, METHODS

HMAC_ALGORITHMS = ["hmac-sha1", "hmac-sha256", "hmac-sha512"]


def hmac_auth(version: Version) -> PluginDef:
    """hmac-auth (priority 2530, auth): ``key_id`` and ``secret_key`` (encrypted) on consumers."""
    props: Schema = {
        "allowed_algorithms": {"type": "array", "minItems": 1,
                               "items": {"type": "string", "enum": HMAC_ALGORITHMS},
                               "default": list(HMAC_ALGORITHMS)},
        "clock_skew": {"type": "integer", "default": 300, "minimum": 1},
        "signed_headers": {"type": "array", "default": ["date"],
                           "items": {"type": "string", "minLength": 1, "maxLength": 50}},
        "validate_request_body": {"type": "boolean", "default": False},
        "max_req_body_size": {"type": "integer", "minimum": 1, "default": 67108864},  # 3.17+
        "hide_credentials": {"type": "boolean", "default": False},
        "anonymous_consumer": {"type": "string", "minLength": 1},
    }
    if version >= (3, 15):
        props["realm"] = realm("hmac")
    if version < (3, 17):  # no body size limit, and no default signed header, before 3.17
        del props["max_req_body_size"], props["signed_headers"]["default"]
    consumer: Schema = {"type": "object", "title": "work with consumer object", "properties": {
        "key_id": {"type": "string", "minLength": 1, "maxLength": 256},
        "secret_key": {"type": "string", "minLength": 1, "maxLength": 256},
    }, "encrypt_fields": ["secret_key"], "required": ["key_id", "secret_key"]}
    return PluginDef("hmac-auth", 2530, {"type": "object", "title": "work with route or service object",
                                         "properties": props}, consumer_schema=consumer, auth=True)


def consumer_restriction(version: Version) -> PluginDef:
    """consumer-restriction (priority 2400)."""
    names: Schema = {"type": "array", "minItems": 1, "items": {"type": "string"}}
    return PluginDef("consumer-restriction", 2400, {"type": "object", "properties": {
        "type": {"type": "string", "enum": ["consumer_name", "service_id", "route_id", "consumer_group_id"],
                 "default": "consumer_name"},
        "blacklist": names,
        "whitelist": names,
        "allowed_by_methods": {"type": "array", "items": {"type": "object", "properties": {
            "user": {"type": "string"},
            "methods": {"type": "array", "minItems": 1,
                        "items": {"description": "HTTP method", "type": "string", "enum": list(METHODS)}},
        }}},
        "rejected_code": {"type": "integer", "minimum": 200, "default": 403},
        "rejected_msg": {"type": "string"},
    }, "anyOf": [{"required": ["blacklist"]}, {"required": ["whitelist"]}, {"required": ["allowed_by_methods"]}]})


def referer_restriction(version: Version) -> PluginDef:
    """referer-restriction (priority 2990): exactly one of whitelist and blacklist."""
    hosts: Schema = {"type": "array", "items": HOST_DEF, "minItems": 1}
    return PluginDef("referer-restriction", 2990, {"type": "object", "properties": {
        "bypass_missing": {"type": "boolean", "default": False},
        "whitelist": hosts,
        "blacklist": hosts,
        "message": {"type": "string", "minLength": 1, "maxLength": 1024,
                    "default": "Your referer host is not allowed"},
    }, "oneOf": [{"required": ["whitelist"]}, {"required": ["blacklist"]}]})


def uri_blocker(version: Version) -> PluginDef:
    """uri-blocker (priority 2900)."""
    return PluginDef("uri-blocker", 2900, {"type": "object", "properties": {
        "block_rules": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 4096},
                        "uniqueItems": True},
        "rejected_code": {"type": "integer", "minimum": 200, "default": 403},
        "rejected_msg": {"type": "string", "minLength": 1},
        "case_insensitive": {"type": "boolean", "default": False},
    }, "required": ["block_rules"]})


def request_validation(version: Version) -> PluginDef:
    """request-validation (priority 2800): at least one of header_schema and body_schema."""
    plugin = PluginDef("request-validation", 2800, {"type": "object", "properties": {
        "header_schema": {"type": "object"},
        "body_schema": {"type": "object"},
        "max_req_body_size": {"type": "integer", "minimum": 1, "default": 67108864},
        "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 400},
        "rejected_msg": {"type": "string", "minLength": 1, "maxLength": 256},
    }, "anyOf": [{"required": ["header_schema"]}, {"required": ["body_schema"]}]})
    if version < (3, 18):  # max_req_body_size came in 3.18
        del plugin.schema["properties"]["max_req_body_size"]
    return plugin
