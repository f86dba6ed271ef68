"""``make demo`` tells the whole story and exits 0 (run as ``make demo`` runs it, but on free ports:
tests never take the seed's fixed ports, which other runs on this machine may hold)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_runs_the_whole_story() -> None:
    done = subprocess.run([sys.executable, "scripts/demo.py", "--free-ports"], cwd=ROOT, capture_output=True, text=True,
                          timeout=240, check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    out = done.stdout
    commands = [line for line in out.splitlines() if line.startswith("$ reconcile ")]
    assert commands[:-1] == [
        "$ reconcile validate desired-state",
        "$ reconcile plan --detailed-exitcode desired-state",
        "$ reconcile apply --auto-approve desired-state",
        "$ reconcile plan --detailed-exitcode desired-state",
        "$ reconcile plan --detailed-exitcode desired-state",
        "$ reconcile drift desired-state",
        "$ reconcile apply --auto-approve desired-state",
        "$ reconcile plan --detailed-exitcode desired-state",
    ]
    assert re.fullmatch(r"\$ reconcile verify --gateway-url http://127\.0\.0\.1:\d+ desired-state", commands[-1])
    gateway = commands[-1].split()[4]
    drift_plan = out.split("### 6.")[1].split("### 7.")[0]
    assert re.search(r'~ nodes\."127\.0\.0\.1:\d+": 5 -> 1', drift_plan)
    assert f'~ redirect_uris[0]: "{gateway}/attacker/callback" -> "{gateway}/callback"' in drift_plan
    assert "Plan: 0 to create, 2 to update, 0 to delete" in drift_plan
    assert out.count("No changes.") == 2
    step6 = out.split("### 10.")[1]
    assert "ok route.photo-backup [login_flow]" in step6
    assert "Verify: 3 passed, 0 failed, 0 skipped." in step6
    assert f"Open {gateway}/ in a browser, log in as foo@bar.com / foobar" in step6
    assert "demo-client-secret" not in out and "demo-session-secret" not in out
