"""``make demo`` tells the whole story and exits 0 (run as ``make demo`` runs it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_the_whole_story() -> None:
    done = subprocess.run([sys.executable, "scripts/demo.py"], cwd=ROOT, capture_output=True, text=True,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    out = done.stdout
    commands = [line for line in out.splitlines() if line.startswith("$ reconcile ")]
    assert commands == [
        "$ reconcile validate desired-state",
        "$ reconcile plan --detailed-exitcode desired-state",
        "$ reconcile apply --auto-approve desired-state",
        "$ reconcile plan --detailed-exitcode desired-state",
        "$ reconcile plan --detailed-exitcode desired-state",
        "$ reconcile drift desired-state",
        "$ reconcile apply --auto-approve desired-state",
        "$ reconcile plan --detailed-exitcode desired-state",
    ]
    drift_plan = out.split("### 6.")[1].split("### 7.")[0]
    assert '~ nodes."127.0.0.1:8081": 5 -> 1' in drift_plan
    assert '~ redirect_uris[0]: "http://127.0.0.1:9080/attacker/callback" -> "http://127.0.0.1:9080/callback"' \
        in drift_plan
    assert "Plan: 0 to create, 2 to update, 0 to delete" in drift_plan
    assert out.count("No changes.") == 2
    assert "demo-client-secret" not in out and "demo-session-secret" not in out
