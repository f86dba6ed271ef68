"""Renderers of drift reports: text for a terminal, versioned JSON for programs, Markdown for CI.

The scheduled drift job writes the Markdown into a GitHub step summary (or an issue body), so it
follows the plan Markdown's limits: one table row per finding, changed fields folded into
``<details>``, long lists capped.  Every value goes through ``values.masked``/``compact``, so a
drifted secret shows as ``(sensitive value)`` in every format.  An incomplete read is loud in
every format: such a check has not shown that the servers are in sync.
"""

from __future__ import annotations

from typing import Any, Final

from reconciler.plan.changes import FieldChange, FieldOp
from reconciler.plan.drift import FINDING_ORDER, DriftReport, Finding, FindingKind
from reconciler.report.json_out import field_change_document
from reconciler.report.markdown import MAX_DETAILS, MAX_ROWS, _alert, _cell, _code, _fenced, diff_lines
from reconciler.report.text import INCOMPLETE_BANNER
from reconciler.report.values import FORMAT_VERSION, compact, to_json, truncate

#: The heading of the incomplete-read alarm, in every format.
INCOMPLETE_DRIFT: Final = "ERROR: live state could not be read completely; this drift check proves nothing."

_SYMBOL: Final[dict[FindingKind, str]] = {
    FindingKind.MODIFIED: "~",
    FindingKind.MISSING: "+",
    FindingKind.ORPHANED: "-",
    FindingKind.UNMANAGED: "?",
    FindingKind.CONFLICT: "!",
}


def status(report: DriftReport) -> str:
    """``in_sync``, ``drift`` or ``error`` (the exit code's meaning)."""
    return {0: "in_sync", 2: "drift"}.get(report.exit_code, "error")


def detail(finding: Finding) -> str:
    """The reason, or for a modified object the drifted field paths (cut short)."""
    if finding.reason or not finding.fields:
        return finding.reason
    return truncate(", ".join(fc.path for fc in finding.fields), 120)


def _diff_lines(fc: FieldChange) -> list[str]:
    """Plan-style diff lines (``-`` live, ``+`` Git), showing the live value of a removed field too."""
    if fc.op is FieldOp.REMOVE:
        return [f"- {fc.path}: {truncate(compact(fc.old), 100)}"]
    return diff_lines(fc)


def headline(report: DriftReport) -> str:
    """One sentence: in sync, or the counts per finding kind."""
    if report.in_sync:
        return "No drift: live state matches the desired state." if report.exit_code == 0 else "No drift found."
    counts = report.summary()
    parts = [f"{counts[k.value]} {k.value}" for k in FINDING_ORDER if counts[k.value]]
    return f"Drift: {', '.join(parts)}."


# --- JSON ---------------------------------------------------------------------------------


def finding_document(finding: Finding) -> dict[str, Any]:
    """One finding: address, kind, key, finding, reason and (for modified) the masked field diff."""
    return {
        "address": finding.address,
        "kind": finding.kind.value,
        "key": finding.key,
        "finding": finding.finding.value,
        "reason": finding.reason,
        "diff": [field_change_document(fc) for fc in finding.fields],
    }


def drift_document(report: DriftReport) -> dict[str, Any]:
    """The drift report as a JSON-ready dict (``"type": "drift"``, format version 1)."""
    return {
        "format_version": FORMAT_VERSION,
        "type": "drift",
        "status": status(report),
        "exit_code": report.exit_code,
        "complete": report.complete,
        "incomplete": {k.value: why for k, why in sorted(report.incomplete.items())},
        "servers": {name: report.servers[name] for name in sorted(report.servers)},
        "include_unmanaged": report.include_unmanaged,
        "summary": report.summary(),
        "findings": [finding_document(f) for f in report.findings],
        "warnings": list(report.warnings),
        "errors": [f"live state could not be read completely: {kind.value}: {why}"
                   for kind, why in sorted(report.incomplete.items())] + list(report.errors),
    }


def render_drift_json(report: DriftReport) -> str:
    """The drift document as text, 2-space indent, ending with a newline."""
    return to_json(drift_document(report)) + "\n"


# --- text ---------------------------------------------------------------------------------


def _field_text(finding: Finding) -> list[str]:
    lines: list[str] = []
    for fc in finding.fields:
        if fc.op.value == "add":
            lines.append(f"      + {fc.path}: live lacks it, Git wants {compact(fc.new)}")
        elif fc.op.value == "remove":
            lines.append(f"      - {fc.path}: live has {compact(fc.old)}, Git does not")
        else:
            lines.append(f"      ~ {fc.path}: live {compact(fc.old)}, Git {compact(fc.new)}")
    return lines


def render_drift_text(report: DriftReport) -> str:
    """The drift report for a terminal: alarms first, then findings grouped by kind, then a headline."""
    out = ["Reconcile drift check"]
    out += [f"  {name}: {report.servers[name]}" for name in sorted(report.servers)]
    out.append("")
    if not report.complete:
        out.append(INCOMPLETE_DRIFT)
        out += [f"  {kind.value}: {why}" for kind, why in sorted(report.incomplete.items())]
        out.append("")
    if report.errors:
        out.append("Errors:")
        out += [f"  - {e}" for e in report.errors]
        out.append("")
    for warning in report.warnings:
        out.append(f"Warning: {warning}")
    if report.warnings:
        out.append("")
    for kind in FINDING_ORDER:
        items = report.of(kind)
        if not items:
            continue
        out.append(f"{kind.value.capitalize()} ({len(items)}):")
        for finding in items:
            reason = f"  ({finding.reason})" if finding.reason else ""
            out.append(f"  {_SYMBOL[kind]} {finding.address}{reason}")
            out += _field_text(finding)
        out.append("")
    out.append(headline(report))
    return "\n".join(out) + "\n"


# --- Markdown -----------------------------------------------------------------------------


def _title(report: DriftReport) -> str:
    if report.exit_code == 1:
        return "### Reconcile drift: check failed"
    if report.in_sync:
        return "### Reconcile drift: in sync"
    total = len(report.findings)
    return f"### Reconcile drift: {total} finding{'' if total == 1 else 's'}"


def render_drift_markdown(report: DriftReport) -> str:
    """The drift report as Markdown for a step summary or an issue body."""
    out = [_title(report), ""]
    if report.servers:
        out += [", ".join(f"{_code(n)} {_cell(report.servers[n])}" for n in sorted(report.servers)), ""]
    if not report.complete:
        reasons = [f"- {_code(k.value)}: {_cell(why)}" for k, why in sorted(report.incomplete.items())]
        out += _alert("CAUTION", [f"**{_cell(INCOMPLETE_DRIFT)}**", *reasons, _cell(INCOMPLETE_BANNER)])
    if report.errors:
        out += _alert("CAUTION", ["**Errors**", *(f"- {_cell(e)}" for e in report.errors)])
    if report.warnings:
        out += _alert("WARNING", [f"- {_cell(w)}" for w in report.warnings])
    if report.findings:
        counts = report.summary()
        out += [" · ".join(f"**{counts[k.value]}** {k.value}" for k in FINDING_ORDER if counts[k.value]), ""]
        out += ["| Finding | Address | Detail |", "| :---: | --- | --- |"]
        out += [f"| {_code(_SYMBOL[f.finding])} {f.finding.value} | {_code(f.address)} | {_cell(detail(f))} |"
                for f in report.findings[:MAX_ROWS]]
        out.append("")
        if len(report.findings) > MAX_ROWS:
            out += [f"... and {len(report.findings) - MAX_ROWS} more findings.", ""]
        modified = [f for f in report.findings if f.fields]
        for finding in modified[:MAX_DETAILS]:
            lines = [line for fc in finding.fields for line in _diff_lines(fc)]
            count = len(finding.fields)
            out += ["<details>",
                    f"<summary><code>{_cell(finding.address)}</code>: {count} drifted field"
                    f"{'' if count == 1 else 's'} (<code>-</code> live, <code>+</code> Git)</summary>",
                    "", *_fenced(lines, "diff"), "", "</details>", ""]
        if len(modified) > MAX_DETAILS:
            out += [f"... and {len(modified) - MAX_DETAILS} more modified objects.", ""]
        out += ["Run `reconcile plan` to see the fix, `reconcile apply` to put Git's values back.", ""]
    elif report.exit_code == 0:
        out += ["Live state matches the desired state.", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def render_drift(report: DriftReport, fmt: str) -> str:
    """The drift report in ``text``, ``json`` or ``markdown``; ``ValueError`` on another format."""
    if fmt == "text":
        return render_drift_text(report)
    if fmt == "json":
        return render_drift_json(report)
    if fmt == "markdown":
        return render_drift_markdown(report)
    raise ValueError(f"unknown output format {fmt!r}; expected text, json or markdown")


__all__ = ["drift_document", "render_drift", "render_drift_json", "render_drift_markdown", "render_drift_text"]
