"""The JSON reference matches the drift and plan-file documents; pure units of drift and dump."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from reconciler.config import Options
from reconciler.plan.changes import Action, Change, FieldChange, FieldOp, Plan, Unmanaged
from reconciler.plan.drift import FindingKind, classify, drift_options
from reconciler.report.drift import drift_document, render_drift
from reconciler.run.dump import env_name, strip_defaults
from reconciler.run.planfile import save_plan
from reconciler.secrets import Secret
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"


def examples() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S):
        try:
            doc = json.loads(block)
        except json.JSONDecodeError:
            continue
        found.setdefault(doc["type"], doc)
    return found


def sample() -> tuple[ResolvedState, LiveState, Plan]:
    desired = ResolvedState(objects={Kind.ROUTE: {"web": DesiredObject(Kind.ROUTE, "web", {"uri": "/"}),
                                                  "taken": DesiredObject(Kind.ROUTE, "taken", {"uri": "/t"})}},
                            systems=frozenset({"apisix"}))
    live = LiveState(objects={Kind.ROUTE: {
        "web": LiveObject(Kind.ROUTE, "web", {"uri": "/x", "labels": {"managed-by": "reconcile"}}, "3"),
        "taken": LiveObject(Kind.ROUTE, "taken", {"uri": "/t"}, "4"),
        "team": LiveObject(Kind.ROUTE, "team", {"uri": "/a", "labels": {"team": "a"}}, "5"),
        "other": LiveObject(Kind.ROUTE, "other", {"uri": "/b"}, "6"),
    }}, read=frozenset({Kind.ROUTE}))
    plan = Plan(changes=[Change(Kind.ROUTE, "web", Action.UPDATE, {"uri": "/x"}, {"uri": "/"},
                                (FieldChange(FieldOp.CHANGE, "uri", Secret("/x"), Secret("/")),))],
                unmanaged=[Unmanaged(Kind.ROUTE, "team", "no marker"), Unmanaged(Kind.ROUTE, "other", "no marker")],
                errors=["route.taken exists but is not managed by this run (no marker); use --adopt"])
    return desired, live, plan


def test_drift_example_has_the_real_keys() -> None:
    desired, live, plan = sample()
    real = drift_document(classify(desired, live, plan, Options(), include_unmanaged=True))
    example = examples()["drift"]
    assert list(example) == list(real)
    assert list(example["summary"]) == list(real["summary"])
    assert list(example["findings"][0]) == list(real["findings"][0])


def test_saved_plan_example_has_the_real_keys(tmp_path: Path) -> None:
    out = tmp_path / "plan.json"
    save_plan(out, Plan(), ResolvedState(), path=Path("d"), var_files=(), options=Options(), live=LiveState())
    real = json.loads(out.read_text())
    example = examples()["saved_plan"]
    assert list(example) == list(real)
    assert list(example["desired"]) == list(real["desired"]) and list(example["options"]) == list(real["options"])


def test_classify_sorts_a_plan_into_findings() -> None:
    desired, live, plan = sample()
    report = classify(desired, live, plan, Options(selector={"team": "a"}), include_unmanaged=True)
    kinds = {f.address: f.finding for f in report.findings}
    assert kinds == {"route.web": FindingKind.MODIFIED, "route.taken": FindingKind.CONFLICT,
                     "route.team": FindingKind.UNMANAGED}  # route.other is outside the selector
    assert report.errors == [] and report.exit_code == 2
    text = render_drift(report, "text") + render_drift(report, "markdown") + render_drift(report, "json")
    assert '"/x"' not in text and "(sensitive value)" in text
    owned_error = "route.web: plugins need a newer APISIX"  # an owned object: an error, not a conflict
    failed = classify(desired, live, Plan(errors=[*plan.errors, owned_error]), Options())
    assert [f.address for f in failed.findings] == ["route.taken"]
    assert failed.errors == [owned_error] and failed.exit_code == 1
    assert classify(ResolvedState(), LiveState(), Plan(), Options()).exit_code == 0


def test_incomplete_read_is_an_error_even_without_findings() -> None:
    report = classify(ResolvedState(), LiveState(incomplete={Kind.ROUTE: "short page"}), Plan(complete=False), Options())
    assert report.in_sync and report.exit_code == 1
    assert "could not be read completely" in render_drift(report, "markdown")


def test_drift_options_open_every_guard() -> None:
    opened = drift_options(Options(selector={"a": "b"}, adopt=True))
    assert opened.prune and opened.allow_empty and opened.max_deletes >= 10**9 and not opened.adopt
    assert opened.selector == {"a": "b"}


def test_env_names_are_deterministic_and_unique() -> None:
    taken: set[str] = set()
    first = env_name(Kind.ROUTE, "photo-backup", "openid-connect", ("client_secret",), taken)
    assert first == "RECONCILE_ROUTE_PHOTO_BACKUP_OIDC_CLIENT_SECRET"
    assert env_name(Kind.ROUTE, "photo-backup", "openid-connect", ("client_secret",), taken) == first + "_2"
    assert env_name(Kind.CREDENTIAL, "bob/laptop", "key-auth", ("key",), set()) == \
        "RECONCILE_CREDENTIAL_BOB_LAPTOP_KEY_AUTH_KEY"


def test_strip_defaults_keeps_what_differs_from_a_default() -> None:
    live = {"type": "roundrobin", "scheme": "https", "pass_host": "pass", "nodes": [{"host": "a", "port": 1,
                                                                                     "weight": 1, "priority": 0}]}
    assert strip_defaults(Kind.UPSTREAM, "u", live, {}) == {"scheme": "https",
                                                            "nodes": [{"host": "a", "port": 1, "weight": 1}]}
