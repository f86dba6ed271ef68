"""The results files: ``results/<scale>.json`` (exact shape, for tools) and ``<scale>.md`` (for people).

The JSON shape is fixed: ``{"scale", "date", "machine", "versions", "scenarios": {name: {"ours_s",
"floor_s", "naive_s", "cpu_s", "peak_rss_mb"}}}``, with null where a baseline does not apply.
The Markdown adds what the JSON cannot: ratios (ours/floor, naive/ours), the naive script's
write phase alone, planning CPU per object, each target with its verdict, and every failed
check.  The README's performance section quotes the Markdown.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.measure import Measurement
from benchmarks.planning import Breakdown
from benchmarks.scenarios import MODES, Row


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version()}


def versions() -> dict[str, str]:
    """Versions of the tool, its main libraries, and the emulated servers."""
    out = {"reconcile": _version("reconcile")}
    for lib in ("httpx", "pydantic", "deepdiff", "PyYAML"):
        out[lib] = _version(lib)
    for mode, (apisix, hydra) in MODES.items():
        out[f"emulated-{mode}"] = f"APISIX {apisix}, Hydra {hydra}"
    return out


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def naive_write_s(row: Row) -> float | None:
    """Median seconds the naive script spent in writes (it reports them on stdout)."""
    if row.naive is None:
        return None
    values = []
    for sample in row.naive.samples:
        try:
            values.append(float(json.loads(sample.stdout.strip().splitlines()[-1])["write_s"]))
        except (ValueError, IndexError, KeyError):
            return None
    return statistics.median(values) if values else None


Scenario = dict[str, float | None]


@dataclass
class Results:
    """Everything one ``make bench`` run measured, plus rows carried over from an earlier run.

    A run limited with ``--only`` carries the other scenarios over from the existing results
    file (``carried``), so that one file always holds the latest figure of every scenario; the
    Markdown marks them with that run's date.
    """

    scale: str
    objects: int
    rows: dict[str, Row] = field(default_factory=dict)
    planning: dict[str, Breakdown] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    carried: dict[str, Scenario] = field(default_factory=dict)
    carried_date: str = ""
    #: whole-process start-up times by command line (``--version``, ``--help``, ``validate ...``)
    startup: dict[str, Measurement] = field(default_factory=dict)
    date: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def carry_over(self, previous: Path) -> None:
        """Keep the scenarios of ``previous`` (a results JSON) that this run does not measure."""
        if not previous.exists():
            return
        doc = json.loads(previous.read_text(encoding="utf-8"))
        self.carried = dict(doc.get("scenarios", {}))
        self.carried_date = str(doc.get("date", ""))

    def measured(self) -> dict[str, Scenario]:
        """The scenarios measured in this run, in results-file shape."""
        out: dict[str, Scenario] = {name: row.as_json() for name, row in self.rows.items()}
        for mode, b in self.planning.items():  # pure CPU: wall and CPU are the same figure
            out[f"{mode}/planning-cpu"] = {"ours_s": round(b.plan_cpu_s, 3), "floor_s": None,
                                           "naive_s": None, "cpu_s": round(b.plan_cpu_s, 3),
                                           "peak_rss_mb": None}
        return out

    def scenarios(self) -> dict[str, Scenario]:
        """Every scenario (measured now or carried over), by mode, in the benchmark's order."""
        now = self.measured()
        merged = {**{k: v for k, v in self.carried.items() if k not in now}, **now}
        order = ("plan-no-changes-cold", "plan-no-changes", "plan-5pct-changed", "apply-", "prune-", "planning-cpu")

        def key(name: str) -> tuple[int, int, str]:
            mode, _, scenario = name.partition("/")
            modes = list(MODES)
            rank = next((i for i, prefix in enumerate(order) if scenario.startswith(prefix)), len(order))
            return (modes.index(mode) if mode in modes else len(modes), rank, scenario)

        return {name: merged[name] for name in sorted(merged, key=key)}

    def as_json(self) -> dict[str, Any]:
        """The results-file document."""
        return {"scale": self.scale, "date": self.date, "machine": machine(), "versions": versions(),
                "scenarios": self.scenarios()}

    def write(self, directory: Path) -> tuple[Path, Path]:
        """Write ``<scale>.json`` and ``<scale>.md``; returns both paths."""
        directory.mkdir(parents=True, exist_ok=True)
        js, md = directory / f"{self.scale}.json", directory / f"{self.scale}.md"
        js.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")
        md.write_text(self.markdown(), encoding="utf-8")
        return js, md

    def markdown(self) -> str:
        """The human table: medians, ratios, targets and notes."""
        m, v = machine(), versions()
        lines = [f"# Benchmark results: {self.scale} scale ({self.objects:,} objects)", "",
                 f"Measured {self.date} on {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, {m['os']}, "
                 f"Python {m['python']}.", "",
                 "Versions: " + ", ".join(f"{k} {val}" for k, val in v.items()) + ".", "",
                 "Medians of at least 3 runs, each a fresh process. Ours is `reconcile`; floor is the bare "
                 "paging script (`benchmarks/floor.py`) for plans, and for applies the write floor "
                 "(`benchmarks/write_floor.py`: the same reads, then the same writes over bare aiohttp); naive is the one-GET-per-object script "
                 "(`benchmarks/naive.py`; a dry run for plans). CPU and peak RSS are ours."]
        if any(name not in self.measured() for name in self.scenarios()):
            lines += ["", f"Rows marked * were not re-measured in this run: they come from the run of "
                          f"{self.carried_date}."]
        lines += ["", "| Scenario | ours (s) | floor (s) | naive (s) | ours/floor | naive/ours | naive writes (s) "
                  "| CPU (s) | peak RSS (MB) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        measured = self.measured()
        for name, d in self.scenarios().items():
            if name.endswith("/planning-cpu"):
                continue
            row = self.rows.get(name)
            writes = naive_write_s(row) if row is not None and not name.partition("/")[2].startswith("plan") else None
            mark = "" if name in measured else " *"
            lines.append(f"| {name}{mark} | {_f(d['ours_s'])} | {_f(d['floor_s'])} | {_f(d['naive_s'])} | "
                         f"{_ratio(d['ours_s'], d['floor_s'])} | {_ratio(d['naive_s'], d['ours_s'])} | "
                         f"{_f(writes)} | {_f(d['cpu_s'])} | {_f(d['peak_rss_mb'], 0)} |")
        lines.append("")
        if self.planning:
            lines += ["Where a plan with no changes spends its time (in-process, seconds; CPU is the whole "
                      "process, so fingerprint threads count):", "",
                      "| Mode | load wall | load CPU | fetch wall | fetch CPU | plan() CPU | unchanged objects "
                      "| µs per object |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for mode, b in self.planning.items():
                lines.append(f"| {mode} | {b.load.wall_s:.2f} | {b.load.cpu_s:.2f} | {b.fetch.wall_s:.2f} | "
                             f"{b.fetch.cpu_s:.2f} | {b.plan_cpu_s:.3f} | {b.noops} | {b.us_per_object:.1f} |")
            lines.append("")
        lines += ["", *self.targets()]
        if self.notes:
            lines += ["", "## Failed checks", "", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines) + "\n"

    def targets(self) -> list[str]:
        """Each issue-13 target with the figure measured here (the limit depends on the scale)."""
        large = self.scale == "large"
        cold_max, warm_max = (2.0, 1.5) if large else (2.5, 2.0)
        out = [f"## Targets ({self.scale} scale)", ""]
        rows = self.scenarios()
        for label, m in self.startup.items():
            limit = 0.4 if label.startswith("validate") else 0.15
            out.append(f"- start-up: `reconcile {label}` {m.wall_s:.3f} s wall, {m.cpu_s:.3f} s CPU "
                       f"(target < {limit} s wall: {_ok(m.wall_s < limit)})")
        for mode in MODES:
            for plan_name, limit in (("plan-no-changes-cold", cold_max), ("plan-no-changes", warm_max)):
                p = rows.get(f"{mode}/{plan_name}")
                if p is not None and p["ours_s"] and p["floor_s"]:
                    ratio, rss = p["ours_s"] / p["floor_s"], p["peak_rss_mb"] or 0
                    out.append(f"- {mode}/{plan_name}: {ratio:.2f}x the read floor (target <= {limit}x: "
                               f"{_ok(ratio <= limit)}); peak RSS {rss:.0f} MB (target <= 300: {_ok(rss <= 300)})")
            for name, d in rows.items():
                if not name.startswith(f"{mode}/"):
                    continue
                scenario = name.partition("/")[2]
                if scenario.endswith("-creates-empty") and d["ours_s"] and d["floor_s"]:
                    ratio = d["ours_s"] / d["floor_s"]
                    row = self.rows.get(name)
                    per_write = row.extra.get("cpu_per_write_ms") if row is not None else None
                    writes = (f"; our CPU per write {per_write:.3f} ms (target < 0.3: {_ok(per_write < 0.3)})"
                              if per_write is not None else "")
                    out.append(f"- {name}: {ratio:.2f}x the write floor (target <= 1.3x: {_ok(ratio <= 1.3)})"
                               f"{writes}")
                elif scenario.startswith(("apply-", "prune-")) and not scenario.endswith("-2ms") \
                        and d["ours_s"] and d["naive_s"]:
                    floor = f", {d['ours_s'] / d['floor_s']:.2f}x the write floor" if d["floor_s"] else ""
                    out.append(f"- {name}: {d['naive_s'] / d['ours_s']:.2f}x faster than naive, whole runs{floor} "
                               "(no target)")
                elif scenario.endswith("-2ms") and d["ours_s"] and d["naive_s"]:
                    ratio, goal = d["naive_s"] / d["ours_s"], 20 if scenario.startswith("plan") else 6
                    bound = (f"; the floor itself is {d['naive_s'] / d['floor_s']:.1f}x faster than naive, which "
                             f"bounds any tool" if d["floor_s"] else "")
                    out.append(f"- {name}: {ratio:.1f}x faster than naive (target >= {goal}x: {_ok(ratio >= goal)})"
                               f"{bound}")
            cpu = rows.get(f"{mode}/planning-cpu")
            if cpu is not None and cpu["cpu_s"] is not None:
                b = self.planning.get(mode)
                us = b.us_per_object if b is not None else cpu["cpu_s"] / self.objects * 1e6
                out.append(f"- {mode}: planning CPU {us:.1f} µs per unchanged object (target <= 25: {_ok(us <= 25)})")
        return out


def _f(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _ratio(a: float | None, b: float | None) -> str:
    return "n/a" if a is None or b is None or b == 0 else f"{a / b:.2f}x"


def _ok(flag: bool) -> str:
    return "met" if flag else "NOT met"
