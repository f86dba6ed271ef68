"""Renderers of ``reconcile verify`` reports: text for terminals, JSON for machines, Markdown for PRs.

Each failure names the object (``KIND.KEY``), where it is declared (``file:line``), the step
that failed and the server's answer; the engine has already masked every secret value in the
answers, and ``str()`` of a stray ``Secret`` is the mask, so nothing here can print one.
JSON is versioned like plan's (``format_version``) and documented in ``docs/verify.md``.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from reconciler.plan.checks import Outcome, Status, VerifyReport
from reconciler.report.colors import BOLD, GREEN, RED, RESET, YELLOW
from reconciler.report.markdown import _cell, _code
from reconciler.report.values import FORMAT_VERSION

_STYLE = {Status.PASS: GREEN, Status.FAIL: RED, Status.SKIP: YELLOW}
_WORD = {Status.PASS: "ok", Status.FAIL: "FAIL", Status.SKIP: "skip"}


def summary_line(report: VerifyReport) -> str:
    """``Verify: 3 passed, 1 failed, 1 skipped.``"""
    counts = ", ".join(f"{report.count(s)} {w}" for s, w in
                       ((Status.PASS, "passed"), (Status.FAIL, "failed"), (Status.SKIP, "skipped")))
    return f"Verify: {counts}."


def _where(o: Outcome) -> str:
    return f" ({o.check.source})" if o.check.source else ""


def render_verify_text(report: VerifyReport, *, color: bool = False) -> str:
    """One line per check; failures add the step, the reason and the server's answer."""
    lines: list[str] = []
    for o in report.outcomes:
        word = _WORD[o.status]
        if color:
            word = f"{_STYLE[o.status]}{word}{RESET}"
        head = f"{word:>4} {o.check.name} [{o.check.what.value}]{_where(o)}"
        if o.status is Status.FAIL:
            lines.append(f"{head}\n       step {o.step}: {o.message}")
            if o.answer:
                lines.append(f"       server answered: {o.answer}")
        else:
            lines.append(f"{head}: {o.message} ({o.seconds:.2f}s)")
    lines.extend(f"Note: {note}" for note in report.notes)
    summary = summary_line(report)
    lines.append(f"{BOLD}{summary}{RESET}" if color else summary)
    return "\n".join(lines) + "\n"


def outcome_document(o: Outcome) -> dict[str, Any]:
    """One check's outcome as JSON."""
    return {"address": o.check.name, "kind": o.check.kind.value, "key": o.check.key, "source": o.check.source,
            "check": o.check.what.value, "status": o.status.value, "step": o.step, "message": o.message,
            "answer": o.answer, "seconds": round(o.seconds, 4)}


def verify_document(report: VerifyReport) -> dict[str, Any]:
    """The whole report as a JSON-able dict."""
    return {"format_version": FORMAT_VERSION, "ok": report.ok,
            "summary": {"passed": report.count(Status.PASS), "failed": report.count(Status.FAIL),
                        "skipped": report.count(Status.SKIP)},
            "checks": [outcome_document(o) for o in report.outcomes], "notes": list(report.notes)}


def render_verify_markdown(report: VerifyReport) -> str:
    """A table of every check and a section per failure."""
    lines = [f"### {summary_line(report)}", "", "| | object | check | declared at | result |", "|---|---|---|---|---|"]
    icon = {Status.PASS: "✅", Status.FAIL: "❌", Status.SKIP: "⏭️"}
    for o in report.outcomes:
        result = f"{o.step}: {o.message}" if o.status is Status.FAIL else o.message
        lines.append(f"| {icon[o.status]} | {_code(o.check.name)} | {o.check.what.value} | "
                     f"{_cell(o.check.source)} | {_cell(result)} |")
    failed = [o for o in report.outcomes if o.status is Status.FAIL]
    for o in failed:
        lines += ["", f"#### {_code(o.check.name)} failed at step {_cell(o.step)}", "", _cell(o.message)]
        if o.answer:
            lines += ["", "```", o.answer.replace("```", "'''"), "```"]
    if report.notes:
        lines += ["", *(f"> {_cell(n)}" for n in report.notes)]
    return "\n".join(lines) + "\n"


def render_verify(report: VerifyReport, fmt: Literal["text", "json", "markdown"], *, color: bool = False) -> str:
    """The report in one format."""
    if fmt == "text":
        return render_verify_text(report, color=color)
    if fmt == "json":
        return json.dumps(verify_document(report), indent=2) + "\n"
    if fmt == "markdown":
        return render_verify_markdown(report)
    raise ValueError(f"unknown output format {fmt!r}")
