"""response-rewrite, redirect, real-ip, traffic-split, api-breaker, fault-injection and mocking (3.18.0).

Why these: they shape traffic around a Hydra-protected API (rewrites and redirects at the edge,
the client address behind a load balancer, canary splits, circuit breaking, chaos and mocks).
Schemas are transcribed from ``apisix/plugins/<name>.lua`` at 3.18.0, and so are the
``check_schema`` rules that need no regex or expression engine: redirect's
``http_to_https``/``append_query_string`` exclusion, response-rewrite's base64 body, real-ip's
address check and mocking's content type.  Regexes (``regex_uri``, ``filters``) and lua-resty-expr
``vars`` are not compiled; docs/emulator-fidelity.md records that.
"""

from __future__ import annotations

import base64
import binascii
import copy
import ipaddress
from typing import Any

from reconciler.sandbox.apisix_plugins.base import PluginDef, Schema, Version
from reconciler.sandbox.apisix_schemas import ID_SCHEMA, IP_DEF, upstream_schema

_SCALAR: Schema = {"oneOf": [{"type": "string"}, {"type": "number"}]}
_HEADERS: Schema = {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": _SCALAR}}
_VARS: Schema = {"type": "array", "maxItems": 20, "items": {"type": "array"}}
# redirect.lua ``reg``: any text matches its last alternative, so it only rejects the empty string.
_REDIRECT_URI = (r"(\\\$[0-9a-zA-Z_]+)|\$\{([0-9a-zA-Z_]+)\}|\$([0-9a-zA-Z_]+)|(\$|[^$\\]+)")
_MOCK_TYPES = ("application/xml", "application/json", "text/plain", "text/html", "text/xml")


def _rewrite_check(conf: dict[str, Any], schema_type: str, legacy: bool) -> str | None:
    if conf.get("body_base64") and not str(conf.get("body", "")).startswith("$secret://"):
        body = conf.get("body")
        if not body:
            return "invalid base64 content"
        try:
            base64.b64decode(str(body), validate=True)
        except (binascii.Error, ValueError):
            return "invalid base64 content"
    return None


def response_rewrite(version: Version) -> PluginDef:
    """response-rewrite (priority 899)."""
    header_set: Schema = {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": _SCALAR}}
    headers: Schema = {"anyOf": [
        header_set,
        {"properties": {
            "add": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[^:]+:[^:]*[^/]$"}},
            "set": copy.deepcopy(header_set),
            "remove": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[^:]+$"}},
        }},
    ]}
    plugin = PluginDef("response-rewrite", 899, {"type": "object", "properties": {
        "max_resp_body_size": {"type": "integer", "minimum": 1, "default": 67108864},
        "headers": headers,
        "body": {"type": "string"},
        "body_base64": {"type": "boolean", "default": False},
        "status_code": {"type": "integer", "minimum": 200, "maximum": 598},
        "vars": {"type": "array"},
        "filters": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["regex", "replace"],
                                                              "properties": {
            "regex": {"type": "string", "minLength": 1},
            "scope": {"type": "string", "enum": ["once", "global"], "default": "once"},
            "replace": {"type": "string"},
            "options": {"type": "string", "default": "jo"},
        }}},
    }, "dependencies": {"body": {"not": {"required": ["filters"]}},
                        "filters": {"not": {"required": ["body"]}}}}, post_check=_rewrite_check)
    if version < (3, 18):  # max_resp_body_size came in 3.18
        del plugin.schema["properties"]["max_resp_body_size"]
    return plugin


def _redirect_check(conf: dict[str, Any], schema_type: str, legacy: bool) -> str | None:
    if conf.get("http_to_https") and conf.get("append_query_string"):
        return "only one of `http_to_https` and `append_query_string` can be configured."
    return None


def redirect(version: Version) -> PluginDef:
    """redirect (priority 900): exactly one of uri, regex_uri and http_to_https."""
    return PluginDef("redirect", 900, {"type": "object", "properties": {
        "ret_code": {"type": "integer", "minimum": 200, "default": 302},
        "uri": {"type": "string", "minLength": 2, "pattern": _REDIRECT_URI},
        "regex_uri": {"type": "array", "maxItems": 2, "minItems": 2, "items": {"type": "string"}},
        "http_to_https": {"type": "boolean"},
        "encode_uri": {"type": "boolean", "default": False},
        "append_query_string": {"type": "boolean", "default": False},
    }, "oneOf": [{"required": ["uri"]}, {"required": ["regex_uri"]}, {"required": ["http_to_https"]}]},
        post_check=_redirect_check)


def _real_ip_check(conf: dict[str, Any], schema_type: str, legacy: bool) -> str | None:
    for cidr in conf.get("trusted_addresses") or []:
        try:
            ipaddress.ip_network(str(cidr), strict=False)
        except ValueError:
            return f"invalid ip address: {cidr}"
    return None


def real_ip(version: Version) -> PluginDef:
    """real-ip (priority 23000)."""
    return PluginDef("real-ip", 23000, {"type": "object", "properties": {
        "trusted_addresses": {"type": "array", "items": {"anyOf": copy.deepcopy(IP_DEF)}, "minItems": 1},
        "source": {"type": "string", "minLength": 1},
        "recursive": {"type": "boolean", "default": False},
    }, "required": ["source"]}, post_check=_real_ip_check)


def traffic_split(version: Version) -> PluginDef:
    """traffic-split (priority 966); weighted upstreams are ``schema_def.upstream`` or an ``upstream_id``."""
    upstreams: Schema = {"type": "array", "items": {"type": "object", "properties": {
        "upstream_id": copy.deepcopy(ID_SCHEMA),
        "upstream": upstream_schema(version <= (3, 13, 99)),
        "weight": {"type": "integer", "default": 1, "minimum": 0},
    }}, "default": [{"weight": 1}], "minItems": 1, "maxItems": 20}
    return PluginDef("traffic-split", 966, {"type": "object", "properties": {
        "rules": {"type": "array", "items": {"type": "object", "properties": {
            "match": {"type": "array", "items": {"type": "object", "properties": {"vars": {"type": "array"}}}},
            "weighted_upstreams": upstreams,
        }}},
    }})


def api_breaker(version: Version) -> PluginDef:
    """api-breaker (priority 1005)."""
    def statuses(low: int, high: int, default: int) -> Schema:
        return {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": low, "maximum": high},
                "uniqueItems": True, "default": [default]}

    return PluginDef("api-breaker", 1005, {"type": "object", "properties": {
        "break_response_code": {"type": "integer", "minimum": 200, "maximum": 599},
        "break_response_body": {"type": "string"},
        "break_response_headers": {"type": "array", "items": {"type": "object", "properties": {
            "key": {"type": "string", "minLength": 1}, "value": {"type": "string", "minLength": 1},
        }, "required": ["key", "value"]}},
        "max_breaker_sec": {"type": "integer", "minimum": 3, "default": 300},
        "unhealthy": {"type": "object", "properties": {
            "http_statuses": statuses(500, 599, 500),
            "failures": {"type": "integer", "minimum": 1, "default": 3},
        }, "default": {"http_statuses": [500], "failures": 3}},
        "healthy": {"type": "object", "properties": {
            "http_statuses": statuses(200, 499, 200),
            "successes": {"type": "integer", "minimum": 1, "default": 3},
        }, "default": {"http_statuses": [200], "successes": 3}},
    }, "required": ["break_response_code"]})


def fault_injection(version: Version) -> PluginDef:
    """fault-injection (priority 11000)."""
    return PluginDef("fault-injection", 11000, {"type": "object", "properties": {
        "abort": {"type": "object", "properties": {
            "http_status": {"type": "integer", "minimum": 200},
            "body": {"type": "string", "minLength": 0},
            "headers": copy.deepcopy(_HEADERS),
            "percentage": {"type": "integer", "minimum": 0, "maximum": 100},
            "vars": copy.deepcopy(_VARS),
        }, "required": ["http_status"]},
        "delay": {"type": "object", "properties": {
            "duration": {"type": "number", "minimum": 0},
            "percentage": {"type": "integer", "minimum": 0, "maximum": 100},
            "vars": copy.deepcopy(_VARS),
        }, "required": ["duration"]},
    }, "minProperties": 1})


def _mocking_check(conf: dict[str, Any], schema_type: str, legacy: bool) -> str | None:
    content_type = conf.get("content_type")
    main = str(content_type).rsplit(";", 1)[0] if content_type and ";" in str(content_type) else content_type
    return None if main in _MOCK_TYPES else "unsupported content type!"


def mocking(version: Version) -> PluginDef:
    """mocking (priority 10900); the content type must be one it can generate."""
    return PluginDef("mocking", 10900, {"type": "object", "properties": {
        "delay": {"type": "integer", "default": 0},
        "response_status": {"type": "integer", "default": 200, "minimum": 100},
        "content_type": {"type": "string", "default": "application/json;charset=utf8"},
        "response_example": {"type": "string"},
        "response_schema": {"type": "object"},
        "with_mock_header": {"type": "boolean", "default": True},
        "response_headers": copy.deepcopy(_HEADERS),
    }, "anyOf": [{"required": ["response_example"]}, {"required": ["response_schema"]}]},
        post_check=_mocking_check)
