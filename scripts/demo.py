"""``make demo``: the whole story of ``reconcile`` on the loopback sandbox, in a few seconds.

It starts the sandbox on the seed walkthrough's addresses (Hydra's issuer
``http://127.0.0.1:4444/``, the gateway on 9080, the upstream "hello" page on 8081, plus the
login app), puts the demo secrets in the environment, and runs the commands a user would type
against the seed desired state in ``desired-state/``, printing each as ``$ reconcile ...``
before its output: validate, plan, apply, a plan with no changes, an out-of-band edit with
plain HTTP (an upstream node weight and a client's redirect URI), the plan and drift report
that show exactly that drift, apply, a final empty plan, and the seed's Step 6: ``reconcile
verify --gateway-url`` logs in through the gateway, and the demo prints the URL to open and the
user to log in as (on a terminal it then keeps the sandbox up until Ctrl-C).  Every command's
exit code is checked, so the demo fails loudly (exit 1) if the story stops being true.

``--free-ports`` (for tests, which must never take fixed ports) runs the same story on free
ports, with a copy of the seed whose addresses are rewritten to match.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import httpx

from reconciler.sandbox.runner import Sandbox, SandboxError

ROOT = Path(__file__).resolve().parents[1]
DESIRED = "desired-state"
SECRETS = {
    "PHOTO_BACKUP_CLIENT_SECRET": "demo-client-secret-4f1d",
    "PHOTO_BACKUP_SESSION_SECRET": "demo-session-secret-9b27c0e1",
}
ROUTE_CLIENT = "facebook-photo-backup"
#: The seed walkthrough's addresses, which ``desired-state/`` names.
SEED_PORTS = {"hydra_public_port": 4444, "gateway_port": 9080, "upstream_port": 8081}
SEED_ISSUER, SEED_GATEWAY, SEED_UPSTREAM = "http://127.0.0.1:4444", "http://127.0.0.1:9080", "127.0.0.1:8081"
DEMO_USER, DEMO_PASSWORD = "foo@bar.com", "foobar"


def banner(text: str) -> None:
    """A section heading between commands."""
    print(f"\n### {text}\n", flush=True)


def reconcile(env: dict[str, str], *args: str, expect: int = 0, cwd: Path = ROOT) -> str:
    """Run ``reconcile ARGS`` as a user would, echo it and its output; check the exit code."""
    print(f"$ reconcile {' '.join(args)}", flush=True)
    done = subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=cwd, env=env, text=True,
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


def edit_out_of_band(box: Sandbox, upstream_node: str, gateway: str) -> None:
    """Change the live servers behind the desired state's back, with plain HTTP."""
    admin = f"{box.apisix_admin_url}/apisix/admin"
    headers = {"X-API-KEY": box.apisix_admin_key}
    upstream = httpx.get(f"{admin}/upstreams/nginx", headers=headers).json()["value"]
    body = {k: v for k, v in upstream.items() if k not in ("id", "create_time", "update_time")}
    body["nodes"] = {upstream_node: 5}
    print(f'$ curl -X PUT {admin}/upstreams/nginx -H "X-API-KEY: ..." -d \'{{... "nodes": {{"{upstream_node}": 5}}}}\'')
    httpx.put(f"{admin}/upstreams/nginx", headers=headers, json=body).raise_for_status()

    client_url = f"{box.hydra_admin_url}/admin/clients/{ROUTE_CLIENT}"
    client = httpx.get(client_url).json()
    client["redirect_uris"] = [f"{gateway}/attacker/callback"]
    print(f"$ curl -X PUT {client_url} -d '{{... \"redirect_uris\": [\"{gateway}/attacker/callback\"]}}'")
    httpx.put(client_url, json=client).raise_for_status()


def seed_copy(box: Sandbox, root: Path) -> Path:
    """A copy of the seed under ``root``/desired-state with its addresses moved to ``box``'s ports."""
    target = root / DESIRED
    shutil.copytree(ROOT / DESIRED, target)
    for path in target.glob("*.yaml"):
        text = path.read_text().replace(SEED_ISSUER, box.hydra_public_url).replace(SEED_GATEWAY, box.gateway_url)
        path.write_text(text.replace(SEED_UPSTREAM, box.upstream_url.removeprefix("http://")))
    return root


def wait_for_ctrl_c() -> None:
    """On a terminal, keep the sandbox up for the browser until Ctrl-C."""
    if not sys.stdin.isatty():
        return
    print("The sandbox stays up for your browser; press Ctrl-C to stop it.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print()


def main(argv: list[str] | None = None) -> int:
    """Run the demo; 0 when every step behaved as described."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--free-ports", action="store_true", help="Free ports and a rewritten seed copy (tests).")
    args = parser.parse_args(argv)
    ports = {} if args.free_ports else SEED_PORTS
    box = Sandbox(real_hydra=False, gateway=True, **ports)
    try:
        box.start()
    except SandboxError as exc:
        taken = ", ".join(str(p) for p in SEED_PORTS.values())
        raise SystemExit(f"demo failed: {exc}\n(the demo uses the seed's ports {taken}; "
                         "`python scripts/demo.py --free-ports` runs it elsewhere)") from None
    with box, tempfile.TemporaryDirectory() as scratch:
        cwd = seed_copy(box, Path(scratch)) if args.free_ports else ROOT
        story(box, cwd)
    return 0


def story(box: Sandbox, cwd: Path) -> None:
    """The commands, against ``cwd``/desired-state."""
    env = {**os.environ, **SECRETS, "HYDRA_ADMIN_URL": box.hydra_admin_url,
           "APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": box.apisix_admin_key,
           "NO_COLOR": "1"}
    upstream_node = box.upstream_url.removeprefix("http://")

    def run(*args: str, expect: int = 0) -> str:
        return reconcile(env, *args, expect=expect, cwd=cwd)

    banner(f"Sandbox: Hydra public {box.hydra_public_url} (admin {box.hydra_admin_url}), APISIX admin "
           f"{box.apisix_admin_url}, gateway {box.gateway_url}, upstream {box.upstream_url}, "
           f"login app {box.login_url}")
    print("Secrets come from the environment: " + ", ".join(sorted(SECRETS)))

    banner("1. Check the desired state offline")
    run("validate", DESIRED)
    banner("2. What would change? (everything is new)")
    run("plan", "--detailed-exitcode", DESIRED, expect=2)
    banner("3. Apply it")
    run("apply", "--auto-approve", DESIRED)
    banner("4. Plan again: nothing to do (no false drift)")
    no_changes(run("plan", "--detailed-exitcode", DESIRED))

    banner("5. Someone edits the servers by hand")
    edit_out_of_band(box, upstream_node, box.gateway_url)

    banner("6. The plan shows exactly that drift")
    out = run("plan", "--detailed-exitcode", DESIRED, expect=2)
    for expected in (f'nodes."{upstream_node}": 5 -> 1', "redirect_uris[0]"):
        if expected not in out:
            raise SystemExit(f"demo failed: the plan does not show {expected!r}")
    banner("7. The drift report (for a scheduled job)")
    run("drift", DESIRED, expect=2)

    banner("8. Apply puts it back")
    run("apply", "--auto-approve", DESIRED)
    banner("9. And the plan is empty again")
    no_changes(run("plan", "--detailed-exitcode", DESIRED))

    banner("10. The seed's Step 6: prove the login works through the gateway")
    out = run("verify", "--gateway-url", box.gateway_url, DESIRED)
    if "[login_flow]" not in out:
        raise SystemExit("demo failed: verify ran no login through the gateway")
    print(f"\nOpen {box.gateway_url}/ in a browser, log in as {DEMO_USER} / {DEMO_PASSWORD}, "
          "click \"Allow access\", and see the upstream page.", flush=True)
    print("\nDemo complete.", flush=True)
    wait_for_ctrl_c()


if __name__ == "__main__":
    sys.exit(main())
