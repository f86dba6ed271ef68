"""How every renderer turns a value into text: masking first, then compact JSON and field paths.

All formats (text, JSON, Markdown, the apply event stream) read values through ``masked`` or
``compact`` in this module, so that one masking walk (``reconciler.plan.record.plain``, shared with
the saved-plan record) stands between every body and every output.  Keeping that choke point
in one place is what lets the tests prove that no format can show a secret.  Dict keys are sorted
on the way out, so one plan always renders the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

from reconciler.plan.changes import Action, Change, Plan
from reconciler.plan.record import join_path, plain
from reconciler.secrets import MASK, Secret, mask

#: The major version of every JSON document and event this package writes.
FORMAT_VERSION: Final = "1"



def masked(value: Any) -> Any:
    """``value`` as plain JSON data: secrets masked, dict keys sorted, tuples and sets as lists."""
    return plain(value)


def compact(value: Any) -> str:
    """One-line display of a value: a secret as ``(sensitive value)``, anything else as compact JSON."""
    if isinstance(value, Secret):
        return MASK
    return json.dumps(masked(value), ensure_ascii=False, separators=(", ", ": "), default=str)


def to_json(document: Any, *, indent: int | None = 2) -> str:
    """A JSON document as text, masked again, its key order kept; 2-space indent or one line (``None``)."""
    return json.dumps(mask(document), ensure_ascii=False, default=str, indent=indent)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with ``...`` when it was cut."""
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def flatten(body: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The leaves of a body as ``(dotted path, value)``, keys sorted; lists and empty dicts are leaves."""
    for key in sorted(body, key=str):
        value = body[key]
        path = join_path(prefix, key)
        if isinstance(value, dict) and value:
            yield from flatten(value, path)
        else:
            yield path, value


def is_sensitive(value: Any) -> bool:
    """True for a bare ``Secret`` (shown as the mask alone, never as ``old -> new``)."""
    return isinstance(value, Secret)


def summary_counts(plan: Plan) -> dict[str, int]:
    """The counts every format shows: create, update, delete, noop, unmanaged."""
    counts = plan.summary()
    return {key: counts[key] for key in ("create", "update", "delete", "noop", "unmanaged")}


def summary_line(plan: Plan) -> str:
    """``Plan: 1 to create, ...`` or the no-changes sentence (only for a complete plan without errors)."""
    counts = summary_counts(plan)
    if plan.complete and not plan.has_changes and not plan.errors:
        return "No changes. Live state matches the desired state."
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete, {counts['noop']} unchanged, {counts['unmanaged']} unmanaged."
    )


def visible_changes(plan: Plan) -> list[Change]:
    """The changes a listing shows: every one but the no-ops, in plan order."""
    return [c for c in plan.changes if c.action is not Action.NOOP]
