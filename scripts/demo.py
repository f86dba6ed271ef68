"""``make demo``: the whole story of ``reconcile`` on the loopback sandbox, in a few seconds.

It starts the sandbox (the Hydra and APISIX emulators on 127.0.0.1), puts the demo secrets in
the environment, and runs the commands a user would type against the seed desired state in
``desired-state/``, printing each as ``$ reconcile ...`` before its output: validate, plan,
apply, a plan with no changes, an out-of-band edit with plain HTTP (an upstream node weight and
a client's redirect URI), the plan and drift report that show exactly that drift, apply, and a
final empty plan.  Every command's exit code is checked, so the demo fails loudly (exit 1) if
the story stops being true.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from reconciler.sandbox.runner import Sandbox

ROOT = Path(__file__).resolve().parents[1]
DESIRED = "desired-state"
SECRETS = {
    "PHOTO_BACKUP_CLIENT_SECRET": "demo-client-secret-4f1d",
    "PHOTO_BACKUP_SESSION_SECRET": "demo-session-secret-9b27c0e1",
}
ROUTE_CLIENT = "facebook-photo-backup"


def banner(text: str) -> None:
    """A section heading between commands."""
    print(f"\n### {text}\n", flush=True)


def reconcile(env: dict[str, str], *args: str, expect: int = 0) -> str:
    """Run ``reconcile ARGS`` as a user would, echo it and its output; check the exit code."""
    print(f"$ reconcile {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=ROOT, env=env, text=True,
                          capture_output=True, check=False)
    sys.stdout.write(done.stdout)
    sys.stdout.write(done.stderr)
    print(f"(exit {done.returncode})", flush=True)
    if done.returncode != expect:
        raise SystemExit(f"demo failed: `reconcile {' '.join(args)}` exited {done.returncode}, expected {expect}")
    return done.stdout


def no_changes(out: str) -> None:
    """Stop the demo unless the plan output says there is nothing to do."""
    if "No changes." not in out:
        raise SystemExit("demo failed: the plan was expected to show no changes")


def edit_out_of_band(box: Sandbox) -> None:
    """Change the live servers behind the desired state's back, with plain HTTP."""
    admin = f"{box.apisix_admin_url}/apisix/admin"
    headers = {"X-API-KEY": box.apisix_admin_key}
    upstream = httpx.get(f"{admin}/upstreams/nginx", headers=headers).json()["value"]
    body = {k: v for k, v in upstream.items() if k not in ("id", "create_time", "update_time")}
    body["nodes"] = {"127.0.0.1:8081": 5}
    print(f'$ curl -X PUT {admin}/upstreams/nginx -H "X-API-KEY: ..." -d \'{{... "nodes": {{"127.0.0.1:8081": 5}}}}\'')
    httpx.put(f"{admin}/upstreams/nginx", headers=headers, json=body).raise_for_status()

    client_url = f"{box.hydra_admin_url}/admin/clients/{ROUTE_CLIENT}"
    client = httpx.get(client_url).json()
    client["redirect_uris"] = ["http://127.0.0.1:9080/attacker/callback"]
    print(f"$ curl -X PUT {client_url} -d '{{... \"redirect_uris\": [\"http://127.0.0.1:9080/attacker/callback\"]}}'")
    httpx.put(client_url, json=client).raise_for_status()


def main() -> int:
    """Run the demo; 0 when every step behaved as described."""
    with Sandbox(real_hydra=False) as box:
        env = {**os.environ, **SECRETS, "HYDRA_ADMIN_URL": box.hydra_admin_url,
               "APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": box.apisix_admin_key,
               "NO_COLOR": "1"}
        banner(f"Sandbox: Hydra admin {box.hydra_admin_url}, APISIX admin {box.apisix_admin_url}")
        print("Secrets come from the environment: " + ", ".join(sorted(SECRETS)))

        banner("1. Check the desired state offline")
        reconcile(env, "validate", DESIRED)
        banner("2. What would change? (everything is new)")
        reconcile(env, "plan", "--detailed-exitcode", DESIRED, expect=2)
        banner("3. Apply it")
        reconcile(env, "apply", "--auto-approve", DESIRED)
        banner("4. Plan again: nothing to do (no false drift)")
        no_changes(reconcile(env, "plan", "--detailed-exitcode", DESIRED))

        banner("5. Someone edits the servers by hand")
        edit_out_of_band(box)

        banner("6. The plan shows exactly that drift")
        out = reconcile(env, "plan", "--detailed-exitcode", DESIRED, expect=2)
        for expected in ('nodes."127.0.0.1:8081": 5 -> 1', "redirect_uris[0]"):
            if expected not in out:
                raise SystemExit(f"demo failed: the plan does not show {expected!r}")
        banner("7. The drift report (for a scheduled job)")
        reconcile(env, "drift", DESIRED, expect=2)

        banner("8. Apply puts it back")
        reconcile(env, "apply", "--auto-approve", DESIRED)
        banner("9. And the plan is empty again")
        no_changes(reconcile(env, "plan", "--detailed-exitcode", DESIRED))
    print("\nDemo complete.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
