"""The human-readable text format of plans and apply results (Terraform-like).

A plan lists each change with Terraform's ``+ ~ -`` symbols.  A create shows its whole body,
flattened to ``path = value`` lines; an update shows only the fields that changed, never the
whole before/after body (an openid-connect config is dozens of lines and hides the one change
that matters); a delete is one line.  No-ops are counted, not listed.  Unmanaged objects are
counted per kind and listed up to ``UNMANAGED_LIMIT`` per kind.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Final

from reconciler.plan.changes import Action, ApplyEvent, ApplyResult, Change, FieldChange, FieldOp, Outcome, Plan
from reconciler.plan.record import join_path
from reconciler.report.colors import BOLD, RED, YELLOW, Painter
from reconciler.report.values import (
    compact,
    flatten,
    is_sensitive,
    summary_line,
    visible_changes,
)
from reconciler.secrets import MASK
from reconciler.state.kinds import Kind
from reconciler.state.registry import LEVEL_OF

#: Unmanaged objects listed per kind before ``... and N more``.
UNMANAGED_LIMIT: Final = 20

INCOMPLETE_BANNER: Final = "INCOMPLETE: live state could not be read completely; nothing will be deleted."

_OP_ACTION: Final[dict[FieldOp, Action]] = {
    FieldOp.ADD: Action.CREATE,
    FieldOp.CHANGE: Action.UPDATE,
    FieldOp.REMOVE: Action.DELETE,
}
_OP_SYMBOL: Final[dict[FieldOp, str]] = {FieldOp.ADD: "+", FieldOp.CHANGE: "~", FieldOp.REMOVE: "-"}
_ALIGN_LIMIT: Final = 40


def field_change_line(fc: FieldChange, painter: Painter | None = None) -> str:
    """One changed field: ``~ path: old -> new``, ``+ path: new`` or ``- path: old`` (values masked)."""
    paint = painter or Painter(False)
    symbol = paint.action(_OP_SYMBOL[fc.op], _OP_ACTION[fc.op])
    if fc.op is FieldOp.REMOVE:
        return f"{symbol} {fc.path}: {compact(fc.old)}"
    if fc.op is FieldOp.ADD:
        return f"{symbol} {fc.path}: {compact(fc.new)}"
    if is_sensitive(fc.old) and is_sensitive(fc.new):
        return f"{symbol} {fc.path}: {MASK}"
    return f"{symbol} {fc.path}: {compact(fc.old)} -> {compact(fc.new)}"


def _aligned(leaves: list[tuple[str, Any]], indent: str) -> list[str]:
    if not leaves:
        return []
    width = max((len(path) for path, _ in leaves if len(path) <= _ALIGN_LIMIT), default=0)
    return [f"{indent}{path.ljust(width)} = {compact(value)}" for path, value in leaves]


def _is_section_map(value: Any) -> bool:
    """A dict of dicts, such as ``plugins``: each entry gets its own block."""
    return isinstance(value, dict) and bool(value) and all(isinstance(v, dict) for v in value.values())


def body_lines(body: dict[str, Any], indent: str) -> list[str]:
    """A whole body as aligned ``path = value`` lines, sorted by key.

    Entries of a dict of dicts (``plugins``) become blocks headed ``plugins.cors:``, their own
    fields aligned beneath, so a long plugin config stays readable.
    """
    plain = {k: v for k, v in body.items() if not _is_section_map(v)}
    lines = _aligned(list(flatten(plain)), indent)
    for key in sorted(k for k in body if k not in plain):
        for name in sorted(body[key], key=str):
            path, config = join_path(join_path("", key), name), body[key][name]
            if not config:
                lines.append(f"{indent}{path} = {{}}")
                continue
            lines.append(f"{indent}{path}:")
            lines.extend(_aligned(list(flatten(config)), indent + "  "))
    return lines


def change_lines(change: Change, painter: Painter | None = None) -> list[str]:
    """The lines of one change: the address line, then the body (create) or changed fields (update)."""
    paint = painter or Painter(False)
    head = f"  {paint.action(change.action.symbol, change.action)} {paint.bold(change.address)}"
    if change.reason:
        head += f" ({change.reason})"
    lines = [head]
    if change.action is Action.CREATE and change.after:
        lines.extend(body_lines(change.after, "      "))
    elif change.action is Action.UPDATE:
        lines.extend(f"      {field_change_line(fc, paint)}" for fc in change.diff)
    return lines


def _indent_rest(text: str, indent: str) -> str:
    """Multi-line messages keep their shape under a prefix (``str()`` masks a stray ``Secret``)."""
    return str(text).replace("\n", "\n" + indent)


def unmanaged_lines(plan: Plan, painter: Painter | None = None, limit: int = UNMANAGED_LIMIT) -> list[str]:
    """Unmanaged objects: a total, then per kind (in level order) a count and up to ``limit`` addresses."""
    paint = painter or Painter(False)
    by_kind: dict[Kind, list[tuple[str, str]]] = defaultdict(list)
    for item in plan.unmanaged:
        by_kind[item.kind].append((item.key, item.reason))
    lines = [paint.bold(f"Unmanaged objects (left untouched): {len(plan.unmanaged)}")]
    for kind in sorted(by_kind, key=LEVEL_OF.__getitem__):
        items = sorted(by_kind[kind])
        lines.append(f"  {kind.value}: {len(items)}")
        for key, reason in items[:limit]:
            lines.append(f"    {kind.value}.{key}" + (f" ({reason})" if reason else ""))
        if len(items) > limit:
            lines.append(f"    ... and {len(items) - limit} more")
    return lines


def render_plan_text(plan: Plan, *, color: bool = False) -> str:
    """The whole plan as text, ending with the summary line."""
    paint = Painter(color)
    out = [paint.bold("Reconcile plan")]
    out.extend(f"  {name}: {plan.servers[name]}" for name in sorted(plan.servers))
    out.append("")
    changes = visible_changes(plan)
    if changes:
        out.append("Actions: + create, ~ update in place, - delete")
        out.append("")
        for change in changes:
            block = change_lines(change, paint)
            if len(block) > 1 and out[-1]:
                out.append("")  # a block with details stands apart from one-line changes
            out.extend(block)
            if len(block) > 1:
                out.append("")
        if out[-1]:
            out.append("")
    if plan.unmanaged:
        out.extend(unmanaged_lines(plan, paint))
        out.append("")
    notes = [f"{paint.style('Warning:', BOLD, YELLOW)} {_indent_rest(w, '  ')}" for w in plan.warnings]
    notes += [f"{paint.style('Error:', BOLD, RED)} {_indent_rest(e, '  ')}" for e in plan.errors]
    if notes:
        out.extend(notes)
        out.append("")
    if not plan.complete:
        out.append(paint.style(INCOMPLETE_BANNER, BOLD, RED))
        out.append("")
    out.append(paint.bold(summary_line(plan)))
    return "\n".join(out) + "\n"


def apply_summary_line(result: ApplyResult) -> str:
    """``Apply complete: 3 applied, 1 failed, 2 skipped.``"""
    n = {o: len(result.by(o)) for o in Outcome}
    return f"Apply complete: {n[Outcome.APPLIED]} applied, {n[Outcome.FAILED]} failed, {n[Outcome.SKIPPED]} skipped."


def event_line(event: ApplyEvent, painter: Painter | None = None, *, with_outcome: bool = True) -> str:
    """One finished change: ``  + route.a: applied``, ``  ! upstream.x: failed: <message>``."""
    paint = painter or Painter(False)
    change = event.change
    if event.outcome is Outcome.FAILED:
        symbol = paint.outcome("!", Outcome.FAILED)
    else:
        symbol = paint.action(change.action.symbol, change.action)
    parts = [f"  {symbol} {change.address}"]
    if with_outcome:
        parts.append(paint.outcome(event.outcome.value, event.outcome))
    if event.message:
        parts.append(_indent_rest(event.message, "      "))
    line = ": ".join(parts)
    if event.outcome is Outcome.FAILED and event.attempts > 1:
        line += f" (after {event.attempts} attempts)"
    return line


def render_apply_text(result: ApplyResult, *, color: bool = False) -> str:
    """The end-of-apply report: the summary line, then Applied, Failed and Skipped sections."""
    paint = Painter(color)
    out = [paint.bold(apply_summary_line(result))]
    for outcome, title in (
        (Outcome.APPLIED, "Applied:"),
        (Outcome.FAILED, "Failed:"),
        (Outcome.SKIPPED, "Skipped:"),
    ):
        events = result.by(outcome)
        if events:
            out.append("")
            out.append(paint.outcome(title, outcome))
            out.extend(event_line(e, paint, with_outcome=False) for e in events)
    return "\n".join(out) + "\n"
