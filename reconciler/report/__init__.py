"""Renderers of plans and apply results: text (Terraform-like), JSON (versioned) and Markdown.

This is the last stage of the pipeline and the only place that turns engine data into words.
Library code never prints: commands call these functions and write the strings themselves.
Every value shown passes through ``reconciler.secrets.mask`` (see ``values.py``).

Public interface::

    render_plan(plan, "text" | "json" | "markdown", color=False) -> str
    render_apply_result(result, "text" | "json" | "markdown", color=False) -> str
    ApplyPrinter(stream, fmt, total=N, color=False)   # apply observer; call close() at the end
    use_color(stream) -> bool                         # isatty, NO_COLOR, FORCE_COLOR, TERM=dumb
    render_drift(report, "text" | "json" | "markdown") -> str   # drift reports (report/drift.py)
"""

from __future__ import annotations

from typing import Literal

from reconciler.plan.changes import ApplyResult, Plan
from reconciler.report.colors import use_color
from reconciler.report.drift import drift_document, render_drift
from reconciler.report.json_out import (
    apply_document,
    event_document,
    plan_document,
    render_apply_json,
    render_plan_json,
)
from reconciler.report.markdown import render_apply_markdown, render_plan_markdown
from reconciler.report.progress import ApplyPrinter
from reconciler.report.text import render_apply_text, render_plan_text
from reconciler.report.values import FORMAT_VERSION

Format = Literal["text", "json", "markdown"]
FORMATS: tuple[Format, ...] = ("text", "json", "markdown")

__all__ = [
    "FORMATS",
    "FORMAT_VERSION",
    "ApplyPrinter",
    "Format",
    "apply_document",
    "drift_document",
    "event_document",
    "plan_document",
    "render_apply_result",
    "render_drift",
    "render_plan",
    "use_color",
]


def render_plan(plan: Plan, fmt: Format, *, color: bool = False) -> str:
    """The plan in one format.  ``color`` applies to text only.  Raises ``ValueError`` on a bad format."""
    if fmt == "text":
        return render_plan_text(plan, color=color)
    if fmt == "json":
        return render_plan_json(plan)
    if fmt == "markdown":
        return render_plan_markdown(plan)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")


def render_apply_result(result: ApplyResult, fmt: Format, *, color: bool = False) -> str:
    """The end-of-apply report in one format.  ``color`` applies to text only."""
    if fmt == "text":
        return render_apply_text(result, color=color)
    if fmt == "json":
        return render_apply_json(result)
    if fmt == "markdown":
        return render_apply_markdown(result)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")
