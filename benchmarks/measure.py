"""Run a command several times in a child process; report median wall, CPU and peak memory.

Each run is a fresh process, as a user or CI would run it, so start-up and imports count.
Wall time is taken around the child's whole life; CPU time is the child's own user + system
seconds and peak memory its ``ru_maxrss``, both from ``os.wait4`` (the rusage of exactly that
child, not of every child this process ever had).  The median of at least three runs is
reported, with every sample kept for the record.  ``before`` runs, untimed, ahead of each run:
the benchmarks use it to restart a sandbox from its snapshot, so every run that writes starts
from the same state.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
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


def run_once(argv: Sequence[str], env: Mapping[str, str], cwd: Path | None = None) -> Sample:
    """Run ``argv`` once and measure it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(argv), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Sample(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                      peak_rss_mb=usage.ru_maxrss / 1024.0,  # Linux reports KiB
                      status=proc.returncode, stdout=out.read().decode(errors="replace"),
                      stderr=err.read().decode(errors="replace"))


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
