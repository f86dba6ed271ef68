"""Fixtures of the GitOps tests: a sandbox, a desired-state directory and the CLI pointed at both.

``edge.cli(...)`` runs ``reconcile`` in process (click's ``CliRunner``) with the connection and
secret variables set, exactly as a CI job sets them; ``edge.http`` talks to the emulators
directly, to drift them behind the tool's back or to check that nothing was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli as reconcile_cli
from reconciler.sandbox.runner import Sandbox

CANARY = "canary-Secret-7f3a9d"
KEY_CANARY = "canary-key-51c0e2"

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
  consumers:
    - username: alice
      plugins:
        key-auth:
          key: ${env:ALICE_KEY}
  routes:
    - id: web
      uri: /app/*
      methods: [GET, POST]
      upstream_id: web-backend
"""

LEGACY_ROUTE = """\
    - id: legacy
      uri: /legacy/*
      upstream_id: web-backend
"""


@dataclass
class Edge:
    """A running sandbox, a desired-state directory and helpers to drive and inspect them."""

    box: Sandbox
    root: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def desired(self) -> Path:
        """The desired-state directory."""
        return self.root / "desired-state"

    def write(self, text: str, name: str = "edge.yaml") -> None:
        """Replace one desired-state file."""
        self.desired.mkdir(exist_ok=True)
        (self.desired / name).write_text(text)

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        """``reconcile ARGS`` in process; the result has ``exit_code``, ``stdout`` and ``stderr``."""
        return CliRunner().invoke(reconcile_cli, list(args), env={**self.env, **(env or {})}, catch_exceptions=False)

    def apisix(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One request to the APISIX Admin API (``path`` after ``/apisix/admin``)."""
        return httpx.request(method, f"{self.box.apisix_admin_url}/apisix/admin{path}",
                             headers={"X-API-KEY": self.box.apisix_admin_key}, timeout=10, **kw)

    def hydra(self, method: str, path: str, **kw: Any) -> httpx.Response:
        """One request to the Hydra admin API (``path`` after ``/admin``)."""
        return httpx.request(method, f"{self.box.hydra_admin_url}/admin{path}", timeout=10, **kw)

    def state(self) -> Any:
        """Both servers' whole state (to show that nothing was written)."""
        return self.box.state()


def make_edge(box: Sandbox, tmp_path: Path) -> Edge:
    """An ``Edge`` on ``box`` with the drift demo's desired state written."""
    edge = Edge(box, tmp_path, env={
        "HYDRA_ADMIN_URL": box.hydra_admin_url,
        "APISIX_ADMIN_URL": box.apisix_admin_url,
        "APISIX_ADMIN_KEY": box.apisix_admin_key,
        "WEB_APP_CLIENT_SECRET": CANARY,
        "ALICE_KEY": KEY_CANARY,
        "NO_COLOR": "1",
    })
    edge.write(DESIRED)
    return edge


@pytest.fixture
def edge(sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Edge:
    """A fresh sandbox with the small desired state written (not yet applied)."""
    monkeypatch.chdir(tmp_path)
    return make_edge(sandbox, tmp_path)


@pytest.fixture
def applied(edge: Edge) -> Iterator[Edge]:
    """``edge`` after ``reconcile apply`` of its desired state."""
    result = edge.cli("apply", str(edge.desired), "--auto-approve")
    assert result.exit_code == 0, result.output
    yield edge
