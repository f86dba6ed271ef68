"""Run a command several times in a child process; report median wall, CPU and peak memory.

Each run is a fresh process, as a user or CI would run it, so start-up and imports count.
Wall time is taken around the child's whole life; CPU time is the child's own user + system
seconds and peak memory its ``ru_maxrss``, both from ``os.wait4`` (the rusage of exactly that
child, not of every child this process ever had), taken by a tiny launcher process so that
this process's own memory does not leak into the child's peak (see ``_LAUNCHER``).  The median of at least three runs is
reported, with every sample kept for the record.  ``before`` runs, untimed, ahead of each run:
the benchmarks use it to restart a sandbox from its snapshot, so every run that writes starts
from the same state.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

MIN_RUNS: Final = 3


class CommandFailed(RuntimeError):
    """The measured command exited with a status the caller did not accept."""


@dataclass(frozen=True)
class Sample:
    """One run of the command."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    status: int
    stdout: str
    stderr: str


@dataclass
class Measurement:
    """The medians over every run, and the runs."""

    samples: list[Sample] = field(default_factory=list)

    @property
    def wall_s(self) -> float:
        """Median wall-clock seconds."""
        return statistics.median(s.wall_s for s in self.samples)

    @property
    def cpu_s(self) -> float:
        """Median CPU seconds (user + system) of the child."""
        return statistics.median(s.cpu_s for s in self.samples)

    @property
    def peak_rss_mb(self) -> float:
        """Median peak resident set size of the child, in MiB."""
        return statistics.median(s.peak_rss_mb for s in self.samples)


#: What ``before`` returns: the command and its environment for this run.
Invocation = tuple[Sequence[str], Mapping[str, str]]


#: A minimal launcher (``python -S -I``, a few MiB) that starts the command, waits for it with
#: ``os.wait4`` and writes wall, CPU and ``ru_maxrss`` to a file.  Why not spawn from here: on
#: Linux a child's ``ru_maxrss`` includes the memory it shared with its parent between fork and
#: exec, so a benchmark process holding a large generated state would see that size as every
#: child's peak.  Spawned from this small launcher, the command inherits only a few MiB.
_LAUNCHER: Final = """
import json, os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(report, "w") as handle:
    json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss,
               "status": os.waitstatus_to_exitcode(status)}, handle)
"""


def run_once(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> Sample:
    """Run ``argv`` once (through the launcher) and measure it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".json") as report:
        launcher = [sys.executable, "-S", "-I", "-c", _LAUNCHER, report.name, *argv]
        done = subprocess.run(launcher, env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                              stderr=err, check=False)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        try:
            data = json.loads(Path(report.name).read_text())
        except ValueError:
            raise CommandFailed(f"the launcher failed ({done.returncode}) for {argv[:4]}: {stderr[-2000:]}") from None
        return Sample(wall_s=data["wall"], cpu_s=data["cpu"], peak_rss_mb=data["maxrss_kib"] / 1024.0,
                      status=data["status"], stdout=stdout, stderr=stderr)


def measure(invocation: Callable[[], Invocation], runs: int = MIN_RUNS, *,
            after: Callable[[Sample], None] | None = None, ok: Sequence[int] = (0,),
            cwd: Path | None = None) -> Measurement:
    """Run the command ``runs`` times (at least 3).  ``invocation`` is called, untimed, before each
    run and returns the command and environment; ``after`` sees each sample (untimed).  A status
    outside ``ok`` raises ``CommandFailed`` with the command's stderr."""
    result = Measurement()
    for _ in range(max(runs, MIN_RUNS)):
        argv, env = invocation()
        sample = run_once(argv, env, cwd)
        if sample.status not in ok:
            raise CommandFailed(f"{' '.join(argv[:6])}... exited {sample.status}: "
                                f"{sample.stderr.strip()[-3000:] or sample.stdout.strip()[-3000:]}")
        result.samples.append(sample)
        if after is not None:
            after(sample)
    return result
