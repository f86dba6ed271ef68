"""Small inconsistencies a first hour with the tool ran into, each shown on the sandbox.

- plan showed scope words sorted (``"admin offline openid" -> "offline openid"``), not as written;
- plan showed a removed value as ``- path`` with no value, while drift showed it;
- an adopted Hydra client listed no field change, while an adopted upstream showed ``+ labels``;
- ``reconcile --help`` cut the command descriptions.
"""

from __future__ import annotations

from pathlib import Path

import httpx
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

STATE = """\
hydra:
  clients:
    - client_id: c1
      grant_types: [client_credentials]
      scope: openid admin offline
apisix:
  upstreams:
    - id: u
      nodes: {'127.0.0.1:8080': 1}
  routes:
    - id: r
      uri: /x
      upstream_id: u
      plugins:
        cors: {allow_origins: "https://a.example"}
"""


def run(box: Sandbox, *args: str) -> Result:
    env = {"HYDRA_ADMIN_URL": box.hydra_admin_url, "APISIX_ADMIN_URL": box.apisix_admin_url,
           "APISIX_ADMIN_KEY": box.apisix_admin_key, "RECONCILE_CACHE": "off", "NO_COLOR": "1"}
    return CliRunner().invoke(cli, list(args), env=env)


def test_plan_shows_scope_as_written_and_removed_values(box: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(STATE)
    assert run(box, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    (tmp_path / "s.yaml").write_text(STATE.replace("openid admin offline", "openid offline")
                                     .replace('cors: {allow_origins: "https://a.example"}', "cors: {}"))
    plan = run(box, "plan", str(tmp_path))
    assert plan.exit_code == 0, plan.output
    assert '      ~ scope: "openid admin offline" -> "openid offline"\n' in plan.stdout
    assert '      - plugins.cors.allow_origins: "https://a.example"\n' in plan.stdout
    markdown = run(box, "plan", str(tmp_path), "--output", "markdown").stdout
    assert '- plugins.cors.allow_origins: "https://a.example"' in markdown
    drift = run(box, "drift", str(tmp_path))
    assert '~ scope: live "openid admin offline", Git "openid offline"' in drift.stdout
    # only the order differs: no change at all
    (tmp_path / "s.yaml").write_text(STATE.replace("openid admin offline", "offline openid admin"))
    again = run(box, "plan", str(tmp_path), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_an_adopted_client_shows_the_marker_it_gets_as_an_upstream_does(box: Sandbox, tmp_path: Path) -> None:
    httpx.post(f"{box.hydra_admin_url}/admin/clients",
               json={"client_id": "c2", "grant_types": ["client_credentials"], "scope": "a"}).raise_for_status()
    httpx.put(f"{box.apisix_admin_url}/apisix/admin/upstreams/u2", headers={"X-API-KEY": box.apisix_admin_key},
              json={"nodes": {"127.0.0.1:8080": 1}}).raise_for_status()
    (tmp_path / "s.yaml").write_text("hydra:\n  clients:\n    - client_id: c2\n      grant_types: [client_credentials]\n"
                                     "      scope: a\napisix:\n  upstreams:\n    - id: u2\n"
                                     "      nodes: {'127.0.0.1:8080': 1}\n")
    plan = run(box, "plan", str(tmp_path), "--adopt")
    assert plan.exit_code == 0, plan.output
    assert ('  ~ oauth2_client.c2 (adopted)\n      + metadata.reconcile.labels: {"managed-by": "reconcile"}\n'
            in plan.stdout)
    assert '  ~ upstream.u2 (adopted)\n      + labels: {"managed-by": "reconcile"}\n' in plan.stdout


def test_top_level_help_shows_whole_descriptions() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=80)
    assert result.exit_code == 0
    assert "..." not in result.stdout.split("Commands:")[1]
    assert "`reconcile plan --out`)" in result.stdout
    assert "without any network call." in result.stdout


def test_applying_an_empty_saved_plan_says_so(box: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(STATE)
    assert run(box, "apply", str(tmp_path), "--auto-approve").exit_code == 0
    saved = tmp_path.parent / f"{tmp_path.name}-plan.json"
    assert run(box, "plan", str(tmp_path), "--out", str(saved)).exit_code == 0
    applied = run(box, "apply", str(saved))
    assert applied.exit_code == 0, applied.output
    assert applied.stdout == "No changes. The saved plan holds nothing to apply.\n"
