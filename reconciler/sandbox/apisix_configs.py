"""``POST /apisix/admin/configs/validate`` of the APISIX emulator (3.17+, every deployment mode).

Why it exists: this endpoint runs each resource's full checker, plugin ``check_schema`` rules
included, on a whole declarative config without writing anything.  Clients (``adc validate``,
``reconcile plan``) use it to learn APISIX's own verdict before a write.  The behaviour follows
``apisix/admin/config_validate.lua`` at 3.18.0 and its tests ``t/admin/config-validate.t``:

* an empty body is ``invalid request body: empty request body``; JSON, or YAML when the
  ``Content-Type`` starts with ``application/yaml``;
* every item is checked on a deep copy with ``skip_references_check`` (ids need not exist);
  consumer items whose id holds ``/credentials/`` are checked as credentials;
* every error is collected as ``{resource_type, resource_id, index (0-based), error}``, and a
  repeated id is ``found duplicate id X in routes`` (``username``/``credential id`` for consumers);
* 200 ``{}`` when all is valid, else 400 ``{"error_msg": "Configuration validation failed", ...}``.

Real APISIX walks the resource types in Lua hash order; the emulator uses ``RESOURCE_KEYS``.
Types the emulator does not serve (``stream_routes``, ``plugins``) are accepted unchecked, which
docs/emulator-fidelity.md records.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from reconciler.sandbox.apisix_jsonschema import lua_type
from reconciler.sandbox.apisix_resources import KINDS, MAX_BODY, ApiError, bad
from reconciler.sandbox.apisix_validate import Checker, tostring
from reconciler.sandbox.http import Request

#: ``constants.HTTP_ETCD_DIRECTORY`` and ``STREAM_ETCD_DIRECTORY`` of 3.18.0, without the slash.
RESOURCE_KEYS = ("upstreams", "plugins", "ssls", "stream_routes", "plugin_metadata", "routes", "services",
                 "consumers", "global_rules", "protos", "plugin_configs", "consumer_groups", "secrets")


def _body(request: Request) -> Any:
    raw = request.body
    if len(raw) > MAX_BODY:
        raise bad(f"invalid request body: request size {len(raw)} is greater than the maximum size "
                  f"{MAX_BODY} allowed")
    if not raw:
        raise bad("invalid request body: empty request body")
    if (request.headers.get("content-type") or "application/json").startswith("application/yaml"):
        import yaml  # only YAML bodies need it; the sandbox starts without it

        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError:
            data = None
        if not isinstance(data, (dict, list)):
            raise bad("invalid request body: invalid yaml request body")
        return data
    try:
        return json.loads(raw)
    except ValueError as exc:
        pos = getattr(exc, "pos", 0) + 1
        raise bad(f"invalid request body: Expected value but found invalid token at character {pos}") from exc


def _check_item(checker: Checker, key: str, item: Any) -> str | None:
    """The error text of one item's checker (run on a copy, references skipped), or None."""
    kind = KINDS.get(key)
    if kind is None or key == "credentials":
        return None
    if not isinstance(item, dict):
        return f"invalid configuration: wrong type: expected object, got {lua_type(item)}"
    work = copy.deepcopy(item)
    item_id = work.get("id")
    try:
        if key == "consumers" and item_id is not None and "/credentials/" in tostring(item_id):
            checker.check(KINDS["credentials"], work, tostring(item_id), parent="", references=False)
        elif key == "plugin_metadata":
            if item_id is None:
                return "missing plugin name"
            checker.check(kind, work, tostring(item_id), references=False)
        else:
            checker.check(kind, work, "" if item_id is None else tostring(item_id), references=False)
    except ApiError as exc:
        body = exc.body
        return body if isinstance(body, str) else str(body.get("error_msg", body))
    return None


def _duplicate(key: str, item: Any, seen: set[tuple[str, str]]) -> str | None:
    if not isinstance(item, dict):
        return None
    if key == "consumers":
        ident = item.get("id") if item.get("id") is not None else item.get("username")
        what = "credential id" if item.get("id") is not None else "username"
    else:
        ident, what = item.get("id"), "id"
    if ident is None:
        return None
    marker = (type(ident).__name__, tostring(ident))
    if marker in seen:
        return f"found duplicate {what} {tostring(ident)} in {key}"
    seen.add(marker)
    return None


def validate_configs(request: Request, checker: Checker) -> tuple[int, dict[str, Any]]:
    """Answer ``POST /configs/validate``: (status, body)."""
    data = _body(request)
    if not isinstance(data, dict):
        data = {}
    errors: list[dict[str, Any]] = []
    for key in RESOURCE_KEYS:
        version = data.get(f"{key}_conf_version")
        if version is not None and (isinstance(version, bool) or not isinstance(version, (int, float))):
            errors.append({"resource_type": key,
                           "error": f"{key}_conf_version must be a number, got {lua_type(version)}"})
        items = data.get(key)
        if not isinstance(items, list):
            continue
        seen: set[tuple[str, str]] = set()
        for index, item in enumerate(items):
            resource_id: Any = ""
            if isinstance(item, dict):
                resource_id = item.get("id") if item.get("id") is not None else item.get("username", "")
            for err in (_check_item(checker, key, item), _duplicate(key, item, seen)):
                if err is not None:
                    errors.append({"resource_type": key, "resource_id": resource_id, "index": index,
                                   "error": err})
    if errors:
        return 400, {"error_msg": "Configuration validation failed", "errors": errors}
    return 200, {}
