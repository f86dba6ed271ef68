"""``make drift-demo``: run the scheduled drift job's own commands against the sandbox.

The drift workflow (``.github/workflows/reconcile-drift.yml``) cannot run on this machine, but
its decisive step can: this script starts the loopback sandbox, applies a small desired state,
drifts the live servers by hand (one route modified, one OAuth2 client deleted, one owned route
no longer declared), then executes the workflow's "Check for drift" step, unchanged, under the
shell GitHub uses, with ``GITHUB_STEP_SUMMARY`` pointing at a local file.  It prints the
Markdown summary that job would show and checks that the step failed with exit code 2.

Exit 0 when the demo behaved as documented, 1 otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
import yaml

from reconciler.sandbox.runner import Sandbox

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "reconcile-drift.yml"
GITHUB_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]

DESIRED = """\
hydra:
  clients:
    - client_id: web-app
      client_name: Web app
      client_secret: ${env:WEB_APP_CLIENT_SECRET}
      grant_types: [authorization_code, refresh_token]
      response_types: [code]
      redirect_uris: [https://app.example.com/callback]
      scope: openid offline_access
apisix:
  upstreams:
    - id: web-backend
      type: roundrobin
      nodes:
        "10.0.0.10:8080": 1
  routes:
    - id: web
      uri: /app/*
      methods: [GET, POST]
      upstream_id: web-backend
"""

RETIRED_ROUTE = """\
    - id: legacy
      uri: /legacy/*
      upstream_id: web-backend
"""


def drift_step() -> str:
    """The shell script of the drift workflow's ``drift`` step, exactly as committed."""
    workflow: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text())
    for step in workflow["jobs"]["drift"]["steps"]:
        if step.get("id") == "drift":
            return str(step["run"])
    raise SystemExit(f"{WORKFLOW}: no step with id 'drift'")


def reconcile(env: dict[str, str], cwd: Path, *args: str) -> None:
    """Run one ``reconcile`` command of the set-up; stop the demo if it fails."""
    print(f"$ reconcile {' '.join(args)}", flush=True)
    done = subprocess.run(["reconcile", *args], cwd=cwd, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"set-up failed: `reconcile {' '.join(args)}` exited {done.returncode}")


def make_drift(box: Sandbox) -> None:
    """Edit the live servers behind Git's back."""
    headers = {"X-API-KEY": box.apisix_admin_key}
    with httpx.Client(timeout=10) as http:
        print("- APISIX route 'web': description changed by hand (modified)")
        http.patch(f"{box.apisix_admin_url}/apisix/admin/routes/web", headers=headers,
                   json={"desc": "edited by hand"}).raise_for_status()
        print("- Hydra client 'web-app': deleted by hand (missing)")
        http.delete(f"{box.hydra_admin_url}/admin/clients/web-app").raise_for_status()
    print("- APISIX route 'legacy': removed from Git, still live (orphaned)")


def main() -> int:
    """Set up, drift, run the workflow step; 0 when it reported drift and failed with exit 2."""
    with tempfile.TemporaryDirectory(prefix="drift-demo-") as tmp, Sandbox(real_hydra=False) as box:
        work = Path(tmp)
        desired = work / "desired-state" / "edge.yaml"
        desired.parent.mkdir()
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HYDRA_ADMIN_URL": box.hydra_admin_url,
            "APISIX_ADMIN_URL": box.apisix_admin_url,
            "APISIX_ADMIN_KEY": box.apisix_admin_key,
            "WEB_APP_CLIENT_SECRET": "demo-secret-not-for-production",
            "DESIRED_STATE": "desired-state",
        }
        print(f"sandbox: hydra-admin {box.hydra_admin_url}, apisix-admin {box.apisix_admin_url}\n")
        desired.write_text(DESIRED + RETIRED_ROUTE)
        reconcile(env, work, "apply", "desired-state", "--auto-approve")
        desired.write_text(DESIRED)
        print("\nDrift made by hand:")
        make_drift(box)

        summary, output = work / "step-summary.md", work / "step-output"
        summary.touch()
        output.touch()
        script = work / "drift-step.sh"
        script.write_text(drift_step())
        print(f"\nRunning the 'Check for drift' step of {WORKFLOW.relative_to(ROOT)}:\n", flush=True)
        step_env = {**env, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
        done = subprocess.run([*GITHUB_SHELL, str(script)], cwd=work, env=step_env, check=False)

        print("\n----- job summary ($GITHUB_STEP_SUMMARY) -----")
        print(summary.read_text().rstrip())
        print("-----------------------------------------------")
        print(f"step outputs: {output.read_text().strip()}; step exit code: {done.returncode}")
        if done.returncode != 2:
            print("UNEXPECTED: the drift step should fail with exit code 2 on drift", file=sys.stderr)
            return 1
        print("As documented: drift found, the step (and so the scheduled job) failed with exit code 2.")
        return 0


if __name__ == "__main__":
    sys.exit(main())
