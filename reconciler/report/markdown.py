"""The Markdown format of plans and apply results, made for a pull-request comment or step summary.

It stays compact: one table row per change, and the details (a create's body, an update's changed
fields) folded into ``<details>`` blocks with long values cut.  GitHub refuses comments over
65,536 characters, so tables and details are capped with a "... and N more" note.  Alerts use
GitHub's ``> [!WARNING]`` blockquote syntax, which other renderers show as a plain blockquote.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from typing import Final

from reconciler.plan.changes import Action, ApplyEvent, ApplyResult, Change, FieldChange, FieldOp, Outcome, Plan
from reconciler.report.text import INCOMPLETE_BANNER, apply_summary_line
from reconciler.report.values import compact, flatten, is_sensitive, summary_counts, truncate, visible_changes
from reconciler.secrets import MASK
from reconciler.state.registry import LEVEL_OF

#: Table rows shown before "... and N more".
MAX_ROWS: Final = 200
#: ``<details>`` blocks shown before "... and N more".
MAX_DETAILS: Final = 50
#: Lines inside one ``<details>`` block.
MAX_DETAIL_LINES: Final = 40
#: Characters of one value inside a details block.
MAX_VALUE: Final = 100

_BACKTICKS = re.compile(r"`+")


def _cell(text: str) -> str:
    """Plain text made safe for a table cell (``str()`` masks a stray ``Secret``)."""
    return html.escape(str(text), quote=False).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _code(text: str) -> str:
    """An inline code span that survives backticks and table pipes inside ``text``."""
    text = str(text)
    longest = max((len(m) for m in _BACKTICKS.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text.replace('|', chr(92) + '|')}{pad}{fence}"


def _fenced(lines: list[str], lang: str) -> list[str]:
    body = "\n".join(lines)
    longest = max((len(m) for m in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + lang, *lines, fence]


def _value(value: object) -> str:
    return truncate(compact(value), MAX_VALUE)


def diff_lines(fc: FieldChange) -> list[str]:
    """A changed field as ``diff`` code-block lines (``-`` old, ``+`` new), values cut short."""
    if fc.op is FieldOp.ADD:
        return [f"+ {fc.path}: {_value(fc.new)}"]
    if fc.op is FieldOp.REMOVE:
        return [f"- {fc.path}: {_value(fc.old)}"]
    if is_sensitive(fc.old) and is_sensitive(fc.new):
        return [f"! {fc.path}: {MASK} changed"]
    return [f"- {fc.path}: {_value(fc.old)}", f"+ {fc.path}: {_value(fc.new)}"]


def _detail_lines(change: Change) -> list[str]:
    if change.action is Action.CREATE and change.after:
        return [f"+ {path} = {_value(value)}" for path, value in flatten(change.after)]
    if change.action is Action.UPDATE:
        return [line for fc in change.diff for line in diff_lines(fc)]
    return []


def _details(change: Change) -> list[str]:
    lines = _detail_lines(change)
    if not lines:
        return []
    if len(lines) > MAX_DETAIL_LINES:
        lines = [*lines[:MAX_DETAIL_LINES], f"  ... and {len(lines) - MAX_DETAIL_LINES} more lines"]
    count = len(change.diff) if change.action is Action.UPDATE else len(_detail_lines(change))
    noun = "changed field" if change.action is Action.UPDATE else "field"
    summary = (
        f"<code>{html.escape(change.action.symbol + ' ' + change.address)}</code>: "
        f"{count} {noun}{'' if count == 1 else 's'}"
    )
    return ["<details>", f"<summary>{summary}</summary>", "", *_fenced(lines, "diff"), "", "</details>", ""]


def _alert(kind: str, lines: list[str]) -> list[str]:
    return [f"> [!{kind}]", *(f"> {line}" if line else ">" for line in lines), ""]


def _title(plan: Plan) -> str:
    counts = summary_counts(plan)
    suffix = " (incomplete)" if not plan.complete else ""
    if not plan.has_changes:
        return f"### Reconcile plan: no changes{suffix}"
    return (
        f"### Reconcile plan: {counts['create']} to create, {counts['update']} to update, "
        f"{counts['delete']} to delete{suffix}"
    )


def _more(total: int, shown: int, what: str) -> list[str]:
    return [f"... and {total - shown} more {what}.", ""] if total > shown else []


def render_plan_markdown(plan: Plan) -> str:
    """The plan as Markdown: title, alerts, a table of changes, folded details, unmanaged counts."""
    counts = summary_counts(plan)
    out = [_title(plan), ""]
    if plan.servers:
        out += [", ".join(f"{_code(n)} {_cell(plan.servers[n])}" for n in sorted(plan.servers)), ""]
    if not plan.complete:
        out += _alert("CAUTION", [f"**{_cell(INCOMPLETE_BANNER)}**"])
    if plan.errors:
        out += _alert("CAUTION", ["**Errors**", *(f"- {_cell(e)}" for e in plan.errors)])
    if plan.warnings:
        out += _alert("WARNING", [f"- {_cell(w)}" for w in plan.warnings])
    changes = visible_changes(plan)
    if changes:
        out += ["| Action | Address | Reason |", "| :---: | --- | --- |"]
        out += [
            f"| {_code(c.action.symbol)} {c.action.value} | {_code(c.address)} | {_cell(c.reason)} |"
            for c in changes[:MAX_ROWS]
        ]
        out.append("")
        out += _more(len(changes), MAX_ROWS, "changes")
        detailed = [c for c in changes if _detail_lines(c)]
        for change in detailed[:MAX_DETAILS]:
            out += _details(change)
        out += _more(len(detailed), MAX_DETAILS, "changes with details")
    elif plan.complete:
        out += ["Live state matches the desired state.", ""]
    if plan.unmanaged:
        per_kind = Counter(u.kind for u in plan.unmanaged)
        kinds = ", ".join(f"{k.value}: {per_kind[k]}" for k in sorted(per_kind, key=LEVEL_OF.__getitem__))
        out += [f"**Unmanaged objects** (left untouched): {len(plan.unmanaged)} ({kinds})", ""]
    out.append(f"{counts['noop']} unchanged, {counts['unmanaged']} unmanaged.")
    return "\n".join(out) + "\n"


def _event_row(event: ApplyEvent) -> str:
    change = event.change
    message = str(event.message)
    if event.outcome is Outcome.FAILED and event.attempts > 1:
        message += f" (after {event.attempts} attempts)"
    return (
        f"| {event.outcome.value} | {_code(change.action.symbol)} {change.action.value} "
        f"| {_code(change.address)} | {_cell(message)} |"
    )


def render_apply_markdown(result: ApplyResult) -> str:
    """The apply result as Markdown: a title with the counts and one table, failures first."""
    title = apply_summary_line(result).removeprefix("Apply complete: ").rstrip(".")
    out = [f"### Reconcile apply: {title}", ""]
    events = result.by(Outcome.FAILED) + result.by(Outcome.SKIPPED) + result.by(Outcome.APPLIED)
    if events:
        out += ["| Outcome | Action | Address | Message |", "| --- | :---: | --- | --- |"]
        out += [_event_row(e) for e in events[:MAX_ROWS]]
        out.append("")
        out += _more(len(events), MAX_ROWS, "changes")
    else:
        out += ["Nothing to apply.", ""]
    return "\n".join(out).rstrip("\n") + "\n"
