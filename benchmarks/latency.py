"""The ``-2ms`` scenarios: the same work with 2 ms added to every request.

Against the loopback emulators a request costs a fraction of a millisecond, which flatters the
naive script (one GET per object, one after another).  A real Admin API answers across a
network, and an APISIX write waits for etcd, a Hydra write for SQL.  The emulators' latency
fault (``/__sandbox/faults``, ``effect: latency``) adds 2 ms to every request of both admin
APIs, so that concurrency and paging count as they do in production:

- ``plan-no-changes-2ms``: the plan with no changes, with the read floor and the naive dry run;
- ``apply-<N>-updates-2ms``: the updates scenario, with the write floor and the naive sync, each
  run on a freshly restored sandbox that has the fault set before the clock starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from benchmarks.measure import Invocation, measure
from benchmarks.sandbox import ROOT, SandboxProcess, add_latency, clear_faults

if TYPE_CHECKING:
    from benchmarks.scenarios import ModeRun, Row

LATENCY_S = 0.002


def plan_rows(run: ModeRun, box: SandboxProcess) -> dict[str, Row]:
    """``plan-no-changes-2ms`` on the plans' shared sandbox (the fault is removed afterwards)."""
    from benchmarks.scenarios import Row

    env = run.env(box)

    def fixed(argv: list[str]) -> Callable[[], Invocation]:
        return lambda: (argv, env)

    add_latency(box, LATENCY_S)
    try:
        run.log("  plan-no-changes-2ms: floor, ours, naive (dry run)")
        floor = measure(fixed(run.read_floor_argv()), run.runs, cwd=ROOT, after=run.check_floor)
        ours = measure(fixed(run.reconcile_argv("plan", str(run.states.dirs["base"]), "--detailed-exitcode")),
                       run.runs, ok=(0, 1, 2), cwd=ROOT, after=run.expect_status("plan-no-changes-2ms", 0))
        naive = measure(fixed(run.naive_argv("base", dry_run=True)), run.runs, cwd=ROOT,
                        after=run.check_naive("base"))
    finally:
        clear_faults(box)
    return {"plan-no-changes-2ms": Row(ours, floor, naive)}


def updates_row(run: ModeRun) -> dict[str, Row]:
    """``apply-<N>-updates-2ms``: ours, the write floor and the naive sync."""
    from benchmarks.scenarios import Row

    name = f"apply-{run.states.base.scale.changes}-updates-2ms"

    def slow(argv: list[str]) -> Callable[[], Invocation]:
        def invocation() -> Invocation:
            box = run.restart()
            add_latency(box, LATENCY_S)
            return argv, run.env(box)
        return invocation

    run.log(f"  {name}: ours")
    run.prestart(max(run.runs, 3))
    ours = measure(slow(run.apply_argv("updates")), run.runs, ok=(0, 1), cwd=ROOT,
                   after=run.after_apply(name, "updates", []))
    run.log(f"  {name}: write floor")
    run.prestart(max(run.runs, 3))
    floor = measure(slow(run.floor_argv(run.states.writes["updates"])), run.runs, cwd=ROOT,
                    after=run.check_floor_writes(run.states.expected_writes["updates"]))
    run.log(f"  {name}: naive")
    run.prestart(max(run.runs, 3))
    naive = measure(slow(run.naive_argv("updates", dry_run=False)), run.runs, cwd=ROOT,
                    after=run.check_naive("updates"))
    run.close()
    return {name: Row(ours, floor, naive)}
