"""The JSON format: versioned documents with a stable key order, and the apply event stream."""

from __future__ import annotations

import json

from reconciler.plan.changes import Plan
from reconciler.report import FORMAT_VERSION, render_apply_result, render_plan
from reconciler.report.json_out import render_event_json

from .cases import APPLY_CASES, PLAN_CASES, apply_result_from_dict, plan_from_dict

PLAN_KEYS = ["format_version", "type", "complete", "servers", "changes", "summary", "unmanaged", "warnings", "errors"]
CHANGE_KEYS = ["address", "kind", "key", "action", "reason", "before", "after", "diff"]


def doc(case: str) -> dict:
    return json.loads(render_plan(plan_from_dict(PLAN_CASES[case]), "json"))


def test_plan_document_shape() -> None:
    d = doc("mixed_update")
    assert list(d) == PLAN_KEYS
    assert d["format_version"] == FORMAT_VERSION == "1"
    assert d["type"] == "plan"
    assert d["complete"] is True
    for change in d["changes"]:
        assert list(change) == CHANGE_KEYS
    assert d["summary"] == {"create": 1, "update": 3, "delete": 1, "noop": 2, "unmanaged": 0}


def test_noops_omitted_but_counted() -> None:
    d = doc("no_changes")
    assert d["changes"] == []
    assert d["summary"]["noop"] == 3


def test_change_bodies_and_diff() -> None:
    d = doc("mixed_update")
    upstream = next(c for c in d["changes"] if c["address"] == "upstream.nginx")
    assert upstream["action"] == "update"
    assert upstream["before"]["nodes"]["127.0.0.1:8081"] == 1
    assert upstream["after"]["nodes"]["127.0.0.1:8081"] == 5
    assert upstream["diff"] == [
        {"op": "change", "path": 'nodes."127.0.0.1:8081"', "old": 1, "new": 5},
        {"op": "remove", "path": "labels.env", "old": "prod", "new": None},
    ]
    create = next(c for c in d["changes"] if c["action"] == "create")
    assert create["before"] is None and create["after"]["uri"] == "/thumbs/*"
    delete = next(c for c in d["changes"] if c["action"] == "delete")
    assert delete["after"] is None
    assert delete["before"]["plugins"]["key-auth"]["key"] == "(sensitive value)"


def test_unmanaged_warnings_errors_incomplete() -> None:
    d = doc("unmanaged")
    assert d["summary"]["unmanaged"] == len(d["unmanaged"]) == 26  # never capped in JSON
    assert d["unmanaged"][0] == {
        "address": "route.team-b-00",
        "kind": "route",
        "key": "team-b-00",
        "reason": "no ownership marker",
    }
    d = doc("incomplete")
    assert d["complete"] is False
    assert len(d["warnings"]) == 2 and len(d["errors"]) == 1


def test_two_space_indent_and_deterministic() -> None:
    plan = plan_from_dict(PLAN_CASES["every_kind_create"])
    out = render_plan(plan, "json")
    assert out.startswith('{\n  "format_version": "1",\n')
    assert out.endswith("}\n")
    assert out == render_plan(plan_from_dict(PLAN_CASES["every_kind_create"]), "json")
    # body keys are sorted whatever order the planner built them in
    after = json.loads(out)["changes"][0]["after"]
    assert list(after) == sorted(after)


def test_empty_plan_document() -> None:
    d = json.loads(render_plan(Plan(), "json"))
    assert d["changes"] == [] and d["servers"] == {} and d["summary"]["create"] == 0


def test_apply_document() -> None:
    d = json.loads(render_apply_result(apply_result_from_dict(APPLY_CASES["apply_partial_failure"]), "json"))
    assert list(d) == ["format_version", "type", "ok", "summary", "events"]
    assert d["type"] == "apply_result" and d["ok"] is False
    assert d["summary"] == {"applied": 3, "failed": 1, "skipped": 2}
    failed = [e for e in d["events"] if e["outcome"] == "failed"]
    assert failed[0]["address"] == "upstream.nginx" and failed[0]["attempts"] == 3
    assert "validation failed" in failed[0]["message"]
    ok = json.loads(render_apply_result(apply_result_from_dict(APPLY_CASES["apply_ok"]), "json"))
    assert ok["ok"] is True


def test_event_line() -> None:
    result = apply_result_from_dict(APPLY_CASES["apply_partial_failure"])
    line = render_event_json(result.events[1])
    assert "\n" not in line
    assert json.loads(line) == {
        "format_version": "1",
        "type": "apply_event",
        "address": "upstream.nginx",
        "kind": "upstream",
        "key": "nginx",
        "action": "update",
        "outcome": "failed",
        "message": '400 Bad Request: invalid configuration: property "nodes" validation failed',
        "attempts": 3,
    }
