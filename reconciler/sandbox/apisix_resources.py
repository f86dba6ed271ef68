"""The APISIX resource kinds the emulator serves, and how each is stored.

Why a table: the Admin API treats every resource with one generic CRUD path that differs only in
a few facts per kind (the noun in its messages, the methods it allows, the schema and plugin
schema type it is checked with, whether it carries timestamps).  Keeping those facts as data
keeps the request handler free of per-kind branches, like APISIX's own ``resource.lua``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.sandbox.http import Request

ALL = frozenset({"GET", "PUT", "POST", "PATCH", "DELETE"})
NO_POST = frozenset({"GET", "PUT", "PATCH", "DELETE"})
NO_POST_PATCH = frozenset({"GET", "PUT", "DELETE"})


@dataclass(frozen=True)
class ResourceType:
    """One Admin API resource type.  ``segment`` is the URL segment and the etcd directory.

    Named apart from ``reconciler.state.kinds.Kind``, the tool's own kinds, which it must not mirror.
    """

    segment: str
    noun: str
    schema: str
    methods: frozenset[str]
    plugin_type: str = "main"
    timestamps: bool = True


KINDS: dict[str, ResourceType] = {k.segment: k for k in (
    ResourceType("routes", "route", "route", ALL),
    ResourceType("services", "service", "service", ALL),
    ResourceType("upstreams", "upstream", "upstream", ALL),
    ResourceType("consumers", "consumer", "consumer", NO_POST_PATCH, plugin_type="consumer"),
    ResourceType("credentials", "credential", "credential", NO_POST_PATCH, plugin_type="consumer"),
    ResourceType("consumer_groups", "consumer group", "consumer_group", NO_POST),
    ResourceType("plugin_configs", "plugin config", "plugin_config", NO_POST),
    ResourceType("global_rules", "global rule", "global_rule", NO_POST),
    ResourceType("ssls", "ssl", "ssl", ALL),
    ResourceType("protos", "proto", "proto", frozenset({"GET", "PUT", "POST", "DELETE"})),
    ResourceType("secrets", "secret", "", NO_POST),  # see apisix_secrets
    ResourceType("plugin_metadata", "plugin_metadata", "", NO_POST_PATCH, plugin_type="metadata",
         timestamps=False),
)}
STREAM_ROUTES = "stream_routes"
MAX_BODY = 1572864


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


def merge_patch(old: Any, new: Any) -> Any:
    """APISIX's PATCH merge: objects merge recursively, null deletes, arrays and {} replace."""
    if not isinstance(new, dict) or not new or not isinstance(old, dict):
        return copy.deepcopy(new)
    out = dict(old)
    for key, value in new.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(old.get(key), value)
    return out


def _no_constant(token: str) -> Any:
    """``NaN``/``Infinity`` are not JSON (RFC 8259 section 6), and a stored one would make every
    later GET an invalid JSON answer.  Python's parser takes them; a JSON parser must not.  Not
    checked against a real APISIX (none runs here): the error text is the one for any bad token."""
    raise json.JSONDecodeError(f"invalid number {token}", token, 0)


def parse_body(request: Request, missing: str) -> Any:
    """The JSON request body, or the 400 APISIX gives for a missing, oversized or invalid one."""
    raw = request.body
    if len(raw) > MAX_BODY:
        raise bad(f"invalid request body: request size {len(raw)} is greater than the maximum size "
                  f"{MAX_BODY} allowed")
    if not raw.strip():
        raise bad(missing)
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except ValueError as exc:
        pos = getattr(exc, "pos", 0) + 1
        raise ApiError(400, {"error_msg": f"invalid request body: Expected value but found invalid "
                                          f"token at character {pos}",
                             "req_body": raw.decode("utf-8", "replace")}) from exc


def forbidden_times(conf: dict[str, Any], version: tuple[int, ...]) -> None:
    """3.7+: clients may not send create_time/update_time on PUT/POST (note the two spaces)."""
    if version < (3, 7):
        return
    for scope, prefix in ((conf, ""), (conf.get("upstream"), "upstream."), (conf.get("plugins"), "plugins.")):
        if isinstance(scope, dict):
            for name in ("create_time", "update_time"):
                if name in scope and scope[name] is not False:  # Lua truthiness
                    raise bad(f"the property is forbidden:  {prefix}{name}")
