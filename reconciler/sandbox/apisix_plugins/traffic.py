"""limit-count, limit-req, limit-conn, ip-restriction and csrf, transcribed from 3.18.0.

Why they matter here: the rate limiters carry redis defaults that appear only under a redis
``policy`` (the if/then fill rule of spec §5.1) and encrypt ``redis_password``; limit-count's
legacy schema gives the 3.13 message (``property "count" is required``) instead of the 3.18 one.
"""

from __future__ import annotations

import copy

from reconciler.sandbox.apisix_plugins.base import PluginDef, Schema, Version, is_legacy
from reconciler.sandbox.apisix_schemas import IP_DEF


def _int(minimum: int, default: int) -> Schema:
    return {"type": "integer", "minimum": minimum, "default": default}


REDIS: Schema = {"properties": {
    "redis_host": {"type": "string", "minLength": 2},
    "redis_port": _int(1, 6379),
    "redis_username": {"type": "string", "minLength": 1},
    "redis_password": {"type": "string", "minLength": 0},
    "redis_database": _int(0, 0),
    "redis_timeout": _int(1, 1000),
    "redis_ssl": {"type": "boolean", "default": False},
    "redis_ssl_verify": {"type": "boolean", "default": False},
    "redis_keepalive_timeout": _int(1000, 10000),
    "redis_keepalive_pool": _int(1, 100),
}, "required": ["redis_host"]}
REDIS_CLUSTER: Schema = {"properties": {
    "redis_cluster_nodes": {"type": "array", "minItems": 1,
                            "items": {"type": "string", "minLength": 2, "maxLength": 100}},
    "redis_password": {"type": "string", "minLength": 0},
    "redis_timeout": _int(1, 1000),
    "redis_cluster_name": {"type": "string"},
    "redis_cluster_ssl": {"type": "boolean", "default": False},
    "redis_cluster_ssl_verify": {"type": "boolean", "default": False},
    "redis_keepalive_timeout": _int(1000, 10000),
    "redis_keepalive_pool": _int(1, 100),
}, "required": ["redis_cluster_nodes", "redis_cluster_name"]}
REDIS_SENTINEL: Schema = {"properties": {
    "redis_sentinels": {"type": "array", "minItems": 1, "items": {
        "type": "object", "properties": {"host": {"type": "string"}, "port": {"type": "integer"}},
        "required": ["host", "port"]}},
    "redis_master_name": {"type": "string"},
    "redis_role": {"type": "string", "enum": ["master", "slave"], "default": "master"},
    "redis_password": {"type": "string"},
    "sentinel_username": {"type": "string"},
    "sentinel_password": {"type": "string"},
    "redis_database": _int(0, 0),
    "redis_connect_timeout": _int(1, 1000),
    "redis_read_timeout": _int(1, 1000),
    "redis_keepalive_timeout": _int(1000, 60000),
}, "required": ["redis_sentinels", "redis_master_name"]}


def _policy(name: str, then: Schema, otherwise: Schema | None = None) -> Schema:
    out: Schema = {"if": {"properties": {"policy": {"enum": [name]}}}, "then": then}
    if otherwise is not None:
        out["else"] = otherwise
    return out


def _count_or_string(exclusive: bool) -> Schema:
    number: Schema = ({"type": "integer", "exclusiveMinimum": 0} if exclusive
                      else {"type": "integer", "minimum": 0})
    return {"oneOf": [number, {"type": "string"}]}


def _with_ttl(schema: Schema) -> Schema:
    out = copy.deepcopy(schema)
    out["properties"]["key_ttl"] = {"type": "integer", "default": 3600}
    return out


def limit_count(version: Version) -> PluginDef:
    """limit-count (priority 1002): ``count``/``time_window`` or 3.18's ``rules``."""
    legacy = is_legacy(version)
    props: Schema = {
        "count": {"type": "integer", "exclusiveMinimum": 0} if legacy else _count_or_string(True),
        "time_window": {"type": "integer", "exclusiveMinimum": 0} if legacy else _count_or_string(True),
        "group": {"type": "string"},
        "key": {"type": "string", "default": "remote_addr"},
        "key_type": {"type": "string", "enum": ["var", "var_combination", "constant"], "default": "var"},
        "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 503},
        "rejected_msg": {"type": "string", "minLength": 1},
        "policy": {"type": "string", "enum": ["local", "redis", "redis-cluster", "redis-sentinel"],
                   "default": "local"},
        "allow_degradation": {"type": "boolean", "default": False},
        "show_limit_quota_header": {"type": "boolean", "default": True},
    }
    schema: Schema = {"type": "object", "properties": props}
    if legacy:
        schema["required"] = ["count", "time_window"]
    else:
        props["window_type"] = {"type": "string", "enum": ["fixed", "sliding"], "default": "fixed"}
        props["rules"] = {"type": "array", "items": {"type": "object", "properties": {
            "count": _count_or_string(True), "time_window": _count_or_string(True),
            "key": {"type": "string"}, "header_prefix": {"type": "string"}},
            "required": ["count", "time_window", "key"]}}
        props["sync_interval"] = {"type": "number", "default": -1}
        schema["oneOf"] = [{"required": ["count", "time_window"]}, {"required": ["rules"]}]
    schema.update(_policy("redis", REDIS, _policy("redis-cluster", REDIS_CLUSTER,
                                                   _policy("redis-sentinel", REDIS_SENTINEL))))
    schema["encrypt_fields"] = ["redis_password", "sentinel_password"]
    metadata: Schema = {"type": "object", "properties": {
        "limit_header": {"type": "string", "default": "X-RateLimit-Limit"},
        "remaining_header": {"type": "string", "default": "X-RateLimit-Remaining"},
        "reset_header": {"type": "string", "default": "X-RateLimit-Reset"}}}
    return PluginDef("limit-count", 1002, schema, metadata_schema=metadata, version=0.5)


def limit_req(version: Version) -> PluginDef:
    """limit-req (priority 1001)."""
    schema: Schema = {"type": "object", "properties": {
        "rate": {"type": "number", "exclusiveMinimum": 0},
        "burst": {"type": "number", "minimum": 0},
        "key": {"type": "string"},
        "key_type": {"type": "string", "enum": ["var", "var_combination"], "default": "var"},
        "policy": {"type": "string", "enum": ["redis", "redis-cluster", "local"], "default": "local"},
        "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 503},
        "rejected_msg": {"type": "string", "minLength": 1},
        "nodelay": {"type": "boolean", "default": False},
        "allow_degradation": {"type": "boolean", "default": False},
    }, "required": ["rate", "burst", "key"]}
    schema.update(_policy("redis", REDIS, _policy("redis-cluster", REDIS_CLUSTER)))
    schema["encrypt_fields"] = ["redis_password"]
    return PluginDef("limit-req", 1001, schema)


def limit_conn(version: Version) -> PluginDef:
    """limit-conn (priority 1003); 3.18 adds ``rules`` as an alternative to conn/burst/key."""
    schema: Schema = {"type": "object", "properties": {
        "conn": _count_or_string(True), "burst": _count_or_string(False),
        "default_conn_delay": {"type": "number", "exclusiveMinimum": 0},
        "only_use_default_delay": {"type": "boolean", "default": False},
        "key": {"type": "string"},
        "key_type": {"type": "string", "enum": ["var", "var_combination"], "default": "var"},
        "policy": {"type": "string", "enum": ["redis", "redis-cluster", "local"], "default": "local"},
        "rejected_code": {"type": "integer", "minimum": 200, "maximum": 599, "default": 503},
        "rejected_msg": {"type": "string", "minLength": 1},
        "allow_degradation": {"type": "boolean", "default": False},
        "rules": {"type": "array", "items": {"type": "object", "properties": {
            "conn": _count_or_string(True), "burst": _count_or_string(False), "key": {"type": "string"}},
            "required": ["conn", "burst", "key"]}},
    }, "oneOf": [{"required": ["conn", "burst", "default_conn_delay", "key"]},
                 {"required": ["default_conn_delay", "rules"]}]}
    schema.update(_policy("redis", _with_ttl(REDIS), _policy("redis-cluster", _with_ttl(REDIS_CLUSTER))))
    schema["encrypt_fields"] = ["redis_password"]
    return PluginDef("limit-conn", 1003, schema)


def _ip_check(conf: dict[str, object], schema_type: str, legacy: bool) -> str | None:
    import ipaddress

    for name in ("whitelist", "blacklist"):
        entries = conf.get(name)
        for cidr in entries if isinstance(entries, list) else []:
            try:
                ipaddress.ip_network(str(cidr), strict=False)
            except ValueError:
                return f"invalid ip address: {cidr}"
    return None


def ip_restriction(version: Version) -> PluginDef:
    """ip-restriction (priority 3000): exactly one of whitelist / blacklist."""
    items: Schema = {"anyOf": IP_DEF}
    return PluginDef("ip-restriction", 3000, {"type": "object", "properties": {
        "message": {"type": "string", "minLength": 1, "maxLength": 1024,
                    "default": "Your IP address is not allowed"},
        "response_code": {"type": "integer", "minimum": 403, "maximum": 404, "default": 403},
        "whitelist": {"type": "array", "items": items, "minItems": 1},
        "blacklist": {"type": "array", "items": items, "minItems": 1},
    }, "oneOf": [{"required": ["whitelist"]}, {"required": ["blacklist"]}]}, post_check=_ip_check)


def csrf(version: Version) -> PluginDef:
    """csrf (priority 2980): ``key`` is encrypted."""
    return PluginDef("csrf", 2980, {"type": "object", "properties": {
        "key": {"description": "use to generate csrf token", "type": "string"},
        "expires": {"description": "expires time(s) for csrf token", "type": "integer", "default": 7200},
        "name": {"description": "the csrf token name", "type": "string", "default": "apisix-csrf-token"},
    }, "encrypt_fields": ["key"], "required": ["key"]})
