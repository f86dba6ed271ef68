"""Write scenarios' inputs and the "create everything" scenario.

``write_levels`` lists the writes that take the live state of one desired state to another, in
the order ``reconcile apply`` sends them (kind levels top-down for creates and updates, then
deletes bottom-up); the write floor (``write_floor.py``) sends exactly these.

``apply-<W>-creates-empty`` is the workload of the comparison with ADC: ``R`` routes, each with
its own service and upstream (``W = 3R`` PUTs), applied to an empty APISIX.  Writes dominate it,
so it is where ours/floor measures the HTTP stack.  Every run gets a fresh empty sandbox; after
each run an untimed ``plan --detailed-exitcode`` on the same server must come out empty (the
apply converged), and its CPU is subtracted from the apply's to give our CPU per write request:
what the writes cost us beyond start-up, loading, reading and planning.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.generate import KINDS, DesiredSet, Scale, make_route, make_service, make_upstream
from benchmarks.layout import _SECTION, path_of, write_manifest, write_yaml
from benchmarks.measure import Invocation, Sample, measure, run_once
from benchmarks.sandbox import ROOT, SandboxProcess
from benchmarks.variants import removed

if TYPE_CHECKING:
    from benchmarks.scenarios import ModeRun, Row

#: Routes of the "create everything" scenario at each scale (each with a service and an upstream).
EMPTY_ROUTES = {"small": 1_000, "large": 5_000}


def write_levels(base: DesiredSet, variant: DesiredSet) -> list[list[dict[str, Any]]]:
    """The writes from ``base`` to ``variant``, grouped in levels, in apply order."""
    levels: list[list[dict[str, Any]]] = []
    for kind in KINDS:
        level: list[dict[str, Any]] = []
        for key, obj in sorted(variant.objects[kind].items()):
            old = base.objects[kind].get(key)
            if old is not None and old.wire == obj.wire:
                continue
            system = _SECTION[kind][0]
            method, path = ("POST", "/admin/clients") if old is None and kind == "client" else ("PUT", path_of(obj))
            level.append({"method": method, "system": system, "path": path, "body": obj.wire})
        if level:
            levels.append(level)
    deletes = removed(base, variant)
    for kind in reversed(KINDS):
        gone: list[dict[str, Any]] = [{"method": "DELETE", "system": _SECTION[kind][0], "path": path_of(o),
                                       "body": None} for o in deletes if o.kind == kind]
        if gone:
            levels.append(gone)
    return levels


def save_levels(base: DesiredSet, variant: DesiredSet, path: Path) -> tuple[Path, int]:
    """Write the levels to ``path``; returns it and the number of writes."""
    levels = write_levels(base, variant)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(levels), encoding="utf-8")
    return path, sum(map(len, levels))


def routes_state(routes: int, seed: int) -> DesiredSet:
    """``routes`` routes, each with its own service in front of its own upstream (no Hydra)."""
    scale = Scale("routes", routes=routes, upstreams=routes, services=routes, consumers=0, clients=0, changes=0)
    ds = DesiredSet(scale, seed)
    for index in range(routes):
        ds.add(make_upstream(ds, index))
        ds.add(make_service(ds, index))
        route = make_route(ds, index)
        for form in (route.desired, route.wire):
            form.pop("upstream_id", None)
            form["service_id"] = f"svc-{index:05d}"
            form["plugins"].pop("openid-connect", None)  # no Hydra in this workload
            form["plugins"] = form["plugins"] or {"request-id": {"header_name": "X-Request-Id"}}
        ds.add(route)
    ds.env = {}
    return ds


class EmptyCreates:
    """The ``apply-<W>-creates-empty`` scenario of one mode."""

    def __init__(self, run: ModeRun, routes: int, seed: int) -> None:
        self.run = run
        state = routes_state(routes, seed)
        work = run.work / "empty-creates"
        self.dir = work / "state"
        for written in write_yaml(state, self.dir):
            if written.name.startswith(("hydra-", "apisix-consumers")):
                written.unlink()  # no Hydra and no consumers here: declare neither, as a user would
        self.manifest = write_manifest(state, work / "manifest.json")
        self.levels, self.writes = save_levels(DesiredSet(state.scale, seed), state, work / "writes.json")
        self.name = f"apply-{self.writes}-creates-empty"
        self.plan_cpu: list[float] = []
        self._boxes: list[SandboxProcess] = []
        self._box: SandboxProcess | None = None

    def _fresh(self) -> SandboxProcess:
        if self._box is not None:
            self._box.kill()
        if not self._boxes:
            self._boxes = [SandboxProcess(self.run.apisix_version, self.run.hydra_version).launch()
                           for _ in range(max(self.run.runs, 3))]
            self._boxes = [box.wait_ready() for box in self._boxes]
        self._box = self._boxes.pop(0)
        return self._box

    def _after_ours(self, sample: Sample) -> None:
        if sample.status != 0:
            self.run.note(f"{self.name}: apply exited {sample.status}: {sample.stderr.strip()[-400:]}")
            return
        assert self._box is not None
        check = run_once(self.run.reconcile_argv("plan", str(self.dir), "--detailed-exitcode"),
                         self.run.env(self._box), ROOT)
        if check.status != 0:
            self.run.note(f"{self.name}: re-plan after apply exited {check.status}, expected 0")
        self.plan_cpu.append(check.cpu_s)

    def measure(self) -> Row:
        """Ours, the write floor and the naive script, each on fresh empty sandboxes."""
        from benchmarks.scenarios import Row

        def ours() -> Invocation:
            return self.run.reconcile_argv("apply", str(self.dir), "--auto-approve", "--parallelism", "8"), \
                self.run.env(self._fresh())

        def floor() -> Invocation:
            return self.run.floor_argv(self.levels), self.run.env(self._fresh())

        def naive() -> Invocation:
            return self.run.naive_manifest_argv(self.manifest), self.run.env(self._fresh())

        try:
            warm = run_once(self.run.reconcile_argv("plan", str(self.dir), "--detailed-exitcode"),
                           self.run.env(self._fresh()), ROOT)
            if warm.status != 2:  # fills the load cache, as in every other write scenario
                self.run.note(f"{self.name}: warm-up plan exited {warm.status}, expected 2")
            self.run.log(f"  {self.name}: ours")
            mine = measure(ours, self.run.runs, ok=(0, 1), cwd=ROOT, after=self._after_ours)
            self.run.log(f"  {self.name}: write floor")
            bare = measure(floor, self.run.runs, cwd=ROOT, after=self.run.check_floor_writes(self.writes))
            self.run.log(f"  {self.name}: naive")
            slow = measure(naive, self.run.runs, cwd=ROOT)
        finally:
            for box in [self._box, *self._boxes]:
                if box is not None:
                    box.kill()
            self._box, self._boxes = None, []
        row = Row(mine, bare, slow)
        apply_cpu = [s.cpu_s for s in mine.samples]
        if self.plan_cpu and len(self.plan_cpu) == len(apply_cpu):
            per_write = [(a - p) / self.writes for a, p in zip(apply_cpu, self.plan_cpu, strict=True)]
            row.extra["cpu_per_write_ms"] = statistics.median(per_write) * 1000
            row.extra["writes"] = float(self.writes)
        return row
