"""The APISIX resource JSON schemas (``apisix/schema_def.lua`` of 3.18.0), transcribed as data.

Why data rather than models: the emulator must reject what APISIX rejects with APISIX's own
messages, fill the same defaults in legacy mode and serve the schemas at
``/apisix/admin/schema/{name}``; a schema walked by ``apisix_jsonschema`` gives all three.
``resource_schemas(legacy)`` builds a fresh set; the legacy (<= 3.13) set differs only where the
stored defaults differ (spec §5.3).
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "PURGE"]
HOST_PATTERN = r"^\*$|^\*?[0-9a-zA-Z-._\[\]:]+$"
_IPV4 = r"\.".join([r"([0-9]|[1-9][0-9]|1[0-9]{2}|2[0-4][0-9]|25[0-5])"] * 4)
_IPV6 = r"([a-fA-F0-9]{0,4}:){1,8}(:[a-fA-F0-9]{0,4}){0,8}([a-fA-F0-9]{0,4})?"

ID_SCHEMA: Schema = {"anyOf": [
    {"type": "string", "minLength": 1, "maxLength": 64, "pattern": r"^[a-zA-Z0-9-_.]+$"},
    {"type": "integer", "minimum": 1},
]}
IP_DEF: list[Schema] = [
    {"title": "IPv4", "type": "string", "pattern": "^" + _IPV4 + "$"},
    {"title": "IPv4/CIDR", "type": "string", "pattern": "^" + _IPV4 + "/([12]?[0-9]|3[0-2])$"},
    {"title": "IPv6", "type": "string", "pattern": "^" + _IPV6 + "$"},
    {"title": "IPv6/CIDR", "type": "string", "pattern": "^" + _IPV6 + "/[0-9]{1,3}$"},
]
HOST_DEF: Schema = {"type": "string", "pattern": HOST_PATTERN}
HASH_VARS_KEY: Schema = {"type": "string", "pattern": (
    r"^((uri|server_name|server_addr|request_uri|remote_port|remote_addr|query_string|host"
    r"|hostname|mqtt_client_id)|arg_[0-9a-zA-z_-]+)$")}
HASH_HEADER_KEY: Schema = {"type": "string", "pattern": r"^[a-zA-Z0-9-_]+$"}
_LABELS: Schema = {"type": "object", "patternProperties": {".*": {
    "type": "string", "pattern": r"^\S+$", "maxLength": 256, "minLength": 1}}}
_NAME: Schema = {"type": "string", "maxLength": 256, "minLength": 1}
_DESC: Schema = {"type": "string", "maxLength": 256}
_TS: Schema = {"type": "integer"}
_TIMEOUT: Schema = {"type": "object", "properties": {
    k: {"type": "number", "exclusiveMinimum": 0} for k in ("connect", "send", "read")},
    "required": ["connect", "send", "read"]}
_CERT: Schema = {"type": "string", "minLength": 128, "maxLength": 65536}
_KEY: Schema = {"type": "string", "minLength": 64, "maxLength": 65536}
_PLUGINS: Schema = {"type": "object"}


def _meta() -> Schema:
    return {"id": ID_SCHEMA, "name": _NAME, "desc": _DESC, "labels": _LABELS,
            "create_time": _TS, "update_time": _TS}


def _statuses(default: list[int]) -> Schema:
    return {"type": "array", "minItems": 1, "uniqueItems": True, "default": default,
            "items": {"type": "integer", "minimum": 200, "maximum": 599}}


def _count(low: int, default: int) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": 254, "default": default}


def _checks(legacy: bool) -> Schema:
    active: dict[str, Any] = {
        "type": {"type": "string", "enum": ["http", "https", "tcp"], "default": "http"},
        "timeout": {"type": "number", "default": 1},
        "concurrency": {"type": "integer", "default": 10},
        "host": HOST_DEF,
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "http_method": {"type": "string", "enum": METHODS, "default": "GET"},
        "http_path": {"type": "string", "default": "/"},
        "http_req_body": {"type": "string", "default": ""},
        "https_verify_certificate": {"type": "boolean", "default": True},
        "healthy": {"type": "object", "properties": {
            "interval": {"type": "integer", "minimum": 1, "default": 1},
            "http_statuses": _statuses([200, 302]), "successes": _count(1, 2)}},
        "unhealthy": {"type": "object", "properties": {
            "interval": {"type": "integer", "minimum": 1, "default": 1},
            "http_statuses": _statuses([429, 404, 500, 501, 502, 503, 504, 505]),
            "http_failures": _count(1, 5), "tcp_failures": _count(1, 2), "timeouts": _count(1, 3)}},
        "req_headers": {"type": "array", "minItems": 1, "items": {"type": "string"}},
    }
    if legacy:
        del active["http_method"]["default"]
        del active["http_req_body"]["default"]
    passive: Schema = {"type": "object", "properties": {
        "type": {"type": "string", "enum": ["http", "https", "tcp"], "default": "http"},
        "healthy": {"type": "object", "properties": {
            "http_statuses": _statuses([200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                        300, 301, 302, 303, 304, 305, 306, 307, 308]),
            "successes": _count(0, 5)}},
        "unhealthy": {"type": "object", "properties": {
            "http_statuses": _statuses([429, 500, 503]), "tcp_failures": _count(0, 2),
            "timeouts": _count(0, 7), "http_failures": _count(0, 5)}},
    }}
    return {"type": "object", "properties": {"active": {"type": "object", "properties": active},
                                             "passive": passive},
            "anyOf": [{"required": ["active"]}, {"required": ["active", "passive"]}]}


def upstream_schema(legacy: bool) -> Schema:
    """``schema_def.upstream``: also used inline as ``route.upstream`` and ``service.upstream``."""
    nodes: Schema = {"anyOf": [
        {"type": "object", "patternProperties": {".*": {"type": "integer", "minimum": 0}}},
        {"type": "array", "items": {"type": "object", "properties": {
            "host": HOST_DEF, "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "weight": {"type": "integer", "minimum": 0},
            "priority": {"type": "integer", "default": 0}, "metadata": {"type": "object"}},
            "required": ["host", "weight"]}},
    ]}
    return {"type": "object", "properties": {
        **_meta(),
        "nodes": nodes,
        "retries": {"type": "integer", "minimum": 0},
        "retry_timeout": {"type": "number", "minimum": 0},
        "timeout": _TIMEOUT,
        "tls": {"type": "object", "properties": {
            "client_cert_id": ID_SCHEMA, "client_cert": _CERT, "client_key": _KEY,
            "verify": {"type": "boolean", "default": False}},
            "dependencies": {"client_cert": {"required": ["client_key"]},
                             "client_key": {"required": ["client_cert"]},
                             "client_cert_id": {"not": {"required": ["client_cert", "client_key"]}}}},
        "keepalive_pool": {"type": "object", "properties": {
            "size": {"type": "integer", "default": 320, "minimum": 1},
            "idle_timeout": {"type": "number", "default": 60, "minimum": 0},
            "requests": {"type": "integer", "default": 1000, "minimum": 1}}},
        "type": {"type": "string", "default": "roundrobin"},
        "checks": _checks(legacy),
        "hash_on": {"type": "string", "default": "vars",
                    "enum": ["vars", "header", "cookie", "consumer", "vars_combinations"]},
        "key": {"type": "string"},
        "scheme": {"default": "http",
                   "enum": ["grpc", "grpcs", "http", "https", "tcp", "tls", "udp", "kafka"]},
        "discovery_type": {"type": "string"},
        "discovery_args": {"type": "object", "properties": {
            "namespace_id": {"type": "string"}, "group_name": {"type": "string"}}},
        "pass_host": {"type": "string", "enum": ["pass", "node", "rewrite"], "default": "pass"},
        "upstream_host": HOST_DEF,
        "service_name": {"type": "string", "maxLength": 256, "minLength": 1},
    }, "oneOf": [{"required": ["nodes"]}, {"required": ["service_name", "discovery_type"]}],
        "additionalProperties": False}


def _one_or_none(a: str, b: str) -> Schema:
    return {"oneOf": [{"not": {"anyOf": [{"required": [a]}, {"required": [b]}]}},
                      {"required": [a]}, {"required": [b]}]}


def route_schema(upstream: Schema) -> Schema:
    """``schema_def.route``."""
    remote: Schema = {"type": "string", "anyOf": IP_DEF}
    pairs = [(p, u) for u in ("uri", "uris") for p in ("plugins", "upstream", "upstream_id", "service_id")]
    pairs += [("script", "uri"), ("script", "uris")]
    return {"type": "object", "properties": {
        **_meta(),
        "uri": {"type": "string", "minLength": 1, "maxLength": 4096},
        "uris": {"type": "array", "items": {"type": "string"}, "minItems": 1, "uniqueItems": True},
        "priority": {"type": "integer", "default": 0},
        "methods": {"type": "array", "items": {"type": "string", "enum": METHODS}, "uniqueItems": True},
        "host": HOST_DEF,
        "hosts": {"type": "array", "items": HOST_DEF, "minItems": 1, "uniqueItems": True},
        "remote_addr": remote,
        "remote_addrs": {"type": "array", "items": remote, "minItems": 1, "uniqueItems": True},
        "timeout": _TIMEOUT,
        "vars": {"type": "array"},
        "filter_func": {"type": "string", "minLength": 10, "pattern": "^function"},
        "script": {"type": "string", "minLength": 10, "maxLength": 102400},
        "script_id": ID_SCHEMA,
        "plugins": _PLUGINS,
        "plugin_config_id": ID_SCHEMA,
        "upstream": upstream,
        "service_id": ID_SCHEMA,
        "upstream_id": ID_SCHEMA,
        "enable_websocket": {"type": "boolean"},
        "status": {"type": "integer", "enum": [1, 0], "default": 1},
    }, "allOf": [
        {"oneOf": [{"required": ["uri"]}, {"required": ["uris"]}]},
        _one_or_none("host", "hosts"),
        _one_or_none("remote_addr", "remote_addrs"),
    ], "anyOf": [{"required": [a, b]} for a, b in pairs],
        "not": {"anyOf": [{"required": ["script", "plugins"]},
                          {"required": ["script", "plugin_config_id"]}]},
        "additionalProperties": False}


def resource_schemas(legacy: bool = False) -> dict[str, Schema]:
    """Every resource schema, keyed by the name ``/apisix/admin/schema/{name}`` serves."""
    upstream = upstream_schema(legacy)
    meta = _meta()
    ssl: Schema = {"type": "object", "properties": {
        **{k: v for k, v in meta.items() if k != "name"},
        "type": {"type": "string", "default": "server", "enum": ["server", "client"]},
        "cert": _CERT, "key": _KEY,
        "sni": {"type": "string", "pattern": HOST_PATTERN},
        "snis": {"type": "array", "items": {"type": "string", "pattern": HOST_PATTERN}, "minItems": 1},
        "certs": {"type": "array", "items": _CERT},
        "keys": {"type": "array", "items": _KEY},
        "client": {"type": "object", "properties": {
            "ca": _CERT, "depth": {"type": "integer", "minimum": 0, "default": 1},
            "skip_mtls_uri_regex": {"type": "array", "minItems": 1, "uniqueItems": True,
                                    "items": {"type": "string"}}}, "required": ["ca"]},
        "status": {"type": "integer", "enum": [1, 0], "default": 1},
        "ssl_protocols": {"type": "array", "maxItems": 3, "uniqueItems": True,
                          "items": {"enum": ["TLSv1.1", "TLSv1.2", "TLSv1.3"]}},
    }, "if": {"properties": {"type": {"enum": ["server"]}}},
        "then": {"oneOf": [{"required": ["sni", "key", "cert"]}, {"required": ["snis", "key", "cert"]}]},
        "else": {"required": ["key", "cert"]}, "additionalProperties": False}
    return {
        "route": route_schema(upstream),
        "service": {"type": "object", "properties": {
            **meta, "plugins": _PLUGINS, "upstream": upstream, "upstream_id": ID_SCHEMA,
            "script": {"type": "string", "minLength": 10, "maxLength": 102400},
            "enable_websocket": {"type": "boolean"},
            "hosts": {"type": "array", "items": HOST_DEF, "minItems": 1, "uniqueItems": True},
        }, "additionalProperties": False},
        "upstream": upstream,
        "consumer": {"type": "object", "properties": {
            "id": ID_SCHEMA,
            "username": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": r"^[a-zA-Z0-9_\-]+$"},
            "desc": _DESC, "labels": _LABELS, "create_time": _TS, "update_time": _TS,
            "group_id": ID_SCHEMA, "plugins": _PLUGINS,
        }, "required": ["username"], "additionalProperties": False},
        "credential": {"type": "object", "properties": {
            **meta,
            "id": {"oneOf": [ID_SCHEMA, {"type": "string", "minLength": 15, "maxLength": 128,
                                         "pattern": r"^[a-zA-Z0-9-_]+/credentials/[a-zA-Z0-9-_.]+$"}]},
            "plugins": {"type": "object", "maxProperties": 1},
        }, "additionalProperties": False},
        "ssl": ssl,
        "proto": {"type": "object", "properties": {
            **meta, "content": {"type": "string", "minLength": 1, "maxLength": 1024 * 1024},
        }, "required": ["content"], "additionalProperties": False},
        "global_rule": {"type": "object", "properties": {
            "id": ID_SCHEMA, "create_time": _TS, "update_time": _TS, "plugins": _PLUGINS,
        }, "required": ["id", "plugins"], "additionalProperties": False},
        "plugin_config": {"type": "object", "properties": {
            **meta, "name": {"type": "string"}, "plugins": _PLUGINS,
        }, "required": ["id", "plugins"], "additionalProperties": False},
        "consumer_group": {"type": "object", "properties": {**meta, "plugins": _PLUGINS},
                           "required": ["id", "plugins"], "additionalProperties": False},
        "id_schema": ID_SCHEMA,
        "plugin_injected_schema": {"$comment": "this is a mark for our injected plugin schema",
                                   "_meta": META_SCHEMA},
    }


META_SCHEMA: Schema = {"type": "object", "properties": {
    "disable": {"type": "boolean"},
    "error_response": {"oneOf": [{"type": "string"}, {"type": "object"}]},
    "priority": {"type": "integer"},
    "filter": {"type": "array"},
    "pre_function": {"type": "string"},
}, "additionalProperties": False}
