"""Two teams on one APISIX, each with a ``--selector`` and the default global-rule prefix.
Global rules carry no labels, so the planner refuses to prune another team's rule (it cannot
tell whose it is) and says so in a warning.  Drift listed that same rule as *orphaned*, so each
team's scheduled check reported drift (exit 2) forever, for a rule it must never touch."""

from __future__ import annotations

from reconciler.config import Options
from reconciler.plan.drift import FindingKind, classify, drift_options
from reconciler.plan.planner import plan
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState, ServerInfo
from reconciler.state.registry import APISIX_KINDS


def test_another_teams_global_rule_is_not_drift() -> None:
    desired = ResolvedState(systems=frozenset({"apisix"}))
    desired.objects[Kind.GLOBAL_RULE] = {
        "reconcile-b-cors": DesiredObject(Kind.GLOBAL_RULE, "reconcile-b-cors", {"plugins": {"cors": {}}}, "b.yaml:1")}
    live = LiveState(read=frozenset(APISIX_KINDS), servers={"apisix": ServerInfo("apisix", "3.18.0")})
    live.objects = {kind: {} for kind in APISIX_KINDS}
    rules: dict[str, dict[str, object]] = {"reconcile-b-cors": {"cors": {}}, "reconcile-a-ids": {"request-id": {}}}
    for key, plugins in rules.items():
        live.objects[Kind.GLOBAL_RULE][key] = LiveObject(Kind.GLOBAL_RULE, key, {"plugins": plugins}, "1")
    options = Options(selector={"team": "b"})
    report = classify(desired, live, plan(desired, live, drift_options(options)), options)
    assert report.of(FindingKind.ORPHANED) == []
    assert report.exit_code == 0
    assert any("global rules" in w for w in report.warnings)


def test_plan_without_prune_does_not_suggest_pruning_another_teams_rule() -> None:
    desired = ResolvedState(systems=frozenset({"apisix"}))
    desired.objects[Kind.GLOBAL_RULE] = {}
    live = LiveState(read=frozenset(APISIX_KINDS), servers={"apisix": ServerInfo("apisix", "3.18.0")})
    live.objects = {kind: {} for kind in APISIX_KINDS}
    live.objects[Kind.GLOBAL_RULE]["reconcile-a-ids"] = LiveObject(
        Kind.GLOBAL_RULE, "reconcile-a-ids", {"plugins": {"request-id": {}}}, "1")
    result = plan(desired, live, Options(selector={"team": "b"}))
    assert not any("--prune" in w for w in result.warnings), result.warnings
    assert [o.reason for o in result.orphaned] == ["not deleted: shared global rule prefix"]
