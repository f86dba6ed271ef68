"""APISIX default filling, the way api7/jsonschema does it (spec §5.1), as pure functions.

Up to 3.13 APISIX stored every schema default it filled in, and objects written then keep
them after an upgrade.  To compare such objects with a desired state that never mentions
those defaults, the normaliser computes what the server would have filled in and ignores a
live value that is only that default.  The fill rules: a missing property with a ``default``
gets it; the filler recurses only into values that are present; ``allOf`` applies every branch,
``if/then/else`` the branch the ``if`` selects, and ``oneOf``/``anyOf`` the first branch whose
``required`` keys are all present.  Core-resource defaults (§5.3) are a fixed table because
they are the same in every version that stored them.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_UPSTREAM: Schema = {
    "type": "object",
    "properties": {
        "type": {"default": "roundrobin"},
        "hash_on": {"default": "vars"},
        "scheme": {"default": "http"},
        "pass_host": {"default": "pass"},
        "nodes": {"type": "array", "items": {"type": "object", "properties": {"priority": {"default": 0}}}},
        "keepalive_pool": {"type": "object", "properties": {
            "size": {"default": 320}, "idle_timeout": {"default": 60}, "requests": {"default": 1000}}},
        "tls": {"type": "object", "properties": {"verify": {"default": False}}},
        "checks": {"type": "object", "properties": {
            "active": {"type": "object", "properties": {
                "type": {"default": "http"}, "timeout": {"default": 1}, "concurrency": {"default": 10},
                "http_path": {"default": "/"}, "https_verify_certificate": {"default": True},
                "healthy": {"type": "object", "properties": {
                    "interval": {"default": 1}, "http_statuses": {"default": [200, 302]},
                    "successes": {"default": 2}}},
                "unhealthy": {"type": "object", "properties": {
                    "interval": {"default": 1},
                    "http_statuses": {"default": [429, 404, 500, 501, 502, 503, 504, 505]},
                    "http_failures": {"default": 5}, "tcp_failures": {"default": 2}, "timeouts": {"default": 3}}},
            }},
            "passive": {"type": "object", "properties": {
                "type": {"default": "http"},
                "healthy": {"type": "object", "properties": {
                    "http_statuses": {"default": [200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                                  300, 301, 302, 303, 304, 305, 306, 307, 308]},
                    "successes": {"default": 5}}},
                "unhealthy": {"type": "object", "properties": {
                    "http_statuses": {"default": [429, 500, 503]}, "tcp_failures": {"default": 2},
                    "timeouts": {"default": 7}, "http_failures": {"default": 5}}},
            }},
        }},
    },
}

#: Defaults of the core resources that 2.x-3.13 stored (spec §5.3), as fill schemas.
CORE: dict[str, Schema] = {
    "route": {"type": "object", "properties": {"priority": {"default": 0}, "status": {"default": 1},
                                                "upstream": _UPSTREAM}},
    "service": {"type": "object", "properties": {"upstream": _UPSTREAM}},
    "upstream": _UPSTREAM,
    "ssl": {"type": "object", "properties": {"type": {"default": "server"}, "status": {"default": 1},
                                              "client": {"type": "object", "properties": {"depth": {"default": 1}}}}},
}


def _matches(schema: Schema, value: Any) -> bool:
    """A small validator for ``if`` clauses: const, enum, type, required and properties."""
    if "const" in schema and value != schema["const"]:
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    expected = schema.get("type")
    if expected == "object" and not isinstance(value, dict):
        return False
    if expected == "string" and not isinstance(value, str):
        return False
    if isinstance(value, dict):
        if any(req not in value for req in schema.get("required", ())):
            return False
        for name, sub in (schema.get("properties") or {}).items():
            if name in value and isinstance(sub, dict) and not _matches(sub, value[name]):
                return False
    return all(not (isinstance(sub, dict) and not _matches(sub, value)) for sub in schema.get("allOf", ()))


def fill(schema: Schema | None, value: Any) -> Any:
    """``value`` with the schema's defaults filled in, by the §5.1 rules.  ``value`` is not changed."""
    if not schema:
        return value
    out = _copy(value)
    _fill(schema, out)
    return out


def _copy(value: Any) -> Any:
    """A copy of a JSON value (dicts and lists are new; leaves, immutable, are shared)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _fill(schema: Schema, value: Any) -> None:
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if not isinstance(sub, dict):
                continue
            if name not in value:
                if "default" in sub:
                    value[name] = _copy(sub["default"])
            else:
                _fill(sub, value[name])
        if "if" in schema and isinstance(schema["if"], dict):
            branch = schema.get("then") if _matches(schema["if"], value) else schema.get("else")
            if isinstance(branch, dict):
                _fill(branch, value)
        for sub in schema.get("allOf", ()):
            if isinstance(sub, dict):
                _fill(sub, value)
        for keyword in ("oneOf", "anyOf"):
            for sub in schema.get(keyword, ()):
                if isinstance(sub, dict) and all(req in value for req in sub.get("required", ())) \
                        and _matches(sub, value):
                    _fill(sub, value)
                    break
        for prop, dep in (schema.get("dependencies") or {}).items():
            if prop in value and isinstance(dep, dict):
                _fill(dep, value)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in value:
                _fill(items, item)
