"""The APISIX Admin API's read-only information endpoints (spec §7): schemas and plugin lists.

Why they matter: a reconciler that normalises legacy (<= 3.13) defaults fetches each plugin's
live schema from ``/apisix/admin/schema/plugins/{name}`` and fills defaults from it, so the
emulator serves the very schemas it validates with, including APISIX's injected ``_meta``.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.apisix_jsonschema import validate
from reconciler.sandbox.apisix_plugins import PluginRegistry
from reconciler.sandbox.apisix_resources import ApiError, bad, dumps
from reconciler.sandbox.http import Request, Response

_HEADERS = [("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*")]
_RESOURCE_SCHEMA = {"routes": "route", "services": "service", "upstreams": "upstream",
                    "consumers": "consumer", "credentials": "credential", "ssls": "ssl",
                    "protos": "proto", "global_rules": "global_rule", "plugin_configs": "plugin_config",
                    "consumer_groups": "consumer_group"}


def _ok(obj: Any) -> Response:
    return Response(200, dumps(obj) + b"\n", list(_HEADERS))


def plugin_schema(request: Request, name: str, plugins: PluginRegistry) -> Response:
    """``GET /apisix/admin/schema/plugins/{name}`` and ``GET /apisix/admin/plugins/{name}``."""
    subsystem = request.arg("subsystem") or "http"
    if subsystem not in ("http", "stream"):
        raise bad(f"unsupported subsystem: {subsystem}")
    if plugins.get(name) is None or subsystem == "stream":
        raise ApiError(404, {"error_msg": f"plugin not found in subsystem {subsystem}"})
    schema_type = request.arg("schema_type") or "main"
    schema = plugins.schema(name, schema_type if schema_type in ("consumer", "metadata") else "main")
    if schema is None:
        raise bad("not found schema")
    return _ok(schema)


def schema_endpoint(request: Request, parts: list[str], schemas: dict[str, Any],
                    plugins: PluginRegistry) -> Response:
    """``/apisix/admin/schema/...``: resource schemas, plugin schemas and ``validate``."""
    if parts[:1] == ["validate"] and request.method == "POST":
        schema = schemas.get(_RESOURCE_SCHEMA.get(parts[1] if len(parts) > 1 else "", ""))
        if schema is None:
            raise bad(f"invalid resource: {parts[1] if len(parts) > 1 else ''}")
        try:
            import json

            body = json.loads(request.body or b"null")
        except ValueError as exc:
            raise bad(f"invalid request body: {exc}") from exc
        err = validate(schema, body)
        if err:
            raise bad(err)
        return Response(200, b"", list(_HEADERS))
    if request.method != "GET" or not parts:
        raise ApiError(404, {"error_msg": "not found"})
    if parts[0] == "plugins" and len(parts) > 1:
        return plugin_schema(request, parts[1], plugins)
    if parts[0] not in schemas:
        raise bad(f"not found schema: {parts[0]}")
    return _ok(schemas[parts[0]])


def plugins_endpoint(request: Request, parts: list[str], plugins: PluginRegistry) -> Response:
    """``/apisix/admin/plugins/...``: ``list``, ``reload``, ``?all=true`` and one plugin's schema."""
    if parts[:1] == ["reload"]:
        if request.method != "PUT":
            raise ApiError(405, {"error_msg": "please use PUT method to reload the plugins, "
                                              f"{request.method} method is not allowed."})
        return Response(200, b"done", list(_HEADERS))
    if request.method != "GET":
        raise ApiError(404, {"error_msg": "not found"})
    if parts[:1] == ["list"]:
        subsystem = request.arg("subsystem") or "http"
        if subsystem not in ("http", "stream"):
            raise ApiError(400, "invalid subsystem passed")
        return _ok(plugins.names_by_priority() if subsystem == "http" else [])
    if parts:
        return plugin_schema(request, parts[0], plugins)
    if request.arg("all") == "true":
        out: dict[str, Any] = {}
        for name in plugins.names_by_priority():
            plugin = plugins.plugins[name]
            item: dict[str, Any] = {"version": plugin.version, "priority": plugin.priority,
                                    "schema": plugins.schema(name)}
            for attr in ("consumer", "metadata"):
                schema = plugins.schema(name, attr)
                if schema is not None:
                    item[f"{attr}_schema"] = schema
            if plugin.auth:
                item["type"] = "auth"
            out[name] = item
        return _ok(out)
    raise ApiError(404, {"error_msg": "not found"})
