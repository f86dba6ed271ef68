"""APISIX's own verdict on the objects a plan will write, asked before anything is written.

Why: JSON Schema is only part of what APISIX checks.  Plugins add rules in Lua ``check_schema``
(cors refuses ``*`` with ``allow_credential``, redirect refuses ``http_to_https`` with
``append_query_string``, ...), and without asking the server such an error shows up halfway
through an apply.  From 3.17 on, ``POST /apisix/admin/configs/validate`` runs each resource's full
checker on a whole config and writes nothing (``apisix/admin/config_validate.lua``), so ``plan``
sends every object it would create or update there and reports each rejection at the object's
``file:line``.  Older servers lack the endpoint; there the plan keeps the schema check of
``plan.schemacheck`` alone.

Any answer that is not a clean 200 ``{}`` or a 400 with per-object errors is reported as an
error, never read as "valid": a plan that could not be validated is not applied.  Secret values
are sent (the server gets them on write anyway) and masked in every message it returns.
"""

from __future__ import annotations

import json
from typing import Any

from reconciler.errors import AdminAPIError
from reconciler.plan.changes import Action, Change, Plan
from reconciler.run.adapters.apisix import ApisixAdapter
from reconciler.run.apply import scrub
from reconciler.secrets import wire
from reconciler.state.kinds import Kind, ResolvedState
from reconciler.state.live import ServerInfo
from reconciler.state.registry import APISIX_KINDS, spec

#: The first version that serves ``/configs/validate`` (``config_validate.lua`` appeared in 3.17.0).
FIRST_VERSION = (3, 17)
ENDPOINT = "POST /apisix/admin/configs/validate"
#: The most a validation request carries, well under APISIX's 1.5 MiB admin body limit.
BATCH_BYTES = 1024 * 1024


def _item(change: Change) -> tuple[str, dict[str, Any]]:
    """The ``/configs`` section and item for one write (the key put back where APISIX wants it)."""
    body = dict(change.after or {})
    if change.kind is Kind.CONSUMER:
        return "consumers", {**body, "username": change.key}
    if change.kind is Kind.CREDENTIAL:
        user, _, cred = change.key.partition("/")
        return "consumers", {**body, "id": f"{user}/credentials/{cred}"}
    return spec(change.kind).admin_path, {**body, "id": change.key}


def build_config(writes: list[Change]) -> tuple[dict[str, list[dict[str, Any]]], dict[tuple[str, int], Change]]:
    """The config document for ``writes`` and the (section, index) -> change map of its items."""
    config: dict[str, list[dict[str, Any]]] = {}
    where: dict[tuple[str, int], Change] = {}
    for change in writes:
        section, item = _item(change)
        items = config.setdefault(section, [])
        where[(section, len(items))] = change
        items.append(item)
    return config, where


def _source(desired: ResolvedState, change: Change) -> str:
    obj = desired.of(change.kind).get(change.key)
    return obj.source if obj is not None and obj.source else "no source"


def _read_errors(body: Any, where: dict[tuple[str, int], Change], desired: ResolvedState,
                 version: str) -> list[str] | None:
    """One message per rejected object, or None when the 400 is not the per-object kind."""
    if not isinstance(body, dict) or body.get("error_msg") != "Configuration validation failed":
        return None
    errors = body.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    messages: list[str] = []
    for err in errors:
        if not isinstance(err, dict):
            return None
        index, section = err.get("index"), err.get("resource_type")
        change = where.get((section, index)) if isinstance(section, str) and isinstance(index, int) else None
        text = str(err.get("error", "no reason given"))
        if change is None:
            messages.append(f"APISIX {version} rejected the configuration: "
                            f"{_scrub_all(text, list(where.values()))} ({ENDPOINT})")
            continue
        messages.append(f"{change.address}: {scrub(text, change)} "
                        f"(rejected by APISIX {version} {ENDPOINT}; {_source(desired, change)})")
    return messages


def _scrub_all(message: str, writes: list[Change]) -> str:
    for change in writes:
        message = scrub(message, change)
    return message


async def server_errors(plan: Plan, desired: ResolvedState, adapter: ApisixAdapter, info: ServerInfo) -> list[str]:
    """APISIX's rejections of the plan's APISIX writes (empty when all pass or the server is older
    than 3.17).  Objects the offline check already rejected are left out, so each is named once."""
    if not info.at_least(*FIRST_VERSION):
        return []
    version = info.version
    known = {e.split(":", 1)[0] for e in plan.errors}
    writes = [c for c in plan.changes if c.kind in APISIX_KINDS and c.action in (Action.CREATE, Action.UPDATE)
              and c.address not in known]
    if not writes:
        return []
    messages: list[str] = []
    for batch in batches(writes):
        messages.extend(await _validate_batch(batch, desired, adapter, version))
    return messages


def batches(writes: list[Change], budget: int = BATCH_BYTES) -> list[list[Change]]:
    """``writes`` cut into runs whose config documents stay under ``budget`` bytes.

    APISIX's Admin API refuses a body over 1.5 MiB (``apisix/admin/init.lua``: "request size N is
    greater than the maximum size 1572864"), so a plan of thousands of objects is validated in
    several requests.  The endpoint checks each item on its own (no reference checks), so the cut
    changes no verdict.  An object larger than the budget still goes alone: the server judges it.
    """
    runs: list[list[Change]] = []
    run: list[Change] = []
    size = 0
    for change in writes:
        section, item = _item(change)
        cost = len(section) + len(json.dumps(wire(item), separators=(",", ":"), default=str)) + 8
        if run and size + cost > budget:
            runs.append(run)
            run, size = [], 0
        run.append(change)
        size += cost
    if run:
        runs.append(run)
    return runs


async def _validate_batch(writes: list[Change], desired: ResolvedState, adapter: ApisixAdapter,
                          version: str) -> list[str]:
    """APISIX's rejections of one batch (see ``server_errors``)."""
    config, where = build_config(writes)
    try:
        status, body = await adapter.validate_config(config)
    except AdminAPIError as exc:
        return [f"APISIX {version} could not validate the {len(writes)} objects to write ({ENDPOINT}: "
                f"{_scrub_all(str(exc.server_message), writes)}, HTTP {exc.status}); nothing was written"]
    if status == 200 and body == {}:
        return []
    if status == 400:
        messages = _read_errors(body, where, desired, version)
        if messages is not None:
            return messages
        reason = body.get("error_msg") if isinstance(body, dict) else None
        return [f"APISIX {version} refused to validate the objects to write ({ENDPOINT}): "
                f"{_scrub_all(str(reason or body), writes)}; nothing was written"]
    return [f"APISIX {version} gave an unexpected answer to {ENDPOINT} (HTTP {status}, not the empty "
            f"object of a valid configuration); nothing was written"]
