"""How long ``reconcile verify --gateway-url`` takes per route on the sandbox.

The seed state (one client, one route behind a browser login) is copied with its addresses moved
to a sandbox on free ports (emulated or real Hydra, the gateway, the upstream page), widened to
``N`` login routes of the same client (each with its own callback), applied, and verified
``--runs`` times as a user runs it (a fresh process each time).  The time per route is the
marginal cost: (median wall time at N routes - median at 1 route) / (N - 1).  Logins run one at
a time (see ``reconciler/run/verify_base.py``), so this is close to one login's cost.

Run: ``.venv/bin/python -m benchmarks.verify_time [--routes 20] [--runs 3] [--real-hydra]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.sandbox.realhydra import repo_root
from reconciler.sandbox.runner import Sandbox

SECRETS = {"PHOTO_BACKUP_CLIENT_SECRET": "bench-client-secret-1", "PHOTO_BACKUP_SESSION_SECRET": "bench-session-0123456"}


def seed_with_routes(box: Sandbox, root: Path, routes: int) -> Path:
    """The seed under ``root`` on ``box``'s addresses, with ``routes`` login routes."""
    target = root / "desired-state"
    shutil.copytree(repo_root() / "desired-state", target)
    gateway, upstream = box.gateway_url, box.upstream_url.removeprefix("http://")
    for path in target.glob("*.yaml"):
        text = path.read_text().replace("http://127.0.0.1:4444", box.hydra_public_url)
        text = text.replace("http://127.0.0.1:9080", gateway).replace("127.0.0.1:8081", upstream)
        if path.name == "hydra-clients.yaml":
            text = text.replace(f"        - {gateway}/callback\n",
                                "".join(f"        - {gateway}/r{i}/callback\n" for i in range(routes)))
        if path.name == "apisix-routes.yaml":
            head, route = text.split("  routes:\n")
            text = head + "  routes:\n" + "".join(
                route.replace("id: photo-backup", f"id: r{i}").replace("uri: /*", f"uri: /r{i}/*")
                .replace(f"{gateway}/callback", f"{gateway}/r{i}/callback") for i in range(routes))
        path.write_text(text)
    return target


def median_wall(routes: int, runs: int, real_hydra: bool) -> float:
    """Median seconds of one ``verify --gateway-url`` process over ``routes`` login routes."""
    with Sandbox(real_hydra=real_hydra, gateway=True) as box, tempfile.TemporaryDirectory() as scratch:
        desired = seed_with_routes(box, Path(scratch), routes)
        env = {**os.environ, **SECRETS, "HYDRA_ADMIN_URL": box.hydra_admin_url,
               "APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": box.apisix_admin_key}
        command = [sys.executable, "-m", "reconciler"]
        subprocess.run([*command, "apply", "--auto-approve", str(desired)], env=env, check=True, capture_output=True)
        walls = []
        for _ in range(runs):
            started = time.perf_counter()
            done = subprocess.run([*command, "verify", "--gateway-url", box.gateway_url, "--output", "json",
                                   str(desired)], env=env, capture_output=True, text=True, check=False)
            walls.append(time.perf_counter() - started)
            report = json.loads(done.stdout)
            flows = sum(1 for c in report["checks"] if c["check"] == "login_flow" and c["status"] == "pass")
            if done.returncode != 0 or flows != routes:
                raise SystemExit(f"verify failed at {routes} routes:\n{done.stdout[-3000:]}")
        return statistics.median(walls)


def main() -> int:
    """Measure and print one line per size and the marginal time per route."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--routes", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--real-hydra", action="store_true")
    args = parser.parse_args()
    one = median_wall(1, args.runs, args.real_hydra)
    many = median_wall(args.routes, args.runs, args.real_hydra)
    hydra = "real Hydra v2.3.0" if args.real_hydra else "Hydra emulator"
    print(f"{hydra}: 1 route {one:.2f} s, {args.routes} routes {many:.2f} s (median of {args.runs} runs); "
          f"{(many - one) / (args.routes - 1):.3f} s per further route")
    return 0


if __name__ == "__main__":
    sys.exit(main())
