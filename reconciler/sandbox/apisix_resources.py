"""The APISIX resource kinds the emulator serves, and how each is stored.

Why a table: the Admin API treats every resource with one generic CRUD path that differs only in
a few facts per kind (the noun in its messages, the methods it allows, the schema and plugin
schema type it is checked with, whether it carries timestamps).  Keeping those facts as data
keeps the request handler free of per-kind branches, like APISIX's own ``resource.lua``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

ALL = frozenset({"GET", "PUT", "POST", "PATCH", "DELETE"})
NO_POST = frozenset({"GET", "PUT", "PATCH", "DELETE"})
NO_POST_PATCH = frozenset({"GET", "PUT", "DELETE"})


@dataclass(frozen=True)
class Kind:
    """One resource kind.  ``segment`` is the URL segment and the etcd directory."""

    segment: str
    noun: str
    schema: str
    methods: frozenset[str]
    plugin_type: str = "main"
    timestamps: bool = True


KINDS: dict[str, Kind] = {k.segment: k for k in (
    Kind("routes", "route", "route", ALL),
    Kind("services", "service", "service", ALL),
    Kind("upstreams", "upstream", "upstream", ALL),
    Kind("consumers", "consumer", "consumer", NO_POST_PATCH, plugin_type="consumer"),
    Kind("credentials", "credential", "credential", NO_POST_PATCH, plugin_type="consumer"),
    Kind("consumer_groups", "consumer group", "consumer_group", NO_POST),
    Kind("plugin_configs", "plugin config", "plugin_config", NO_POST),
    Kind("global_rules", "global rule", "global_rule", NO_POST),
    Kind("ssls", "ssl", "ssl", ALL),
    Kind("protos", "proto", "proto", frozenset({"GET", "PUT", "POST", "DELETE"})),
    Kind("plugin_metadata", "plugin_metadata", "", NO_POST_PATCH, plugin_type="metadata",
         timestamps=False),
)}
STREAM_ROUTES = "stream_routes"


class ApiError(Exception):
    """An Admin API error answer: ``body`` is a JSON object, or a str sent as plain text."""

    def __init__(self, status: int, body: dict[str, Any] | str) -> None:
        super().__init__(body if isinstance(body, str) else body.get("error_msg", body))
        self.status = status
        self.body = body


def bad(message: str) -> ApiError:
    """The usual 400 ``{"error_msg": message}``."""
    return ApiError(400, {"error_msg": message})


def dumps(obj: Any) -> bytes:
    """Compact JSON, as cjson writes it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class Entry:
    """One stored object.  ``value`` is what etcd holds (secrets encrypted); ``plain`` is what
    GET shows.  ``item`` caches the serialised GET item so reads cost no JSON encoding."""

    key: str
    value: dict[str, Any]
    plain: dict[str, Any]
    created: int
    modified: int
    item: bytes = field(default=b"", repr=False)

    def __post_init__(self) -> None:
        self.item = (b'{"key":' + dumps(self.key) + b',"value":' + dumps(self.plain)
                     + b',"createdIndex":' + str(self.created).encode()
                     + b',"modifiedIndex":' + str(self.modified).encode() + b"}")
