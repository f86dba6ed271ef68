"""The seed scenario (``desired-state/``) on a sandbox, driven by the CLI in process.

The seed names Hydra's issuer as ``http://127.0.0.1:4444/``; tests run on free ports, so the
copy they use names the sandbox's own Hydra public URL instead (and nothing else changes).
``World`` keeps every command's output so that one check can prove no secret ever showed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner

from reconciler.cli import cli as reconcile_cli
from reconciler.sandbox.realhydra import repo_root
from reconciler.sandbox.runner import Sandbox

SEED = repo_root() / "desired-state"
SEED_ISSUER = "http://127.0.0.1:4444/"
CLIENT = "facebook-photo-backup"
ROUTE = "photo-backup"


@dataclass
class Ran:
    """One finished command."""

    args: tuple[str, ...]
    code: int
    output: str


@dataclass
class World:
    """A sandbox, a copy of the seed desired state pointed at it, and the secrets in the environment."""

    box: Sandbox
    root: Path
    gateway_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    transcript: list[Ran] = field(default_factory=list)

    @classmethod
    def make(cls, box: Sandbox, root: Path, gateway_url: str | None = None) -> World:
        """Copy the seed under ``root`` with the sandbox's issuer; set the seed's secrets."""
        desired = root / "desired-state"
        shutil.copytree(SEED, desired)
        for path in desired.glob("*.yaml"):
            path.write_text(path.read_text().replace(SEED_ISSUER, box.hydra_public_url + "/"))
        if box.real is not None:
            # Real Hydra makes its signing keys on the first JWKS read, which can take longer than
            # the gateway's 3 s openid-connect timeout on a busy machine: make them before any login.
            httpx.get(box.hydra_public_url + "/.well-known/jwks.json", timeout=120).raise_for_status()
        world = cls(box, root, gateway_url)
        world.env = {"HYDRA_ADMIN_URL": box.hydra_admin_url, "APISIX_ADMIN_URL": box.apisix_admin_url,
                     "APISIX_ADMIN_KEY": box.apisix_admin_key, "NO_COLOR": "1",
                     "PHOTO_BACKUP_CLIENT_SECRET": "seed-client-secret-1",
                     "PHOTO_BACKUP_SESSION_SECRET": "seed-session-secret-0123"}
        return world

    @property
    def desired(self) -> Path:
        """The desired-state directory."""
        return self.root / "desired-state"

    def run(self, *args: str) -> Ran:
        """``reconcile ARGS DESIRED`` in process."""
        result = CliRunner().invoke(reconcile_cli, [*args, str(self.desired)], env=self.env, catch_exceptions=False)
        ran = Ran(args, result.exit_code, result.stdout + result.stderr)
        self.transcript.append(ran)
        return ran

    def leaks(self, *also: str) -> list[str]:
        """Secret values (the environment's and ``also``) found in any output."""
        values = [self.env["PHOTO_BACKUP_CLIENT_SECRET"], self.env["PHOTO_BACKUP_SESSION_SECRET"], *also]
        return [f"{' '.join(r.args)}: {v}" for r in self.transcript for v in values if v in r.output]

    # --- by hand, as an operator with curl -----------------------------------------------------

    def rotate_client_secret_by_hand(self, secret: str) -> None:
        """PUT the Hydra client with another secret, as ``hydra update client --secret`` does: a full
        replace whose ``--metadata`` defaults to ``{}``."""
        url = f"{self.box.hydra_admin_url}/admin/clients/{CLIENT}"
        body = httpx.get(url).json()
        body["client_secret"] = secret
        body["metadata"] = {}
        httpx.put(url, json=body).raise_for_status()

    def patch_client_secret_by_hand(self, secret: str) -> None:
        """JSON-patch only the secret (``metadata``, with our secret fingerprint, is kept)."""
        url = f"{self.box.hydra_admin_url}/admin/clients/{CLIENT}"
        patch = [{"op": "replace", "path": "/client_secret", "value": secret}]
        httpx.patch(url, json=patch).raise_for_status()

    def route(self) -> dict[str, Any]:
        """The route as APISIX's GET returns it."""
        url = f"{self.box.apisix_admin_url}/apisix/admin/routes/{ROUTE}"
        value: dict[str, Any] = httpx.get(url, headers={"X-API-KEY": self.box.apisix_admin_key}).json()["value"]
        return value

    def paste_route_secret_by_hand(self, secret: str) -> None:
        """PUT the route with another openid-connect client_secret."""
        body = {k: v for k, v in self.route().items() if k not in ("create_time", "update_time")}
        body["plugins"]["openid-connect"]["client_secret"] = secret
        url = f"{self.box.apisix_admin_url}/apisix/admin/routes/{ROUTE}"
        httpx.put(url, json=body, headers={"X-API-KEY": self.box.apisix_admin_key}).raise_for_status()
