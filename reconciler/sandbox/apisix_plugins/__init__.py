"""The plugins the APISIX emulator knows, with schemas transcribed from apache/apisix 3.18.0.

Why a registry: writes are checked plugin by plugin (``unknown plugin [x]`` for anything not
enabled), the schemas are served over HTTP with APISIX's injected ``_meta`` and ``$comment``, the
list endpoint sorts by priority, and legacy (<= 3.13) mode swaps in the variants that stored
defaults and invented secrets.  The enabled set is 3.18's default plugin list
(``catalogue.DEFAULT_ENABLED``); a plugin without a transcribed schema gets a permissive one (any
object), and a name outside that list is ``unknown plugin [x]``, as on a real server.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

from reconciler.sandbox.apisix_jsonschema import validate
from reconciler.sandbox.apisix_plugins.auth import basic_auth, jwt_auth, key_auth
from reconciler.sandbox.apisix_plugins.base import PluginDef, Schema, Version, is_legacy
from reconciler.sandbox.apisix_plugins.catalogue import DEFAULT_ENABLED, MODULES, STREAM_MODULES
from reconciler.sandbox.apisix_plugins.edge import (
    consumer_restriction,
    hmac_auth,
    referer_restriction,
    request_validation,
    uri_blocker,
)
from reconciler.sandbox.apisix_plugins.misc import cors, prometheus, proxy_rewrite, request_id
from reconciler.sandbox.apisix_plugins.observe import file_logger, http_logger, opentelemetry, zipkin
from reconciler.sandbox.apisix_plugins.oidc import openid_connect
from reconciler.sandbox.apisix_plugins.shaping import (
    api_breaker,
    fault_injection,
    mocking,
    real_ip,
    redirect,
    response_rewrite,
    traffic_split,
)
from reconciler.sandbox.apisix_plugins.traffic import csrf, ip_restriction, limit_conn, limit_count, limit_req
from reconciler.sandbox.apisix_schemas import META_SCHEMA

__all__ = ["DEFAULT_ENABLED", "PLUGIN_NAMES", "PluginDef", "PluginRegistry"]

_FACTORIES: list[Callable[[Version], PluginDef]] = [
    openid_connect, key_auth, basic_auth, jwt_auth, limit_count, limit_req, limit_conn, csrf,
    proxy_rewrite, cors, prometheus, request_id, ip_restriction,
    hmac_auth, response_rewrite, redirect, real_ip, traffic_split, api_breaker, http_logger, file_logger,
    zipkin, opentelemetry, consumer_restriction, referer_restriction, uri_blocker, request_validation,
    fault_injection, mocking,
]
_BY_NAME: dict[str, Callable[[Version], PluginDef]] = {f((3, 18, 0)).name: f for f in _FACTORIES}
#: The plugins whose schemas are transcribed (every other enabled plugin is permissive).
PLUGIN_NAMES: tuple[str, ...] = tuple(_BY_NAME)
COMMENT = "this is a mark for our injected plugin schema"


def _inject(schema: Schema) -> Schema:
    out = copy.deepcopy(schema)
    out["$comment"] = COMMENT
    out.setdefault("properties", {})["_meta"] = copy.deepcopy(META_SCHEMA)
    return out


class PluginRegistry:
    """The enabled plugins of one emulator (legacy or current behaviour)."""

    def __init__(self, version: Version = (3, 18, 0), enabled: Sequence[str] | None = None) -> None:
        self.legacy = is_legacy(version)
        self.version = version
        wanted = DEFAULT_ENABLED if enabled is None else enabled
        self.plugins: dict[str, PluginDef] = {}
        for name in wanted:
            plugin = self._build(name)
            if plugin is not None:
                self.plugins[name] = plugin
        self._main = {name: _inject(p.schema) for name, p in self.plugins.items()}

    def _build(self, name: str) -> PluginDef | None:
        factory = _BY_NAME.get(name)
        if factory is not None:
            return factory(self.version)
        if name in MODULES:
            priority, version, auth = MODULES[name]
            return PluginDef(name, priority, {"type": "object"}, auth=auth, version=version, permissive=True)
        return None

    def module(self, name: str) -> PluginDef | None:
        """Any plugin module that exists in 3.18.0, enabled or not (what ``plugin_metadata`` may name)."""
        plugin = self.plugins.get(name) or self._build(name)
        if plugin is None and name in STREAM_MODULES:
            plugin = PluginDef(name, 0, {"type": "object"}, permissive=True)
        return plugin

    def get(self, name: str) -> PluginDef | None:
        """The enabled plugin called ``name``."""
        return self.plugins.get(name)

    def names_by_priority(self) -> list[str]:
        """Enabled plugin names, highest priority first (``/apisix/admin/plugins/list``)."""
        return [p.name for p in sorted(self.plugins.values(), key=lambda p: (-p.priority, p.name))]

    def schema(self, name: str, schema_type: str = "main") -> Schema | None:
        """The schema served for ``name`` (main: with ``_meta`` injected); None if absent."""
        plugin = self.plugins.get(name)
        if plugin is None:
            return None
        if schema_type == "consumer":
            return copy.deepcopy(plugin.consumer_schema) if plugin.consumer_schema else None
        if schema_type == "metadata":
            return copy.deepcopy(plugin.metadata_schema) if plugin.metadata_schema else None
        return copy.deepcopy(self._main[name])

    def encrypt_fields(self, name: str, schema_type: str) -> list[str]:
        """The dotted paths encrypted at rest for a config of this plugin and schema type."""
        plugin = self.module(name) if schema_type == "metadata" else self.plugins.get(name)
        schema = plugin.schema_for(schema_type) if plugin else None
        return list(schema.get("encrypt_fields", ())) if schema else []

    def check(self, name: str, conf: dict[str, Any], schema_type: str = "main") -> str | None:
        """Validate one plugin config (filling defaults into ``conf``); the raw error or None."""
        plugin = self.plugins[name]
        schema = self._main[name] if schema_type == "main" else plugin.schema_for(schema_type)
        if schema is None:
            return None
        err = plugin.pre_check(conf, schema_type, self.legacy) if plugin.pre_check else None
        err = err or validate(schema, conf)
        if err is None and plugin.post_check is not None:
            err = plugin.post_check(conf, schema_type, self.legacy)
        meta = conf.get("_meta")
        if err and not self.legacy and isinstance(meta, dict) and meta.get("disable") is True:
            return None
        return err
