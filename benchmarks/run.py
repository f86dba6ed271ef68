"""``make bench``: generate, seed, measure every scenario in both APISIX modes, write the results.

``BENCH_SCALE=small|large`` (environment) or ``--scale`` picks the scale; small is meant to run
in about two minutes on a 2-core machine (its results file says how long the tool itself took).  ``--only plans`` skips the write scenarios (large scale writes
take long); the other scenarios are then carried over from the existing results file.
``--profile plan|apply|prune`` seeds one sandbox and profiles a whole ``reconcile plan``
(no changes), ``apply`` (the updates scenario) or prune with pyinstrument instead, writing
``benchmarks/.work/profile-<name>.{html,txt}``.  Progress goes to
stderr; the Markdown table goes to stdout and, with the JSON, to ``benchmarks/results/``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Final

from benchmarks.generate import SCALES, Scale, generate, tiny
from benchmarks.measure import Invocation, Measurement, measure
from benchmarks.planning import PROFILES, profile_command
from benchmarks.report import Results
from benchmarks.scenarios import MODES, ModeRun, Row, States

HERE: Final = Path(__file__).resolve().parent
WORK: Final = HERE / ".work"
RESULTS: Final = HERE / "results"


def _log(started: float) -> Callable[[str], None]:
    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:7.1f}s] {text}", file=sys.stderr, flush=True)
    return log


def scale_named(name: str) -> Scale:
    """``small``, ``large`` or ``tiny`` (20 routes, for smoke tests)."""
    if name == "tiny":
        return tiny()
    if name not in SCALES:
        raise SystemExit(f"unknown scale {name!r}: use one of {', '.join(SCALES)}")
    return SCALES[name]


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default=os.environ.get("BENCH_SCALE", "small"))
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (at least 3)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: " + ", ".join(MODES))
    parser.add_argument("--only", choices=("plans", "writes"), help="run only these scenarios")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--profile", choices=tuple(PROFILES), help="profile instead of benchmarking")
    parser.add_argument("--verify", action="store_true",
                        help="after the first apply of each write scenario, check (untimed) that a re-plan is empty")
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--results", type=Path, default=RESULTS, help="where <scale>.json/.md go")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or the profile) and print the Markdown results."""
    args = parse(argv)
    log = _log(time.monotonic())
    scale = scale_named(args.scale)
    work = args.work / scale.name
    shutil.rmtree(work, ignore_errors=True)
    log(f"generating the {scale.name} state ({scale.total:,} objects) and its variants")
    states = States.build(generate(scale, args.seed), work)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if args.profile:
        return profile(args.profile, states, modes[0], log)
    results = Results(scale.name, states.base.count())
    if args.only:
        results.carry_over(args.results / f"{scale.name}.json")
    for mode in modes:
        run = ModeRun(mode, states, args.runs, log, verify=args.verify)
        log(f"{mode}: APISIX {run.apisix_version}, Hydra {run.hydra_version}: seeding")
        try:
            run.seed()
            rows: dict[str, Row] = {}
            if args.only != "writes":
                rows |= run.plans()
                if run.breakdown is not None:
                    results.planning[mode] = run.breakdown
            if args.only != "plans":
                rows |= run.writes()
        finally:
            run.close()
        results.rows |= {f"{mode}/{name}": row for name, row in rows.items()}
        results.notes += run.notes
    if args.only is None:
        log("start-up: --version, --help, validate desired-state")
        results.startup = startup(args.runs)
    js, md = results.write(args.results)
    log(f"wrote {js} and {md}")
    print(results.markdown())
    return 0


def startup(runs: int) -> dict[str, Measurement]:
    """Whole-process times of the commands that must start in a blink, as a user runs them (the
    console script), ``validate`` on the repository's example state with its variables set."""
    script = Path(sys.executable).with_name("reconcile")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "reconciler"]
    example = HERE.parent / "desired-state"
    names = set(re.findall(r"\$\{env:([A-Za-z0-9_]+)\}", "".join(p.read_text() for p in example.glob("*.yaml"))))
    env = {**os.environ, **{name: "x" * 32 for name in names}, "RECONCILE_CACHE": "off"}
    out: dict[str, Measurement] = {}
    for args in (["--version"], ["--help"], ["validate", "desired-state"]):
        def invocation(args: list[str] = args) -> Invocation:
            return [*command, *args], env
        out[" ".join(args)] = measure(invocation, max(runs, 5), cwd=HERE.parent)
    return out


def profile(name: str, states: States, mode: str, log: Callable[[str], None]) -> int:
    """Seed one sandbox, then profile one command (see ``PROFILES``) against it."""
    run = ModeRun(mode, states, 1, log)
    log(f"{mode}: seeding")
    run.seed()
    box = run.sandbox(run.seed_snapshot)
    try:
        log(f"profiling {name}")
        paths = profile_command(name, states.dirs[PROFILES[name][0]], run.env(box), WORK)
    finally:
        box.kill()
    for path in paths:
        log(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
