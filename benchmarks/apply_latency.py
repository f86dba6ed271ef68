"""The write phase alone: 1,000 changes applied one by one and at the default parallelism.

The end-to-end scenarios of ``run.py`` time whole commands, in which loading, reading and
planning dominate; and against the emulators on this 2-core machine a write costs a few hundred
microseconds of server CPU, so no client can gain from concurrency there (the server is the
bottleneck, on the same cores).  A real Admin API write travels a network and waits for etcd
(APISIX) or a database (Hydra).  This benchmark therefore times ``apply()`` in-process, with
the plan already made, against a sandbox whose writes take an added latency (0 ms and 5 ms,
through the emulators' fault injection), at ``--parallelism`` 1 (one change after another), 8
(the default) and 32 (which must not be slower than 8).  The target of issue 7 is the ratio at a realistic latency.

Run: ``.venv/bin/python -m benchmarks.apply_latency [--changes 1000] [--runs 3]``; it writes
``benchmarks/results/apply-latency.json`` and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks.sandbox import SandboxProcess
from reconciler.config import Connection, Options
from reconciler.load.loader import load_state
from reconciler.plan.planner import plan
from reconciler.run.apply import apply
from reconciler.run.fetch import fetch, open_adapters
from reconciler.secrets import Secret

RESULTS = Path(__file__).resolve().parent / "results" / "apply-latency.json"
#: One change at a time, the default, and the most ``--parallelism`` a user is likely to ask for:
#: raising it must never make an apply slower.
PARALLELISM = (1, 8, 32)


def write_state(directory: Path, changes: int) -> None:
    """``changes`` creates: half upstreams, half routes using them (two dependency levels)."""
    half = changes // 2
    lines = ["apisix:", "  upstreams:"]
    for i in range(half):
        lines += [f"    - id: up-{i:05d}", f'      nodes: {{"10.1.{i // 250}.{i % 250}:8080": 1}}']
    lines.append("  routes:")
    for i in range(changes - half):
        lines += [f"    - id: r-{i:05d}", f"      uri: /r/{i}", f"      upstream_id: up-{i % half:05d}",
                  "      plugins:", "        proxy-rewrite: {uri: /x}",
                  "        limit-count: {count: 10, time_window: 60}"]
    (directory / "state.yaml").write_text("\n".join(lines) + "\n")


async def _timed_apply(directory: Path, latency: float, parallelism: int) -> float:
    with SandboxProcess() as box:
        if latency:
            httpx.post(box.apisix_admin_url + "/__sandbox/faults",
                       json={"effect": "latency", "method": "PUT", "path": "/apisix/admin", "delay": latency},
                       timeout=10).raise_for_status()
        conn = Connection(apisix_admin_url=box.apisix_admin_url, apisix_admin_key=Secret(box.admin_key))
        desired = load_state(directory)
        async with open_adapters(conn, desired.systems, max_connections=max(4, parallelism)) as adapters:
            the_plan = plan(desired, await fetch(desired, adapters), Options())
            started = time.perf_counter()
            result = await apply(the_plan, adapters, parallelism=parallelism)
            elapsed = time.perf_counter() - started
        if not result.ok:
            failed = [e for e in result.events if e.outcome.value != "applied"]
            raise SystemExit(f"apply failed: {failed[0].change.address}: {failed[0].message}")
        return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rows: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        write_state(directory, args.changes)
        for latency in (0.0, 0.005):
            row: dict[str, float] = {}
            for parallelism in PARALLELISM:
                times = [asyncio.run(_timed_apply(directory, latency, parallelism)) for _ in range(args.runs)]
                row[f"parallelism_{parallelism}_s"] = round(statistics.median(times), 3)
            row["speedup"] = round(row["parallelism_1_s"] / row["parallelism_8_s"], 2)
            row["speedup_32"] = round(row["parallelism_1_s"] / row["parallelism_32_s"], 2)
            rows[f"{latency * 1000:.0f}ms"] = row
    document = {"changes": args.changes, "runs": args.runs, "date": datetime.now(UTC).isoformat(timespec="seconds"),
                "latency": rows}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n")
    print("| added write latency | parallelism 1 (s) | parallelism 8 (s) | parallelism 32 (s) | speed-up 8 | speed-up 32 |"
          "\n|---|---:|---:|---:|---:|---:|")
    for name, row in rows.items():
        print(f"| {name} | {row['parallelism_1_s']:.2f} | {row['parallelism_8_s']:.2f} | {row['parallelism_32_s']:.2f} "
              f"| {row['speedup']:.2f}x | {row['speedup_32']:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
