"""The pipeline in one place for commands, tests and benchmarks: fetch -> plan -> apply.

Commands load the desired state, call these functions and hand the results to ``report``;
benchmarks call them in-process.  A plan and the apply that follows it share one set of
adapters (one HTTP client, one schema cache), so an interactive apply reads live state once.
This is the only module that strings the stages together: a saved plan is applied through
``plan_and_apply_async`` with a ``check`` that refuses a stale plan, and ``dump`` reads through
``read_live``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from reconciler.config import Connection, Options
from reconciler.errors import PlanError
from reconciler.plan.changes import ApplyResult, Plan
from reconciler.plan.normalize import plugin_names, schema_type
from reconciler.plan.planner import plan
from reconciler.run.apply import Observer, apply
from reconciler.run.fetch import Adapters, fetch, open_adapters
from reconciler.run.lease import LeaseSettings, hold
from reconciler.run.validate import server_errors
from reconciler.state.kinds import Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState
from reconciler.state.registry import SPECS, spec


@dataclass(repr=False)
class Run:
    """What one run did: the plan, the live state it read, the apply result (if applied)."""

    plan: Plan
    live: LiveState
    result: ApplyResult | None = None
    requests: int = 0

    def __repr__(self) -> str:  # compact: asyncio may repr a finished task's result
        return f"Run(changes={len(self.plan.changes)}, applied={self.result is not None}, requests={self.requests})"


async def plan_async(desired: ResolvedState, conn: Connection, options: Options, *,
                     adapters: Adapters | None = None) -> Run:
    """Read live state and plan (opens its own adapters unless given some)."""
    if adapters is not None:
        live = await fetch(desired, adapters)
        planned = plan(desired, live, options)
        info = live.servers.get("apisix")
        if adapters.apisix is not None and info is not None:
            planned.errors.extend(await server_errors(planned, desired, adapters.apisix, info))
        return Run(planned, live, requests=sum(t.requests for t in adapters.clients))
    async with open_adapters(conn, desired.systems) as opened:
        return await plan_async(desired, conn, options, adapters=opened)


def fetch_and_plan(desired: ResolvedState, conn: Connection, options: Options) -> Run:
    """``plan_async`` for synchronous callers."""
    return asyncio.run(plan_async(desired, conn, options))


async def plan_and_apply_async(desired: ResolvedState, conn: Connection, options: Options, *,
                               confirm: Callable[[Plan], bool] | None = None, parallelism: int = 8,
                               rps: float | None = None, observer: Observer | None = None,
                               check: Callable[[Run], None] | None = None, lease: LeaseSettings | None = None,
                               recheck: bool = False) -> Run:
    """Plan, run ``check`` (which raises to stop), ask ``confirm`` (if given), then apply.

    A plan with errors is never applied.

    The connection pool is as wide as ``parallelism``: a wider pool only adds bookkeeping to every
    request (httpcore scans its connections per request), which on a fast server costs more than
    the extra connections give.  ``lease`` (off when None) is held from the first read to the
    last write, so that two applies cannot interleave (``reconciler.run.lease``); ``recheck``
    re-reads each object right before writing it and refuses the write when another writer
    changed it.
    """
    async with open_adapters(conn, desired.systems, rps=rps, max_connections=max(4, parallelism)) as adapters, \
            hold(adapters.hydra, adapters.apisix, lease or LeaseSettings(enabled=False)):
        run = await plan_async(desired, conn, options, adapters=adapters)
        if check is not None:
            check(run)
        if run.plan.errors:
            raise PlanError("the plan has errors; nothing was applied:\n  " + "\n  ".join(run.plan.errors))
        if not run.plan.has_changes or (confirm is not None and not confirm(run.plan)):
            return run
        run.result = await apply(run.plan, adapters, parallelism=parallelism, observer=observer,
                                 recheck_against=run.live if recheck else None)
        run.requests = sum(t.requests for t in adapters.clients)
        return run


def plan_and_apply(desired: ResolvedState, conn: Connection, options: Options, **kw: object) -> Run:
    """``plan_and_apply_async`` for synchronous callers."""
    return asyncio.run(plan_and_apply_async(desired, conn, options, **kw))  # type: ignore[arg-type]


async def read_live(conn: Connection, systems: frozenset[str]) -> LiveState:
    """Read everything of ``systems``: every kind, the nested objects of every parent (every
    consumer's credentials), every plugin schema."""
    async with open_adapters(conn, systems) as adapters:
        live = await fetch(ResolvedState(systems=systems), adapters)
        apisix = adapters.apisix
        for child in (s for s in SPECS if s.parent is not None and s.system == "apisix"):
            if apisix is None or (child.since is not None and not live.servers["apisix"].at_least(*child.since)):
                continue
            assert child.parent is not None
            result = await apisix.list(child.kind, frozenset(live.of(child.parent)))
            live.objects[child.kind] = result.objects
            if not result.complete:
                live.incomplete[child.kind] = result.problem or "the list was not read completely"
        if apisix is not None:
            wanted = sorted({(name, schema_type(kind)) for kind in live.objects for obj in live.of(kind).values()
                             for name in _plugin_names(kind, obj)})
            found = await asyncio.gather(*(apisix.plugin_schema(n, t) for n, t in wanted))
            live.schemas.update(zip(wanted, found, strict=True))
    return live


def _plugin_names(kind: Kind, obj: LiveObject) -> list[str]:
    if spec(kind).plugin_schema == "metadata":
        return [obj.key]
    return sorted(plugin_names(obj.body)) if spec(kind).system == "apisix" else []
