"""http-logger, file-logger, zipkin and opentelemetry (3.18.0).

Why these: logs and traces are how the team behind a Hydra-protected API sees who called what,
and the loggers bring ``metadata_schema``s (``/plugin_metadata/http-logger`` is a common first
use of plugin metadata).  http-logger's schema is wrapped by ``batch-processor-manager.lua``
``wrap_schema`` (the batch fields, ``name`` defaulting to the plugin name) and its metadata by
``wrap_metadata_schema`` (``max_pending_entries``).  file-logger's ``check_schema`` also needs a
``path`` in the config or in its plugin metadata; that check reads the store, so it lives in
``apisix_validate.Checker``.  Fields added after 3.13 are left out for older versions, so that
3.13 mode stores only the defaults 3.13 knew.
"""

from __future__ import annotations

import copy

from reconciler.sandbox.apisix_plugins.base import PluginDef, Schema, Version

URI_DEF: Schema = {"type": "string", "pattern": r"^[^\/]+:\/\/([\da-zA-Z.-]+|\[[\da-fA-F:]+\])(:\d+)?"}
_EXPR: Schema = {"type": "array", "minItems": 1, "items": {"type": "array"}}
_BODY_LOG: Schema = {
    "log_format": {"type": "object"},
    "log_format_extra": {"type": "object"},
    "include_req_body": {"type": "boolean", "default": False},
    "include_req_body_expr": _EXPR,
    "include_resp_body": {"type": "boolean", "default": False},
    "include_resp_body_expr": _EXPR,
    "max_req_body_bytes": {"type": "integer", "minimum": 1, "default": 524288},
    "max_resp_body_bytes": {"type": "integer", "minimum": 1, "default": 524288},
}
#: ``apisix/utils/batch-processor.lua`` ``schema``.
BATCH: Schema = {
    "name": {"type": "string", "default": "log buffer"},
    "max_retry_count": {"type": "integer", "minimum": 0, "default": 0},
    "retry_delay": {"type": "integer", "minimum": 0, "default": 1},
    "buffer_duration": {"type": "integer", "minimum": 1, "default": 60},
    "inactive_timeout": {"type": "integer", "minimum": 1, "default": 5},
    "batch_max_size": {"type": "integer", "minimum": 1, "default": 1000},
}
MAX_PENDING: Schema = {"type": "integer", "minimum": 1, "default": 8192}


def body_log(version: Version) -> Schema:
    """The loggers' shared fields: ``max_*_body_bytes`` came in 3.16, ``log_format_extra`` in 3.18."""
    out = copy.deepcopy(_BODY_LOG)
    if version < (3, 16):
        del out["max_req_body_bytes"], out["max_resp_body_bytes"]
    if version < (3, 18):
        del out["log_format_extra"]
    return out


def wrap_batch(name: str, props: Schema) -> Schema:
    """``batch_processor_manager:wrap_schema``: batch fields the plugin does not define, named after it."""
    out = copy.deepcopy(props)
    for key, value in BATCH.items():
        out.setdefault(key, copy.deepcopy(value))
    out["name"]["default"] = name
    return out


def http_logger(version: Version) -> PluginDef:
    """http-logger (priority 410); ``auth_header`` is encrypted."""
    props: Schema = {"uri": URI_DEF, "auth_header": {"type": "string"},
                     "timeout": {"type": "integer", "minimum": 1, "default": 3},
                     **body_log(version),
                     "concat_method": {"type": "string", "default": "json", "enum": ["json", "new_line"]},
                     "ssl_verify": {"type": "boolean", "default": False}}
    metadata: Schema = {"type": "object", "properties": {"log_format": {"type": "object"}}}
    if version >= (3, 18):
        metadata["properties"].update({"log_format_extra": {"type": "object"}, "max_pending_entries": MAX_PENDING})
    return PluginDef("http-logger", 410, {"type": "object", "properties": wrap_batch("http-logger", props),
                                          "encrypt_fields": ["auth_header"], "required": ["uri"]},
                     metadata_schema=metadata)


def file_logger(version: Version) -> PluginDef:
    """file-logger (priority 399): not batch-wrapped; ``path`` here or in its metadata."""
    props: Schema = {"path": {"type": "string"}, **body_log(version),
                     "match": {"type": "array", "maxItems": 20, "items": {"type": "array"}}}
    metadata: Schema = {"type": "object", "properties": {"log_format": {"type": "object"}}}
    schema: Schema = {"type": "object", "properties": props}
    if version >= (3, 15):  # before 3.15 the path was required and the metadata had none
        metadata["properties"]["path"] = {"type": "string"}
    else:
        schema["required"] = ["path"]
    if version >= (3, 18):
        metadata["properties"]["log_format_extra"] = {"type": "object"}
    return PluginDef("file-logger", 399, schema, metadata_schema=metadata)


def zipkin(version: Version) -> PluginDef:
    """zipkin (priority 12011)."""
    return PluginDef("zipkin", 12011, {"type": "object", "properties": {
        "endpoint": {"type": "string"},
        "sample_ratio": {"type": "number", "minimum": 0.00001, "maximum": 1},
        "service_name": {"type": "string", "default": "APISIX"},
        "server_addr": {"type": "string", "pattern": "^[0-9]{1,3}.[0-9]{1,3}.[0-9]{1,3}.[0-9]{1,3}$"},
        "span_version": {"enum": [1, 2], "default": 2},
    }, "required": ["endpoint", "sample_ratio"]})


def opentelemetry(version: Version) -> PluginDef:
    """opentelemetry (priority 12009); the collector is configured in its plugin metadata."""
    scalar: Schema = {"oneOf": [{"type": "boolean"}, {"type": "number"}, {"type": "string"}]}
    metadata: Schema = {"type": "object", "properties": {
        "trace_id_source": {"type": "string", "enum": ["x-request-id", "random"], "default": "random"},
        "resource": {"type": "object", "additionalProperties": copy.deepcopy(scalar)},
        "collector": {"type": "object", "properties": {
            "address": {"type": "string", "default": "127.0.0.1:4318"},
            "request_timeout": {"type": "integer", "default": 3},
            "request_headers": {"type": "object", "additionalProperties": copy.deepcopy(scalar)},
        }, "default": {"address": "127.0.0.1:4318", "request_timeout": 3}},
        "batch_span_processor": {"type": "object", "properties": {
            "drop_on_queue_full": {"type": "boolean"},
            "max_queue_size": {"type": "integer"},
            "batch_timeout": {"type": "number"},
            "inactive_timeout": {"type": "number"},
            "max_export_batch_size": {"type": "integer"},
        }, "default": {}},
        "set_ngx_var": {"type": "boolean", "default": False},
    }}
    samplers = ["always_on", "always_off", "trace_id_ratio"]
    root: Schema = {"type": "object", "properties": {
        "name": {"type": "string", "enum": samplers, "default": "always_off"},
        "options": {"type": "object", "properties": {"fraction": {"type": "number", "default": 0}},
                    "default": {"fraction": 0}},
    }, "default": {"name": "always_off", "options": {"fraction": 0}}}
    sampler: Schema = {"type": "object", "properties": {
        "name": {"type": "string", "enum": [*samplers, "parent_base"], "default": "always_off"},
        "options": {"type": "object", "properties": {
            "fraction": {"type": "number", "default": 0}, "root": root,
        }, "default": {"fraction": 0, "root": {"name": "always_off"}}},
    }, "default": {"name": "always_off", "options": {"fraction": 0, "root": {"name": "always_off"}}}}
    attrs: Schema = {"type": "array", "items": {"type": "string", "minLength": 1}}
    return PluginDef("opentelemetry", 12009, {"type": "object", "properties": {
        "sampler": sampler, "additional_attributes": attrs,
        "additional_header_prefix_attributes": copy.deepcopy(attrs),
    }}, metadata_schema=metadata)
