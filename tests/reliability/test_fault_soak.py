"""Applies under a random mix of injected faults converge within one re-run, lease included.

Each seeded scenario adds, on both emulators, about 15% 5xx answers, 429 with ``Retry-After``,
connection resets before and after the server acted (lost answers) and latency, then applies a
state that differs from the live one in every object.  A scenario passes when a plan shows no
changes after at most one fault-free re-run.  Figures (faults fired, re-runs) are written to the file named
by ``RELIABILITY_FAULTS_REPORT`` when it is set.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.runner import Sandbox

from .conftest import run
from .test_concurrency import _state

SEEDS = range(1, 9)
RESULTS: dict[int, dict[str, int]] = {}


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox(real_hydra=False) as sandbox:
        yield sandbox
    target = os.environ.get("RELIABILITY_FAULTS_REPORT")
    if target:
        Path(target).write_text(json.dumps(RESULTS, indent=1))


def _faults(url: str, seed: int) -> None:
    rules = [{"effect": "status", "status": 503, "fraction": 0.06},
             {"effect": "status", "status": 429, "retry_after": 0.1, "fraction": 0.03},
             {"effect": "reset", "fraction": 0.03}, {"effect": "reset_after", "fraction": 0.03},
             {"effect": "latency", "delay": 0.02, "fraction": 0.2}]
    for n, rule in enumerate(rules):
        response = httpx.post(f"{url}/__sandbox/faults", json={**rule, "seed": seed * 10 + n}, timeout=10)
        assert response.status_code == 201


def _fired(url: str) -> int:
    rules = httpx.get(f"{url}/__sandbox/faults", timeout=10).json()["rules"]
    httpx.delete(f"{url}/__sandbox/faults", timeout=10)
    return sum(r["fired"] for r in rules if r["effect"] != "latency")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("seed", SEEDS)
def test_faulty_apply_converges_within_one_rerun(box: Sandbox, tmp_path: Path, seed: int) -> None:
    env = {"HYDRA_ADMIN_URL": box.hydra_admin_url, "APISIX_ADMIN_URL": box.apisix_admin_url,
           "APISIX_ADMIN_KEY": box.apisix_admin_key, "REL_SECRET": f"soak-secret-{seed}"}
    path = _state(tmp_path / "s", f"seed {seed}")
    for url in (box.hydra_admin_url, box.apisix_admin_url):
        _faults(url, seed)
    reruns = 0
    out = run("apply", "--auto-approve", "--prune", "--lock-timeout", "30", str(path), env=env)
    assert out.exception is None, repr(out.exception)
    fired = _fired(box.hydra_admin_url) + _fired(box.apisix_admin_url)  # and the faults stop here
    assert fired > 0, "no fault fired: the scenario tested nothing"
    while run("plan", "--detailed-exitcode", str(path), env=env).code != 0:
        assert reruns < 1, f"seed {seed}: not converged after {reruns} re-runs"
        reruns += 1
        rerun = run("apply", "--auto-approve", "--prune", "--lock-timeout", "30", str(path), env=env)
        assert rerun.code == 0, rerun.stdout + rerun.stderr
    RESULTS[seed] = {"faults_fired": fired, "reruns": reruns, "first_exit": out.code}
