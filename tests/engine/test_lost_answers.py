"""Writes whose answer is lost after the server acted on them: the POST of a Hydra client is
not blindly retried (which would give 409), a GET decides, and a re-plan is empty."""

from __future__ import annotations

from pathlib import Path

import httpx
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

STATE = """
hydra:
  clients:
    - client_id: lost-answer
      client_secret: ${env:LOST_ANSWER_SECRET}
      grant_types: [client_credentials]
      scope: read
apisix:
  upstreams:
    - id: web
      nodes: {"127.0.0.1:8080": 1}
"""


def run(sandbox: Sandbox, *args: str) -> tuple[int, str]:
    env = {"HYDRA_ADMIN_URL": sandbox.hydra_admin_url, "APISIX_ADMIN_URL": sandbox.apisix_admin_url,
           "APISIX_ADMIN_KEY": sandbox.apisix_admin_key, "LOST_ANSWER_SECRET": "lost-answer-secret-1"}
    result = CliRunner().invoke(cli, list(args), env=env)
    return result.exit_code, result.output


def test_a_post_whose_answer_was_lost_is_checked_not_repeated(sandbox: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "state.yaml").write_text(STATE)
    assert sandbox.hydra_faults is not None
    # nth=2: the first POST creates the apply lease (reconciler.run.lease), the second the client.
    sandbox.hydra_faults.add("reset_after", method="POST", path="/admin/clients", nth=2)
    posts = sandbox.hydra_faults.add("latency", method="POST", path="/admin/clients", delay=0)  # counts only
    checks = sandbox.hydra_faults.add("latency", method="GET", path="/admin/clients/lost-answer", delay=0)
    sandbox.apisix_faults.add("reset_after", method="PUT", path="/apisix/admin/upstreams/web", nth=1)
    code, output = run(sandbox, "apply", str(tmp_path), "--auto-approve")
    assert code == 0, output
    assert "2 applied, 0 failed" in output
    assert sandbox.hydra_faults.counts["reset_after"] == 1
    assert posts.seen == 2, "the POST was repeated instead of checked"  # the lease's and the client's
    assert checks.seen == 1, "no GET checked whether the lost POST had landed"
    assert sandbox.apisix_faults.counts == {"reset_after": 1}
    code, output = run(sandbox, "plan", str(tmp_path), "--detailed-exitcode")
    assert code == 0, output
    token = httpx.post(f"{sandbox.hydra_public_url}/oauth2/token", data={"grant_type": "client_credentials"},
                       auth=("lost-answer", "lost-answer-secret-1"))
    assert token.status_code == 200, token.text
