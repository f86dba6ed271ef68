"""The Markdown format: a compact pull-request comment with tables, folded details and alerts."""

from __future__ import annotations

from reconciler.plan.changes import Action, Change, FieldChange, FieldOp, Plan
from reconciler.report import render_apply_result, render_plan
from reconciler.report.markdown import MAX_DETAIL_LINES, MAX_ROWS, MAX_VALUE, diff_lines
from reconciler.state.kinds import Kind

from .cases import APPLY_CASES, PLAN_CASES, apply_result_from_dict, plan_from_dict


def md(case: str) -> str:
    return render_plan(plan_from_dict(PLAN_CASES[case]), "markdown")


def test_title_table_and_details() -> None:
    out = md("mixed_update")
    assert out.startswith("### Reconcile plan: 1 to create, 3 to update, 1 to delete\n")
    assert "| `~` update | `upstream.nginx` |  |" in out
    assert "| `-` delete | `consumer.bob` |  |" in out
    assert (
        "<summary><code>~ upstream.nginx</code>: 2 changed fields</summary>\n\n```diff\n"
        '- nodes."127.0.0.1:8081": 1\n+ nodes."127.0.0.1:8081": 5\n- labels.env: \"prod\"\n```\n'
    ) in out
    assert "limit-count" not in out  # unchanged fields of an update stay out
    assert "\x1b[" not in out
    assert out.rstrip().endswith("2 unchanged, 0 unmanaged.")


def test_alerts_for_incomplete_warnings_errors() -> None:
    out = md("incomplete")
    assert "(incomplete)" in out.splitlines()[0]
    assert "> [!CAUTION]\n> **INCOMPLETE: live state could not be read completely; nothing will be deleted.**" in out
    assert "> [!WARNING]\n> - routes: page 3 could not be read" in out
    assert "> **Errors**\n> - route.new-route: plugin cors" in out


def test_reason_column_and_unmanaged_counts() -> None:
    assert "| `~` update | `route.legacy-login` | adopted |" in md("adoption")
    out = md("unmanaged")
    assert "**Unmanaged objects** (left untouched): 26 (oauth2_client: 1, upstream: 2, route: 23)" in out
    assert "team-b-05" not in out  # counts only: the comment stays short


def test_no_changes() -> None:
    out = md("no_changes")
    assert out.startswith("### Reconcile plan: no changes\n")
    assert "Live state matches the desired state." in out
    assert "<details>" not in out


def test_table_cells_are_escaped() -> None:
    plan = Plan(
        changes=[Change(Kind.ROUTE, "a|b`c", Action.DELETE, {"uri": "/"}, None, reason="x | <script>\ny")],
        warnings=["<b>bold</b>"],
    )
    out = render_plan(plan, "markdown")
    row = next(line for line in out.splitlines() if "delete" in line and line.startswith("|"))
    assert row == "| `-` delete | ``route.a\\|b`c`` | x \\| &lt;script&gt;<br>y |"
    assert "&lt;b&gt;bold&lt;/b&gt;" in out


def test_code_fence_survives_backticks_in_values() -> None:
    change = Change(
        Kind.ROUTE, "r", Action.UPDATE, {}, {}, diff=(FieldChange(FieldOp.ADD, "desc", None, "```danger```"),)
    )
    out = render_plan(Plan(changes=[change]), "markdown")
    assert "````diff\n" in out and "\n````\n" in out


def test_long_values_and_lists_are_capped() -> None:
    big = "x" * 500
    assert diff_lines(FieldChange(FieldOp.ADD, "p", None, big)) == [f'+ p: "{"x" * (MAX_VALUE - 4)}...']
    body = {f"k{i:03d}": i for i in range(MAX_DETAIL_LINES + 7)}
    many = [Change(Kind.ROUTE, f"r{i:04d}", Action.CREATE, None, body) for i in range(MAX_ROWS + 5)]
    out = render_plan(Plan(changes=many), "markdown")
    assert out.count("| `+` create |") == MAX_ROWS
    assert "... and 5 more changes." in out
    assert "  ... and 7 more lines" in out
    assert len(out) < 65536  # fits a GitHub comment


def test_apply_markdown() -> None:
    out = render_apply_result(apply_result_from_dict(APPLY_CASES["apply_partial_failure"]), "markdown")
    lines = out.splitlines()
    assert lines[0] == "### Reconcile apply: 3 applied, 1 failed, 2 skipped"
    rows = [line for line in lines if line.startswith("| ") and "`" in line]
    assert rows[0].startswith("| failed | `~` update | `upstream.nginx` | 400 Bad Request")
    assert [r.split("|")[1].strip() for r in rows] == ["failed", "skipped", "skipped", "applied", "applied", "applied"]
    empty = render_apply_result(apply_result_from_dict({"events": []}), "markdown")
    assert "Nothing to apply." in empty
