"""A plan as plain data: what a saved plan records and what a re-made plan is compared with.

A saved plan is stale when re-planning gives other changes.  That judgement must rest on the
plan's own data, not on what a renderer prints: a new column in the JSON report must not turn
every saved plan stale, and a renderer that hides a field must not let a changed plan through.
So the record is built here, from ``Change`` objects, with secrets masked (a plan file holds no
secret; secrets are checked against their fingerprints instead).  Pure functions only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from reconciler.plan.changes import Action, Change, FieldChange, Plan
from reconciler.secrets import MASK, Secret

_BARE_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def join_path(prefix: str, key: object) -> str:
    """Append one key to a dotted path, quoting keys that are not plain words (``nodes."10.0.0.1:80"``)."""
    text = str(key)
    segment = text if _BARE_KEY.match(text) else json.dumps(text, ensure_ascii=False)
    return f"{prefix}.{segment}" if prefix else segment


def secret_paths(value: Any, path: str = "") -> Iterator[tuple[str, Secret]]:
    """Every ``Secret`` inside ``value`` with its dotted path (``[i]`` for list items), keys sorted."""
    if isinstance(value, Secret):
        yield path, value
    elif isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from secret_paths(value[key], join_path(path, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from secret_paths(item, f"{path}[{i}]")


def plain(value: Any) -> Any:
    """``value`` as JSON data: secrets masked, dict keys sorted, tuples and sets as (sorted) lists,
    anything else not JSON as text.  The one walk that every renderer (``report.values.masked``)
    and the saved-plan record read values through, so one plan always gives the same bytes."""
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, dict):
        return {str(k): plain(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=lambda v: json.dumps(v, default=str))
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def field_record(fc: FieldChange) -> dict[str, Any]:
    """One changed field: op, path, old and new (masked)."""
    return {"op": fc.op.value, "path": fc.path, "old": plain(fc.old), "new": plain(fc.new)}


def change_record(change: Change) -> dict[str, Any]:
    """One change as data: what it writes, where, and what it waits for."""
    return {
        "address": change.address,
        "kind": change.kind.value,
        "key": change.key,
        "action": change.action.value,
        "reason": change.reason,
        "before": plain(change.before),
        "after": plain(change.after),
        "diff": [field_record(fc) for fc in change.diff],
        "depends_on": [f"{kind.value}.{key}" for kind, key in change.depends_on],
    }


def plan_record(plan: Plan) -> list[dict[str, Any]]:
    """The changes that write something (no-ops left out), in plan order, as data."""
    return [change_record(c) for c in plan.changes if c.action is not Action.NOOP]


__all__ = ["change_record", "field_record", "join_path", "plain", "plan_record", "secret_paths"]
