"""The machine-readable JSON format of plans, apply results and the apply event stream.

Documented in ``docs/json-output.md``.  Every document carries ``format_version``; a reader must
refuse a major version it does not know.  Adding a key is a minor change (readers ignore unknown
keys); removing or changing the meaning of one bumps the major version.  The shapes follow decK's
``--json-output`` (changes, summary, warnings, errors) and Terraform's ``plan -json`` (one action
per change with before/after).  No-op changes are counted in ``summary`` but not listed.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.changes import ApplyEvent, ApplyResult, Change, FieldChange, Outcome, Plan, Unmanaged
from reconciler.report.values import FORMAT_VERSION, masked, summary_counts, to_json, visible_changes


def field_change_document(fc: FieldChange) -> dict[str, Any]:
    """``{"op", "path", "old", "new"}``, values masked."""
    return {"op": fc.op.value, "path": fc.path, "old": masked(fc.old), "new": masked(fc.new)}


def change_document(change: Change) -> dict[str, Any]:
    """One change: address, kind, key, action, reason, before, after and the field diff."""
    return {
        "address": change.address,
        "kind": change.kind.value,
        "key": change.key,
        "action": change.action.value,
        "reason": change.reason,
        "before": masked(change.before),
        "after": masked(change.after),
        "diff": [field_change_document(fc) for fc in change.diff],
    }


def unmanaged_document(item: Unmanaged) -> dict[str, Any]:
    """One unmanaged object: address, kind, key and why it is left alone."""
    return {"address": f"{item.kind.value}.{item.key}", "kind": item.kind.value, "key": item.key, "reason": item.reason}


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as a JSON-ready dict (format version 1)."""
    return {
        "format_version": FORMAT_VERSION,
        "type": "plan",
        "complete": plan.complete,
        "servers": {name: plan.servers[name] for name in sorted(plan.servers)},
        "changes": [change_document(c) for c in visible_changes(plan)],
        "summary": summary_counts(plan),
        "unmanaged": [unmanaged_document(u) for u in plan.unmanaged],
        "warnings": list(plan.warnings),
        "errors": list(plan.errors),
    }


def render_plan_json(plan: Plan) -> str:
    """The plan document as text, 2-space indent, ending with a newline."""
    return to_json(plan_document(plan)) + "\n"


def _event_fields(event: ApplyEvent) -> dict[str, Any]:
    change = event.change
    return {
        "address": change.address,
        "kind": change.kind.value,
        "key": change.key,
        "action": change.action.value,
        "outcome": event.outcome.value,
        "message": event.message,
        "attempts": event.attempts,
    }


def event_document(event: ApplyEvent) -> dict[str, Any]:
    """One line of the apply event stream: ``{"type": "apply_event", ...}``."""
    return {"format_version": FORMAT_VERSION, "type": "apply_event", **_event_fields(event)}


def render_event_json(event: ApplyEvent) -> str:
    """One event as a single JSON line (no trailing newline)."""
    return to_json(event_document(event), indent=None)


def apply_document(result: ApplyResult) -> dict[str, Any]:
    """The apply result: ``ok``, counts per outcome and every event in completion order."""
    return {
        "format_version": FORMAT_VERSION,
        "type": "apply_result",
        "ok": result.ok,
        "summary": {o.value: len(result.by(o)) for o in Outcome},
        "events": [_event_fields(e) for e in result.events],
    }


def render_apply_json(result: ApplyResult) -> str:
    """The apply result document as text, 2-space indent, ending with a newline."""
    return to_json(apply_document(result)) + "\n"
