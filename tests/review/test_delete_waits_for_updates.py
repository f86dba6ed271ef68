"""A delete waits for the *updates* that stop referring to the deleted object, not only for
the deletes of its referrers.  Otherwise, when a route's update from the old upstream (or the
old OAuth2 client) to a new one fails, the old object is deleted under a route that still uses
it: APISIX refuses an upstream ("still using it", retried for seconds), and Hydra, which has no
reference check, deletes the client and breaks the route's logins."""

from __future__ import annotations

import asyncio
from typing import Any

from reconciler.config import Options
from reconciler.errors import ServerError
from reconciler.plan.changes import Action, Outcome
from reconciler.plan.planner import plan
from reconciler.run.apply import apply
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState, ServerInfo
from reconciler.state.registry import APISIX_KINDS

OURS = {"managed-by": "reconcile"}
HYDRA_OURS = {"reconcile": {"labels": OURS}}


def state(*objects: tuple[Kind, str, dict[str, Any]]) -> ResolvedState:
    desired = ResolvedState(systems=frozenset({"apisix", "hydra"}))
    for kind, key, body in objects:
        desired.objects.setdefault(kind, {})[key] = DesiredObject(kind, key, body, "test.yaml:1")
    return desired


def live(*objects: tuple[Kind, str, dict[str, Any]]) -> LiveState:
    kinds = {*APISIX_KINDS, Kind.OAUTH2_CLIENT}
    result = LiveState(read=frozenset(kinds), servers={"apisix": ServerInfo("apisix", "3.18.0"),
                                                       "hydra": ServerInfo("hydra", "2.3.0")})
    result.objects = {kind: {} for kind in kinds}
    for kind, key, body in objects:
        result.objects[kind][key] = LiveObject(kind, key, body, "1")
    return result


class Adapter:
    """Fails every write to ``route.r``; records the rest."""

    def __init__(self) -> None:
        self.writes: list[str] = []

    async def _write(self, kind: Kind, key: str) -> None:
        if (kind, key) == (Kind.ROUTE, "r"):
            raise ServerError("boom", status=500)
        self.writes.append(f"{kind.value}.{key}")

    async def create(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        await self._write(kind, key)

    async def update(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        await self._write(kind, key)

    async def delete(self, kind: Kind, key: str) -> None:
        await self._write(kind, key)

    def for_kind(self, kind: Kind) -> Adapter:
        return self


def oidc(client_id: str) -> dict[str, Any]:
    return {"openid-connect": {"client_id": client_id, "discovery": "http://h/.well-known/openid-configuration",
                               "bearer_only": True}}


def test_old_upstream_and_client_outlive_a_failed_route_update() -> None:
    want = state((Kind.UPSTREAM, "new", {"nodes": {"a:1": 1}}),
                 (Kind.OAUTH2_CLIENT, "client-new", {"scope": "openid"}),
                 (Kind.ROUTE, "r", {"uri": "/", "upstream_id": "new", "plugins": oidc("client-new")}))
    have = live((Kind.UPSTREAM, "old", {"nodes": {"a:1": 1}, "labels": OURS}),
                (Kind.OAUTH2_CLIENT, "client-old", {"client_id": "client-old", "scope": "openid",
                                                    "metadata": HYDRA_OURS}),
                (Kind.ROUTE, "r", {"uri": "/", "upstream_id": "old", "plugins": oidc("client-old"),
                                   "labels": OURS}))
    the_plan = plan(want, have, Options(prune=True))
    assert not the_plan.errors
    deletes = {c.address: c.depends_on for c in the_plan.changes if c.action is Action.DELETE}
    assert deletes == {"upstream.old": ((Kind.ROUTE, "r"),), "oauth2_client.client-old": ((Kind.ROUTE, "r"),)}
    adapter = Adapter()
    result = asyncio.run(apply(the_plan, adapter))  # type: ignore[arg-type]
    outcomes = {e.change.address: e.outcome for e in result.events}
    assert outcomes["route.r"] is Outcome.FAILED
    assert outcomes["upstream.old"] is Outcome.SKIPPED
    assert outcomes["oauth2_client.client-old"] is Outcome.SKIPPED
    assert adapter.writes == ["oauth2_client.client-new", "upstream.new"]
