"""--adopt takes over unmanaged objects only: an object another selector manages is refused."""

from __future__ import annotations

from reconciler.config import Options
from reconciler.plan.planner import plan
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState, ServerInfo


def _state(labels: dict[str, str]) -> tuple[ResolvedState, LiveState]:
    desired = ResolvedState(objects={Kind.UPSTREAM: {"web": DesiredObject(
        Kind.UPSTREAM, "web", {"nodes": {"127.0.0.1:80": 1}}, "a.yaml:3")}}, systems=frozenset({"apisix"}))
    live = LiveState(objects={Kind.UPSTREAM: {"web": LiveObject(
        Kind.UPSTREAM, "web", {"id": "web", "nodes": {"127.0.0.1:80": 1}, "labels": labels}, "7")}},
        read=frozenset({Kind.UPSTREAM}), servers={"apisix": ServerInfo("apisix", "3.18.0")})
    return desired, live


def test_adopt_refuses_an_object_of_another_selector() -> None:
    desired, live = _state({"managed-by": "reconcile", "team": "b"})
    result = plan(desired, live, Options(selector={"team": "a"}, adopt=True))
    assert not result.has_changes
    assert result.errors == [
        "upstream.web is managed by reconcile outside this selector (lacks team=a); it belongs to another "
        "selector and is never adopted (a.yaml:3)"]


def test_adopt_takes_over_an_unmanaged_object() -> None:
    desired, live = _state({"owner": "someone"})
    result = plan(desired, live, Options(selector={"team": "a"}, adopt=True))
    assert result.errors == []
    (change,) = [c for c in result.changes if c.key == "web"]
    assert change.action.value == "update" and change.reason == "adopted"
