"""proxy-rewrite, cors, prometheus and request-id, transcribed from 3.18.0.

Why: they are the everyday non-auth plugins of a desired state; cors also brings a
``metadata_schema`` so that ``/plugin_metadata/cors`` can be exercised.
"""

from __future__ import annotations

from typing import Any

from reconciler.sandbox.apisix_plugins.base import PluginDef, Schema, Version, is_legacy
from reconciler.sandbox.apisix_schemas import METHODS

_ORIGINS = r"^(\*|\*\*|null|\w+://[^,]+(,\w+://[^,]+)*)$"
_SCALAR: Schema = {"oneOf": [{"type": "string"}, {"type": "number"}]}
_HEADER_VALUE: Schema = {"oneOf": [{"type": "string"}, {"type": "number"},
                                   {"type": "array", "minItems": 1, "items": _SCALAR}]}


def proxy_rewrite(version: Version) -> PluginDef:
    """proxy-rewrite (priority 1008); ``use_real_request_uri_unsafe`` is its only default."""
    headers: Schema = {"oneOf": [
        {"type": "object", "minProperties": 1, "additionalProperties": False, "properties": {
            "add": {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": _HEADER_VALUE}},
            "set": {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": _HEADER_VALUE}},
            "remove": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": "^[^:]+$"}},
        }},
        {"type": "object", "minProperties": 1, "patternProperties": {"^[^:]+$": _SCALAR}},
    ]}
    return PluginDef("proxy-rewrite", 1008, {"type": "object", "properties": {
        "uri": {"type": "string", "minLength": 1, "maxLength": 4096, "pattern": r"^\/.*"},
        "method": {"type": "string", "enum": [*METHODS, "MKCOL", "COPY", "MOVE", "PROPFIND", "LOCK",
                                              "UNLOCK"]},
        "regex_uri": {"type": "array", "minItems": 2, "items": {"type": "string"}},
        "host": {"type": "string", "pattern": r"^[0-9a-zA-Z-.]+(:\d{1,5})?$"},
        "headers": headers,
        "use_real_request_uri_unsafe": {"type": "boolean", "default": False},
    }, "minProperties": 1})


def _cors_check(conf: dict[str, Any], schema_type: str, legacy: bool) -> str | None:
    """cors.lua ``check_schema`` after the schema (defaults already filled): no ``*`` with credentials."""
    if schema_type == "metadata" or not conf.get("allow_credential"):
        return None
    if "*" in (conf.get("allow_origins"), conf.get("allow_methods"), conf.get("allow_headers"),
               conf.get("expose_headers"), conf.get("timing_allow_origins")):
        return "you can not set '*' for other option when 'allow_credential' is true"
    return None


def cors(version: Version) -> PluginDef:
    """cors (priority 4000) with its ``metadata_schema``; ``expose_headers`` has no default since 3.10."""
    texts: Schema = {"type": "array", "minItems": 1, "uniqueItems": True,
                     "items": {"type": "string", "minLength": 1, "maxLength": 4096}}
    props: Schema = {
        "allow_origins": {"type": "string", "pattern": _ORIGINS, "default": "*"},
        "allow_methods": {"type": "string", "default": "*"},
        "allow_headers": {"type": "string", "default": "*"},
        "expose_headers": {"type": "string"},
        "max_age": {"type": "integer", "default": 5},
        "allow_credential": {"type": "boolean", "default": False},
        "allow_origins_by_regex": texts,
        "allow_origins_by_metadata": texts,
        "timing_allow_origins": {"type": "string", "pattern": _ORIGINS},
        "timing_allow_origins_by_regex": texts,
    }
    metadata: Schema = {"type": "object", "properties": {"allow_origins": {
        "type": "object", "additionalProperties": {"type": "string", "pattern": _ORIGINS}}}}
    return PluginDef("cors", 4000, {"type": "object", "properties": props}, metadata_schema=metadata,
                     post_check=_cors_check)


def prometheus(version: Version) -> PluginDef:
    """prometheus (priority 500)."""
    metadata: Schema = {"type": "object", "properties": {
        "disabled_labels": {"type": "object", "additionalProperties": False, "properties": {}}}}
    return PluginDef("prometheus", 500, {"type": "object", "properties": {
        "prefer_name": {"type": "boolean", "default": False}}}, metadata_schema=metadata, version=0.2)


def request_id(version: Version) -> PluginDef:
    """request-id (priority 12015)."""
    legacy = is_legacy(version)
    charset = "abcdefghijklmnopqrstuvwxyzABCDEFGHIGKLMNOPQRSTUVWXYZ0123456789"
    algorithms = ["uuid", "nanoid", "range_id", "ksuid"] + ([] if legacy else ["uuidv7"])
    return PluginDef("request-id", 12015, {"type": "object", "properties": {
        "header_name": {"type": "string", "default": "X-Request-Id"},
        "include_in_response": {"type": "boolean", "default": True},
        "algorithm": {"type": "string", "enum": algorithms, "default": "uuid"},
        "range_id": {"type": "object", "properties": {
            "length": {"type": "integer", "minimum": 6, "default": 16},
            "char_set": {"type": "string", "minLength": 6, "default": charset}},
            "default": {"length": 16, "char_set": charset}},
    }})
