"""The scenarios of ``make bench``, run against one APISIX mode: seeding, then every timed scenario.

Per mode: a fresh sandbox is seeded once with ``reconcile apply --auto-approve`` of the base
state (not timed) and stopped with SIGTERM, which writes its snapshot.  ``reconcile`` keeps a
cache of loaded desired states (and of verified Hydra secret fingerprints); the benchmark gives
it its own cache folder, warms it with one untimed plan of every state, and measures the plan
with no changes once more with the cache off (``plan-no-changes-cold``, what a fresh CI
checkout sees).  The read-only scenarios
(plans) then share one sandbox restored from that snapshot; every run of a scenario that
writes gets its own sandbox restored from it, so each run starts from the same live state.
Ours, the I/O floor and the naive script run against the same servers.

Every timed run is also checked: a plan with no changes must exit 0 with
``--detailed-exitcode`` and a plan with changes 2, the naive script must find the expected
number of differences, an apply must exit 0, and (with ``verify``) the first apply of each
scenario must leave a state that plans clean.  A failed check is recorded as a note in the
results rather than hidden.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from benchmarks import latency
from benchmarks.generate import DesiredSet
from benchmarks.layout import write_manifest, write_yaml
from benchmarks.measure import Invocation, Measurement, Sample, measure, run_once
from benchmarks.planning import Breakdown, breakdown_in_child
from benchmarks.sandbox import ROOT, SandboxProcess
from benchmarks.variants import removed, with_creates, with_edits, with_fraction_edited, without
from benchmarks.writes import EMPTY_ROUTES, EmptyCreates, save_levels

#: name -> (APISIX version, Hydra version).  "legacy" is APISIX <= 3.13, which stores defaults.
MODES: Final[dict[str, tuple[str, str]]] = {
    "default": ("3.18.0", "2.3.0"),
    "legacy": ("3.13.0", "2.3.0"),
}
PLAN_FRACTION: Final = 0.05
#: The operator's fingerprint key of every measured run (keyed fingerprints: see the README's
#: "Secret fingerprints"); without it each cold plan spends ~2.5 ms of PBKDF2 per Hydra client.
FINGERPRINT_KEY: Final = "bench-fingerprint-key-0123456789abcdef0123456789"


@dataclass
class Row:
    """One scenario's medians (None where a baseline does not apply)."""

    ours: Measurement
    floor: Measurement | None = None
    naive: Measurement | None = None
    #: figures for the Markdown only (the JSON shape is fixed), e.g. ``cpu_per_write_ms``
    extra: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, float | None]:
        """The results-file shape of this row."""
        return {"ours_s": round(self.ours.wall_s, 3),
                "floor_s": round(self.floor.wall_s, 3) if self.floor else None,
                "naive_s": round(self.naive.wall_s, 3) if self.naive else None,
                "cpu_s": round(self.ours.cpu_s, 3),
                "peak_rss_mb": round(self.ours.peak_rss_mb, 1)}


@dataclass
class States:
    """The generated desired states of every scenario, written to ``work``."""

    base: DesiredSet
    work: Path
    dirs: dict[str, Path] = field(default_factory=dict)
    manifests: dict[str, Path] = field(default_factory=dict)
    expected: dict[str, int] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    #: the write floor's input per write scenario, and its number of writes
    writes: dict[str, Path] = field(default_factory=dict)
    expected_writes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, base: DesiredSet, work: Path) -> States:
        """Write the base state and every variant (YAML directory and naive manifest)."""
        states = cls(base, work)
        n = base.scale.changes
        edited = with_fraction_edited(base, PLAN_FRACTION)
        variants = {"base": base, "edited": edited, "creates": with_creates(base, n),
                    "updates": with_edits(base, n), "prune": without(base, n)}
        for name, ds in variants.items():
            states.env |= ds.env
            deletes = removed(base, ds)
            states.dirs[name] = work / "states" / name
            write_yaml(ds, states.dirs[name])
            states.manifests[name] = write_manifest(ds, work / "manifests" / f"{name}.json", deletes)
            if name in ("creates", "updates", "prune"):
                states.writes[name], states.expected_writes[name] = save_levels(
                    base, ds, work / "writes" / f"{name}.json")
        states.expected = {"base": 0, "edited": round(base.count() * PLAN_FRACTION), "creates": n,
                           "updates": n, "prune": len(removed(base, variants["prune"]))}
        return states


def reconcile(*args: str) -> list[str]:
    """``reconcile`` as a child command line."""
    return [sys.executable, "-m", "reconciler", *args]


def bench_module(name: str, *args: str) -> list[str]:
    """A baseline script of this package as a child command line."""
    return [sys.executable, "-m", f"benchmarks.{name}", *args]


class ModeRun:
    """Seeds one mode's sandbox and runs every scenario against it."""

    def __init__(self, mode: str, states: States, runs: int, log: Callable[[str], None],
                 verify: bool = False) -> None:
        self.mode = mode
        self.apisix_version, self.hydra_version = MODES[mode]
        self.states = states
        self.runs = runs
        self.verify = verify
        self.log = log
        self.work = states.work / mode
        self.work.mkdir(parents=True, exist_ok=True)
        self.seed_snapshot = self.work / "seeded.json"
        self.notes: list[str] = []
        self.breakdown: Breakdown | None = None
        self._box: SandboxProcess | None = None
        self._ready: list[SandboxProcess] = []

    # -- environment ---------------------------------------------------------------------------

    def env(self, box: SandboxProcess) -> dict[str, str]:
        """Environment of every measured command: secrets and connection, no colour."""
        return {**os.environ, **self.states.env, **box.env(), "NO_COLOR": "1",
                "PYTHONPATH": str(ROOT), "RECONCILE_CACHE_DIR": str(self.states.work / "cache"),
                "RECONCILE_FINGERPRINT_KEY": FINGERPRINT_KEY}

    def sandbox(self, snapshot: Path | None) -> SandboxProcess:
        """A new sandbox of this mode, optionally restored from a copy of ``snapshot``."""
        copy: Path | None = None
        if snapshot is not None:
            copy = self.work / "run.json"
            shutil.copyfile(snapshot, copy)
        return SandboxProcess(self.apisix_version, self.hydra_version, copy).start()

    def prestart(self, count: int) -> None:
        """Start ``count`` sandboxes restored from the seeded snapshot, side by side (untimed).

        Restoring a large snapshot takes seconds; starting the sandboxes of a scenario's runs
        together uses both cores for it.  They sit idle until ``restart`` hands them out."""
        boxes = []
        for i in range(count):
            copy = self.work / f"run-{i}.json"
            shutil.copyfile(self.seed_snapshot, copy)
            boxes.append(SandboxProcess(self.apisix_version, self.hydra_version, copy).launch())
        try:
            self._ready += [box.wait_ready() for box in boxes]
        except BaseException:
            for box in boxes:
                box.kill()
            raise

    def restart(self) -> SandboxProcess:
        """Stop the current sandbox and switch to a fresh one restored from the snapshot."""
        if self._box is not None:
            self._box.kill()
        self._box = self._ready.pop(0) if self._ready else self.sandbox(self.seed_snapshot)
        return self._box

    def close(self) -> None:
        """Stop every sandbox still running."""
        for box in [self._box, *self._ready]:
            if box is not None:
                box.kill()
        self._box, self._ready = None, []

    # -- seeding -------------------------------------------------------------------------------

    def seed(self) -> None:
        """Apply the base state to a fresh sandbox and save it as the snapshot (not timed)."""
        self.seed_snapshot.unlink(missing_ok=True)
        box = SandboxProcess(self.apisix_version, self.hydra_version, self.seed_snapshot).start()
        try:
            sample = run_once(reconcile("apply", str(self.states.dirs["base"]), "--auto-approve",
                                        "--parallelism", "8"), self.env(box), ROOT)
            if sample.status != 0:
                raise RuntimeError(f"seeding failed ({sample.status}): {sample.stderr[-3000:]}")
            self.log(f"  seeded {self.states.base.count()} objects in {sample.wall_s:.1f} s")
        except BaseException:
            box.kill()
            raise
        box.stop()

    def _check_plan(self, box: SandboxProcess, state: str, expected_status: int, what: str) -> None:
        sample = run_once(self.plan_argv(state), self.env(box), ROOT)
        if sample.status != expected_status:
            self.note(f"{what}: plan exited {sample.status}, expected {expected_status}: "
                      f"{(sample.stdout + sample.stderr).strip()[-400:]}")

    def note(self, text: str) -> None:
        """Record (and log) a failed check, once."""
        if f"{self.mode}: {text}" in self.notes:
            return
        self.notes.append(f"{self.mode}: {text}")
        self.log(f"  NOTE {text}")

    # -- commands ------------------------------------------------------------------------------

    def plan_argv(self, state: str) -> list[str]:
        return reconcile("plan", str(self.states.dirs[state]), "--detailed-exitcode")

    def apply_argv(self, state: str) -> list[str]:
        argv = reconcile("apply", str(self.states.dirs[state]), "--auto-approve", "--parallelism", "8")
        if state == "prune":
            argv += ["--prune", "--max-deletes", str(self.states.expected["prune"])]
        return argv

    def naive_argv(self, state: str, dry_run: bool) -> list[str]:
        argv = [sys.executable, "-m", "benchmarks.naive", str(self.states.manifests[state])]
        return [*argv, "--dry-run"] if dry_run else argv

    def check_naive(self, state: str) -> Callable[[Sample], None]:
        def check(sample: Sample) -> None:
            try:
                found = json.loads(sample.stdout.strip().splitlines()[-1])["differences"]
            except (ValueError, IndexError, KeyError):
                found = None
            if found != self.states.expected[state]:
                self.note(f"naive on {state}: {found} differences, expected {self.states.expected[state]}")
        return check

    def reconcile_argv(self, *args: str) -> list[str]:
        """``reconcile ARGS`` as a child command line."""
        return reconcile(*args)

    def read_floor_argv(self) -> list[str]:
        """The read floor."""
        return bench_module("floor")

    def floor_argv(self, writes: Path) -> list[str]:
        """The write floor for the writes listed in ``writes`` (at apply's parallelism)."""
        return bench_module("write_floor", str(writes), "--concurrency", "8")

    def naive_manifest_argv(self, manifest: Path) -> list[str]:
        """The naive sync of any manifest."""
        return bench_module("naive", str(manifest))

    def check_floor_writes(self, expected: int) -> Callable[[Sample], None]:
        """The write floor must have sent every write without an error."""
        def check(sample: Sample) -> None:
            try:
                done = json.loads(sample.stdout.strip().splitlines()[-1])
                sent, errors = done["writes"], done["errors"]
            except (ValueError, IndexError, KeyError):
                sent, errors = None, None
            if sent != expected or errors or sample.status != 0:
                self.note(f"write floor sent {sent} writes ({errors} errors), expected {expected}")
        return check

    # -- scenarios -----------------------------------------------------------------------------

    def plans(self) -> dict[str, Row]:
        """Plan with no changes and plan with 5% changed, with the floor and the naive dry run."""
        box = self.sandbox(self.seed_snapshot)
        self._box = box
        env = self.env(box)

        def fixed(argv: list[str]) -> Callable[[], Invocation]:
            return lambda: (argv, env)

        self.log("  warming the load cache: one untimed plan of every state")
        for state in self.states.dirs:
            warm = run_once(self.plan_argv(state), env, ROOT)
            if warm.status not in (0, 2):
                self.note(f"warm-up plan of {state} exited {warm.status}: {warm.stderr.strip()[-400:]}")
        rows: dict[str, Row] = {}
        floor = measure(fixed([sys.executable, "-m", "benchmarks.floor"]), self.runs, cwd=ROOT,
                        after=self.check_floor)
        self.log("  plan-no-changes-cold: ours, load cache off")
        cold = measure(lambda: (self.plan_argv("base"), {**env, "RECONCILE_CACHE": "off"}), self.runs,
                       ok=(0, 1, 2), cwd=ROOT, after=self.expect_status("plan-no-changes-cold", 0))
        for name, state in (("plan-no-changes", "base"), ("plan-5pct-changed", "edited")):
            status = 0 if self.states.expected[state] == 0 else 2
            self.log(f"  {name}: ours")
            ours = measure(fixed(self.plan_argv(state)), self.runs, ok=(0, 1, 2), cwd=ROOT,
                           after=self.expect_status(name, status))
            self.log(f"  {name}: naive (dry run)")
            naive = measure(fixed(self.naive_argv(state, dry_run=True)), self.runs, cwd=ROOT,
                            after=self.check_naive(state))
            rows[name] = Row(ours, floor, naive)
        rows["plan-no-changes-cold"] = Row(cold, floor, rows["plan-no-changes"].naive)
        self.log("  planning CPU and stage breakdown (in-process)")
        try:
            self.breakdown = breakdown_in_child(self.states.dirs["base"], env)
        except Exception as exc:  # an engine failure is a finding to report, not a reason to stop
            self.note(f"in-process plan failed: {type(exc).__name__}: {exc}")
        else:
            if self.breakdown.noops != self.states.base.count():
                self.note(f"in-process plan: {self.breakdown.noops} no-ops, expected {self.states.base.count()}")
        rows |= latency.plan_rows(self, box)
        self.close()
        return rows

    def check_floor(self, sample: Sample) -> None:
        """The floor must have read every live object, or its time means nothing."""
        try:
            read = sum(json.loads(sample.stdout.strip().splitlines()[-1])["objects"].values())
        except (ValueError, IndexError, KeyError, AttributeError):
            read = None
        if read != self.states.base.count():
            self.note(f"floor read {read} objects, expected {self.states.base.count()}")

    def expect_status(self, name: str, status: int) -> Callable[[Sample], None]:
        def check(sample: Sample) -> None:
            if sample.status != status:
                self.note(f"{name}: ours exited {sample.status}, expected {status}: "
                          f"{(sample.stderr or sample.stdout).strip()[-400:]}")
        return check

    def writes(self) -> dict[str, Row]:
        """Apply of creates, apply of updates and prune, each run on a freshly restored sandbox."""
        n = self.states.base.scale.changes
        rows: dict[str, Row] = {}
        for name, state in ((f"apply-{n}-creates", "creates"), (f"apply-{n}-updates", "updates"),
                            (f"prune-{n}", "prune")):
            def ours_inv(state: str = state) -> Invocation:
                return self.apply_argv(state), self.env(self.restart())

            def floor_inv(state: str = state) -> Invocation:
                return self.floor_argv(self.states.writes[state]), self.env(self.restart())

            def naive_inv(state: str = state) -> Invocation:
                return self.naive_argv(state, dry_run=False), self.env(self.restart())

            self.log(f"  {name}: ours")
            first: list[bool] = []
            self.prestart(max(self.runs, 3))
            ours = measure(ours_inv, self.runs, ok=(0, 1), cwd=ROOT,
                           after=self.after_apply(name, state, first))
            self.log(f"  {name}: write floor")
            self.prestart(max(self.runs, 3))
            floor = measure(floor_inv, self.runs, cwd=ROOT, after=self.check_floor_writes(
                self.states.expected_writes[state]))
            self.log(f"  {name}: naive")
            self.prestart(max(self.runs, 3))
            naive = measure(naive_inv, self.runs, cwd=ROOT, after=self.check_naive(state))
            rows[name] = Row(ours, floor, naive)
        self.close()
        rows |= latency.updates_row(self)
        routes = EMPTY_ROUTES.get(self.states.base.scale.name, self.states.base.scale.routes)
        empty = EmptyCreates(self, routes, self.states.base.seed)
        rows[empty.name] = empty.measure()
        return rows

    def after_apply(self, name: str, state: str, first: list[bool]) -> Callable[[Sample], None]:
        def check(sample: Sample) -> None:
            if sample.status != 0:
                self.note(f"{name}: apply exited {sample.status}: {sample.stderr.strip()[-400:]}")
            if self.verify and not first and self._box is not None:  # converged? (first run, untimed)
                first.append(True)
                self._check_plan(self._box, state, 0, f"{name}: re-plan after apply")
        return check
