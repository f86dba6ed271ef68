"""Unit tests of the pure planner and of apply with a fake adapter: order, guards, skips.

Plain dicts in, typed changes out; apply talks to an in-memory adapter that can be told to fail,
so the skip-on-failure rule and the masking of failure messages are pinned without a server.
"""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.config import Options
from reconciler.errors import ServerError
from reconciler.plan.changes import Action, Outcome
from reconciler.plan.planner import plan
from reconciler.run.apply import apply
from reconciler.secrets import Secret
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState, ServerInfo
from reconciler.state.registry import APISIX_KINDS

OURS = {"managed-by": "reconcile"}


def desired(*objects: tuple[Kind, str, dict[str, Any]]) -> ResolvedState:
    state = ResolvedState(systems=frozenset({"apisix"}))
    for kind, key, body in objects:
        state.objects.setdefault(kind, {})[key] = DesiredObject(kind, key, body, "test.yaml:1")
    return state


def live(*objects: tuple[Kind, str, dict[str, Any]], incomplete: dict[Kind, str] | None = None) -> LiveState:
    state = LiveState(read=frozenset(APISIX_KINDS), servers={"apisix": ServerInfo("apisix", "3.18.0")})
    for kind in APISIX_KINDS:
        state.objects[kind] = {}
    for kind, key, body in objects:
        state.objects[kind][key] = LiveObject(kind, key, body, "1")
    state.incomplete = incomplete or {}
    return state


def addresses(changes: list[Any]) -> list[str]:
    return [f"{c.action.symbol}{c.address}" for c in changes if c.action is not Action.NOOP]


def test_creates_go_top_down_and_deletes_bottom_up() -> None:
    want = desired((Kind.ROUTE, "r", {"uri": "/", "upstream_id": "u"}), (Kind.UPSTREAM, "u", {"nodes": {"a:1": 1}}),
                   (Kind.SERVICE, "s", {"upstream_id": "u"}))
    have = live((Kind.ROUTE, "old-r", {"uri": "/o", "upstream_id": "old-u", "labels": OURS}),
                (Kind.UPSTREAM, "old-u", {"nodes": {"a:1": 1}, "labels": OURS}))
    result = plan(want, have, Options(prune=True))
    assert addresses(result.changes) == ["+upstream.u", "+service.s", "+route.r", "-route.old-r", "-upstream.old-u"]
    delete_upstream = next(c for c in result.changes if c.address == "upstream.old-u")
    assert delete_upstream.depends_on == ((Kind.ROUTE, "old-r"),)
    route = next(c for c in result.changes if c.address == "route.r")
    assert (Kind.UPSTREAM, "u") in route.depends_on


def test_unowned_declared_object_needs_adopt() -> None:
    want = desired((Kind.UPSTREAM, "u", {"nodes": {"a:1": 1}}))
    have = live((Kind.UPSTREAM, "u", {"nodes": {"a:1": 1}}))
    refused = plan(want, have, Options())
    assert refused.errors and "use --adopt" in refused.errors[0] and not refused.has_changes
    adopted = plan(want, have, Options(adopt=True))
    change = next(c for c in adopted.changes if c.address == "upstream.u")
    assert (change.action, change.reason) == (Action.UPDATE, "adopted")
    assert [d.path for d in change.diff] == ["labels"]


def test_orphans_without_prune_are_listed_not_deleted() -> None:
    have = live((Kind.UPSTREAM, "old", {"nodes": {"a:1": 1}, "labels": OURS}))
    result = plan(desired((Kind.UPSTREAM, "u", {"nodes": {"a:1": 1}})), have, Options())
    assert addresses(result.changes) == ["+upstream.u"]
    assert [o.key for o in result.orphaned] == ["old"]
    assert any("--prune" in w for w in result.warnings)


def test_incomplete_read_forbids_every_delete() -> None:
    have = live((Kind.UPSTREAM, "old", {"nodes": {"a:1": 1}, "labels": OURS}),
                (Kind.CONSUMER, "gone", {"labels": OURS}),
                incomplete={Kind.ROUTE: "page 2 came back short"})
    result = plan(desired((Kind.UPSTREAM, "u", {"nodes": {"a:1": 1}}), (Kind.CONSUMER, "c", {})), have,
                  Options(prune=True))
    assert [c for c in result.changes if c.action is Action.DELETE] == []
    assert not result.complete and any("INCOMPLETE: route" in w for w in result.warnings)


def test_global_rules_need_the_prefix_and_are_not_pruned_under_a_selector() -> None:
    bad = plan(desired((Kind.GLOBAL_RULE, "metrics", {"plugins": {"prometheus": {}}})), live(), Options())
    assert bad.errors and "must start with 'reconcile-'" in bad.errors[0]
    have = live((Kind.GLOBAL_RULE, "reconcile-other-team", {"plugins": {"cors": {}}}))
    shared = plan(desired((Kind.UPSTREAM, "u", {})), have, Options(prune=True, allow_empty=True,
                                                                     selector={"team": "a"}))
    assert [c for c in shared.changes if c.action is Action.DELETE] == []
    team_prefix = Options(prune=True, allow_empty=True, selector={"team": "a"}, global_rule_prefix="reconcile-other-")
    own_prefix = plan(desired((Kind.UPSTREAM, "u", {})), have, team_prefix)
    assert addresses(own_prefix.changes) == ["+upstream.u", "-global_rule.reconcile-other-team"]


def test_hydra_v1_refuses_v2_only_fields() -> None:
    want = ResolvedState(systems=frozenset({"hydra"}))
    want.objects[Kind.OAUTH2_CLIENT] = {"c": DesiredObject(Kind.OAUTH2_CLIENT, "c", {
        "access_token_strategy": "jwt", "client_credentials_grant_access_token_lifespan": "1h"}, "h.yaml:3")}
    have = LiveState(read=frozenset({Kind.OAUTH2_CLIENT}), objects={Kind.OAUTH2_CLIENT: {}},
                     servers={"hydra": ServerInfo("hydra", "1.10.6")})
    result = plan(want, have, Options())
    assert result.errors == ["oauth2_client.c: access_token_strategy, client_credentials_grant_access_token_lifespan "
                             "need Hydra v2 (the server is v1 and would drop them) (h.yaml:3)"]


class FakeAdapter:
    """Records writes; fails the keys in ``broken`` with a message quoting the body."""

    def __init__(self, broken: set[str]) -> None:
        self.broken = broken
        self.writes: list[str] = []

    async def _write(self, kind: Kind, key: str, body: dict[str, Any] | None) -> None:
        if key in self.broken:
            quoted = body["plugins"]["key-auth"]["key"].reveal() if body else ""
            raise ServerError(f"rejected key {quoted}", status=500)
        self.writes.append(f"{kind.value}.{key}")

    async def create(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        await self._write(kind, key, body)

    async def update(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        await self._write(kind, key, body)

    async def delete(self, kind: Kind, key: str) -> None:
        await self._write(kind, key, None)


class FakeAdapters:
    def __init__(self, adapter: FakeAdapter) -> None:
        self.adapter = adapter

    def for_kind(self, kind: Kind) -> FakeAdapter:
        return self.adapter


def test_apply_skips_dependents_of_a_failure_and_masks_the_message() -> None:
    secret = Secret("s3cret-value-never-shown")
    want = desired((Kind.CONSUMER, "alice", {"plugins": {"key-auth": {"key": secret}}}),
                   (Kind.CREDENTIAL, "alice/laptop", {"plugins": {"key-auth": {"key": Secret("other-1")}}}),
                   (Kind.UPSTREAM, "u", {"nodes": {"a:1": 1}}), (Kind.ROUTE, "r", {"uri": "/", "upstream_id": "u"}))
    want.managed_credentials = frozenset({"alice"})
    the_plan = plan(want, live(), Options())
    adapter = FakeAdapter(broken={"alice"})
    events: list[Any] = []
    result = asyncio.run(apply(the_plan, FakeAdapters(adapter), observer=events.append))  # type: ignore[arg-type]
    outcomes = {e.change.address: (e.outcome, e.message) for e in result.events}
    assert outcomes["consumer.alice"][0] is Outcome.FAILED
    assert "s3cret-value-never-shown" not in outcomes["consumer.alice"][1]
    assert "(sensitive value)" in outcomes["consumer.alice"][1]
    assert outcomes["credential.alice/laptop"] == (Outcome.SKIPPED, "depends on consumer.alice, which did not apply")
    assert adapter.writes == ["upstream.u", "route.r"]
    assert len(events) == 4 and not result.ok
