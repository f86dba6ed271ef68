"""In-process measurements: planning CPU per unchanged object, the stage breakdown, and profiles.

The command-line figures say how long a user waits; these say where that time goes.  Here the
stages run in one fresh process (``python -m benchmarks.planning``) against a seeded sandbox: loading (YAML, models, resolution),
fetching (HTTP, JSON, Hydra secret fingerprints) and planning (normalise + diff, the pure
``reconciler.plan.planner.plan``), each timed with ``time.process_time`` (CPU of the whole process, so
the fingerprint threads count) and the wall clock.  Planning CPU per unchanged object is the
issue's figure: it is the cost a plan adds for every object that needs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.config import Connection, Options
from reconciler.load.loader import load_state
from reconciler.plan.changes import Action, Plan
from reconciler.plan.planner import plan
from reconciler.run.fetch import fetch, open_adapters
from reconciler.secrets import Secret
from reconciler.state import fingerprints
from reconciler.state.kinds import ResolvedState
from reconciler.state.live import LiveState


@dataclass(frozen=True)
class Stage:
    """One stage's wall and CPU seconds."""

    wall_s: float
    cpu_s: float


@dataclass(frozen=True)
class Breakdown:
    """Where a plan's time goes, and the planning CPU per unchanged object."""

    load: Stage
    fetch: Stage
    plan_cpu_s: float
    noops: int

    @property
    def us_per_object(self) -> float:
        """Planning CPU per unchanged object, in microseconds."""
        return self.plan_cpu_s / max(self.noops, 1) * 1e6


@contextlib.contextmanager
def _timed(out: list[Stage]) -> Iterator[None]:
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    out.append(Stage(time.perf_counter() - wall, time.process_time() - cpu))


def connection(env: Mapping[str, str]) -> Connection:
    """The connection ``reconcile`` would build from ``env``."""
    key = env.get("APISIX_ADMIN_KEY")
    return Connection(hydra_admin_url=env.get("HYDRA_ADMIN_URL"), apisix_admin_url=env.get("APISIX_ADMIN_URL"),
                      apisix_admin_key=Secret(key) if key else None)


def read_live(desired: ResolvedState, conn: Connection) -> LiveState:
    """Fetch the live state the way ``reconcile plan`` does."""
    async def go() -> LiveState:
        async with open_adapters(conn, desired.systems) as adapters:
            return await fetch(desired, adapters)
    return asyncio.run(go())


def breakdown(state_dir: Path, env: Mapping[str, str], repeats: int = 3) -> Breakdown:
    """Time load, fetch and (``repeats`` times, median) plan of the state under ``state_dir``."""
    stages: list[Stage] = []
    fingerprints.use_key(fingerprints.key_from(env))  # as ``reconcile`` does from its environment
    with _timed(stages):
        desired = load_state(state_dir, env=env)
    with _timed(stages):
        live = read_live(desired, connection(env))
    options = Options()
    cpu: list[float] = []
    result = Plan()
    for _ in range(max(repeats, 1)):
        start = time.process_time()
        result = plan(desired, live, options)
        cpu.append(time.process_time() - start)
    return Breakdown(stages[0], stages[1], statistics.median(cpu), sum(1 for c in result.changes if c.action is Action.NOOP))


def breakdown_in_child(state_dir: Path, env: Mapping[str, str]) -> Breakdown:
    """``breakdown`` in a fresh process, so that no import, cache or warm-up of an earlier
    measurement in this process flatters it."""
    argv = [sys.executable, "-m", "benchmarks.planning", str(state_dir)]
    done = subprocess.run(argv, env=dict(env), capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parent.parent)
    if done.returncode != 0:
        raise RuntimeError(f"in-process breakdown failed: {done.stderr.strip()[-2000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Breakdown(Stage(**data["load"]), Stage(**data["fetch"]), data["plan_cpu_s"], data["noops"])


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.planning STATE_DIR``: print the breakdown as JSON (connection from env)."""
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 1:
        print("usage: python -m benchmarks.planning STATE_DIR", file=sys.stderr)
        return 2
    b = breakdown(Path(args[0]), os.environ)
    print(json.dumps(dataclasses.asdict(b)))
    return 0


#: What ``--profile`` can profile: the command's arguments after the state directory, and
#: which generated state it runs on.
PROFILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "plan": ("base", ()),
    "apply": ("updates", ("--auto-approve",)),
    "prune": ("prune", ("--auto-approve", "--prune", "--max-deletes", "100000")),
}


def profile_command(name: str, state_dir: Path, env: Mapping[str, str], out_dir: Path) -> list[Path]:
    """Profile a whole ``reconcile plan`` or ``apply`` in-process with pyinstrument; write HTML
    and text to ``out_dir/profile-<name>.*``."""
    from pyinstrument import Profiler

    from reconciler.cli import cli

    command = "plan" if name == "plan" else "apply"
    saved = dict(os.environ)
    os.environ.update(env)
    profiler = Profiler(async_mode="enabled")
    try:
        profiler.start()
        with contextlib.suppress(SystemExit):
            cli.main([command, str(state_dir), *PROFILES[name][1]], prog_name="reconcile", standalone_mode=False)
        profiler.stop()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    out_dir.mkdir(parents=True, exist_ok=True)
    html, text = out_dir / f"profile-{name}.html", out_dir / f"profile-{name}.txt"
    html.write_text(profiler.output_html(), encoding="utf-8")
    text.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    return [html, text]

if __name__ == "__main__":
    sys.exit(main())
