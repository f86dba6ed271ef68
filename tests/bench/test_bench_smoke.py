"""Smoke tests of the benchmark harness on a tiny scale, against real loopback servers.

They check that the harness measures the right thing, not how fast anything is: the generated
state is deterministic and loads, the naive script creates every object and then finds no
difference, the floor reads every object, ``measure`` reports plausible medians, and the
results files have exactly the published shape.  No assertion is about wall time.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from benchmarks import run as bench_run
from benchmarks.generate import counts, generate, tiny
from benchmarks.layout import write_manifest, write_yaml
from benchmarks.measure import CommandFailed, measure, run_once
from benchmarks.naive import contains
from benchmarks.report import Results
from benchmarks.sandbox import ROOT
from benchmarks.scenarios import Row
from benchmarks.variants import referenced_clients, removed, with_creates, with_edits, without
from reconciler.load.loader import load_state
from reconciler.sandbox.runner import Sandbox

SCALE = tiny(20)
ROW_KEYS = {"ours_s", "floor_s", "naive_s", "cpu_s", "peak_rss_mb"}


def _env(box: Sandbox, extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **extra, "HYDRA_ADMIN_URL": box.hydra_admin_url,
            "APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": box.apisix_admin_key,
            "PYTHONPATH": str(ROOT)}


def _last_json(stdout: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return loaded


def test_generated_state_is_deterministic_realistic_and_loads(tmp_path: Path) -> None:
    first, second = generate(SCALE, seed=3), generate(SCALE, seed=3)
    write_yaml(first, tmp_path / "a")
    write_yaml(second, tmp_path / "b")
    files = sorted(p.name for p in (tmp_path / "a").glob("*.yaml"))
    assert files == sorted(p.name for p in (tmp_path / "b").glob("*.yaml"))
    assert all((tmp_path / "a" / f).read_text() == (tmp_path / "b" / f).read_text() for f in files)
    assert [o.desired for o in generate(SCALE, seed=4).ordered()] != [o.desired for o in first.ordered()]
    assert {k: len(v) for k, v in first.objects.items()} == counts(SCALE)
    for route in first.objects["route"].values():
        assert 2 <= len(route.desired["plugins"]) <= 4
    for upstream in first.objects["upstream"].values():
        assert 1 <= len(upstream.desired["nodes"]) <= 5
    assert referenced_clients(first), "some routes log in through a Hydra client"
    secrets = [o.desired.get("client_secret") for o in first.objects["client"].values()]
    assert all(s is None or s.startswith("${env:") for s in secrets)
    resolved = load_state(tmp_path / "a", env={**os.environ, **first.env})
    assert sum(len(v) for v in resolved.objects.values()) == first.count()


def test_variants_change_exactly_what_they_say() -> None:
    base = generate(SCALE)
    n = SCALE.changes
    assert with_creates(base, n).count() == base.count() + n
    pruned = without(base, n)
    gone = removed(base, pruned)
    assert len(gone) == n and pruned.count() == base.count() - n
    assert not {o.key for o in gone} & referenced_clients(base)
    edited = with_edits(base, n)
    changed = [o for o in edited.ordered() if not contains(base.objects[o.kind][o.key].wire, o.wire)]
    assert len(changed) == n


def test_measure_reports_cpu_and_peak_memory_of_the_child() -> None:
    burn = [sys.executable, "-c", "b = bytearray(120 * 2**20); b[::4096] = b'x' * len(b[::4096]); "
                                  "sum(i * i for i in range(3_000_000))"]
    result = measure(lambda: (burn, os.environ), runs=3)
    assert len(result.samples) == 3
    assert result.peak_rss_mb >= 120
    assert result.cpu_s > 0
    assert result.wall_s >= min(s.wall_s for s in result.samples)
    ballast = bytearray(300 * 2**20)  # the measuring process is big: the child's peak must not show it
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = run_once([sys.executable, "-c", "pass"], os.environ)
    assert small.status == 0 and small.peak_rss_mb < 100
    del ballast
    with pytest.raises(CommandFailed, match="exited 3"):
        measure(lambda: ([sys.executable, "-c", "raise SystemExit(3)"], os.environ))


def test_floor_and_naive_against_a_sandbox(sandbox: Sandbox, tmp_path: Path) -> None:
    base = generate(SCALE)
    env = _env(sandbox, base.env)
    manifest = write_manifest(base, tmp_path / "base.json")
    naive = [sys.executable, "-m", "benchmarks.naive", str(manifest)]

    created = run_once(naive, env, ROOT)
    assert created.status == 0, created.stderr
    assert _last_json(created.stdout) | {"read_s": 0, "write_s": 0} == {
        "gets": base.count(), "creates": base.count(), "updates": 0, "deletes": 0,
        "differences": base.count(), "errors": 0, "read_s": 0, "write_s": 0}

    floor = measure(lambda: ([sys.executable, "-m", "benchmarks.floor"], env), runs=3, cwd=ROOT)
    want = {"clients": SCALE.clients, "upstreams": SCALE.upstreams, "services": SCALE.services,
            "consumers": SCALE.consumers, "routes": SCALE.routes}
    for sample in floor.samples:
        assert _last_json(sample.stdout)["objects"] == want
    assert floor.peak_rss_mb > 0 and floor.cpu_s > 0

    again = measure(lambda: ([*naive, "--dry-run"], env), runs=3, cwd=ROOT)
    assert [_last_json(s.stdout)["differences"] for s in again.samples] == [0, 0, 0]

    edited = write_manifest(with_edits(base, SCALE.changes), tmp_path / "edited.json")
    dry = run_once([sys.executable, "-m", "benchmarks.naive", str(edited), "--dry-run"], env, ROOT)
    assert _last_json(dry.stdout)["differences"] == SCALE.changes

    pruned = without(base, SCALE.changes)
    prune_manifest = write_manifest(pruned, tmp_path / "prune.json", removed(base, pruned))
    deleted = run_once([sys.executable, "-m", "benchmarks.naive", str(prune_manifest)], env, ROOT)
    assert _last_json(deleted.stdout)["deletes"] == SCALE.changes
    after = run_once([sys.executable, "-m", "benchmarks.floor"], env, ROOT)
    assert sum(_last_json(after.stdout)["objects"].values()) == base.count() - SCALE.changes

    rows = {"default/plan-no-changes": Row(again, floor, again), "default/apply-5-updates": Row(again, None, again)}
    results = Results("tiny", base.count(), rows)
    doc = results.as_json()
    assert set(doc) == {"scale", "date", "machine", "versions", "scenarios"}
    assert all(set(row) == ROW_KEYS for row in doc["scenarios"].values())
    assert doc["scenarios"]["default/apply-5-updates"]["floor_s"] is None
    js, md = results.write(tmp_path / "results")
    assert json.loads(js.read_text())["scenarios"].keys() == rows.keys()
    assert "| default/plan-no-changes |" in md.read_text()


def test_whole_run_on_tiny_scale_writes_clean_results(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m benchmarks.run`` end to end (one mode): every check passes, the shape is exact."""
    code = bench_run.main(["--scale", "tiny", "--modes", "default", "--verify", "--work", str(tmp_path / "work"),
                           "--results", str(tmp_path / "results")])
    assert code == 0
    doc = json.loads((tmp_path / "results" / "tiny.json").read_text())
    n = SCALE.changes
    empty = 3 * SCALE.routes  # routes, each with a service and an upstream
    assert set(doc["scenarios"]) == {
        "default/plan-no-changes", "default/plan-no-changes-cold", "default/plan-5pct-changed",
        "default/plan-no-changes-2ms", f"default/apply-{n}-creates", f"default/apply-{n}-updates",
        f"default/apply-{n}-updates-2ms", f"default/prune-{n}", f"default/apply-{empty}-creates-empty",
        "default/planning-cpu"}
    assert all(set(row) == ROW_KEYS for row in doc["scenarios"].values())
    assert doc["scenarios"]["default/plan-no-changes"]["floor_s"] is not None
    assert all(doc["scenarios"][f"default/{name}"]["floor_s"] is not None  # the write floor
               for name in (f"prune-{n}", f"apply-{n}-updates-2ms", f"apply-{empty}-creates-empty"))
    markdown = (tmp_path / "results" / "tiny.md").read_text()
    assert "Failed checks" not in markdown, markdown
    assert "our CPU per write" in markdown and "reconcile --version" in markdown
    assert "| default/plan-no-changes |" in capsys.readouterr().out


def test_a_partial_run_carries_the_other_scenarios_over(tmp_path: Path) -> None:
    previous = {"scale": "tiny", "date": "2026-01-01T00:00:00Z", "machine": {}, "versions": {},
                "scenarios": {"default/apply-5-creates": {"ours_s": 2.0, "floor_s": None, "naive_s": 4.0,
                                                          "cpu_s": 1.0, "peak_rss_mb": 50.0},
                              "default/plan-no-changes": {"ours_s": 9.0, "floor_s": 1.0, "naive_s": 2.0,
                                                          "cpu_s": 1.0, "peak_rss_mb": 50.0}}}
    (tmp_path / "tiny.json").write_text(json.dumps(previous))
    now = measure(lambda: ([sys.executable, "-c", "pass"], os.environ))
    results = Results("tiny", 56, {"default/plan-no-changes": Row(now, now, now)})
    results.carry_over(tmp_path / "tiny.json")
    scenarios = results.as_json()["scenarios"]
    assert list(scenarios) == ["default/plan-no-changes", "default/apply-5-creates"]
    assert scenarios["default/apply-5-creates"]["naive_s"] == 4.0
    assert scenarios["default/plan-no-changes"]["ours_s"] != 9.0
    markdown = results.markdown()
    assert "| default/apply-5-creates * |" in markdown and "2026-01-01T00:00:00Z" in markdown
    assert "| default/plan-no-changes |" in markdown
    assert "default/apply-5-creates: 2.00x faster than naive" in markdown
