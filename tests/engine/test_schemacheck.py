"""Plugin configs the server's own schema would reject are refused at plan time, and apply then
writes nothing (instead of failing halfway)."""

from __future__ import annotations

from pathlib import Path

import httpx
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

STATE = """
apisix:
  upstreams:
    - id: web
      nodes: {"127.0.0.1:8080": 1}
  routes:
    - id: limited
      uri: /limited
      upstream_id: web
      plugins:
        limit-req: {rate: 1}
"""


def run(sandbox: Sandbox, *args: str) -> tuple[int, str]:
    env = {"APISIX_ADMIN_URL": sandbox.apisix_admin_url, "APISIX_ADMIN_KEY": sandbox.apisix_admin_key}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_a_config_the_live_schema_rejects_fails_the_plan(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "state.yaml").write_text(STATE)
    code, output = run(sandbox, "plan", str(tmp_path))
    assert code == 1, output
    assert "route.limited: plugins.limit-req: 'burst' is a required property" in output
    assert "rejected by the server's limit-req schema" in output

    code, output = run(sandbox, "apply", str(tmp_path), "--auto-approve")
    assert code == 1, output
    listing = httpx.get(f"{sandbox.apisix_admin_url}/apisix/admin/upstreams",
                        headers={"X-API-KEY": sandbox.apisix_admin_key}).json()
    assert listing["total"] == 0  # nothing was written, not even the independent upstream


def test_a_valid_config_plans_cleanly(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "state.yaml").write_text(STATE.replace("{rate: 1}", "{rate: 1, burst: 2, key: remote_addr}"))
    code, output = run(sandbox, "apply", str(tmp_path), "--auto-approve")
    assert code == 0, output
    code, output = run(sandbox, "plan", str(tmp_path), "--detailed-exitcode")
    assert code == 0, output
