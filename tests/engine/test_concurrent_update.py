"""Hydra's "concurrent update" 400 (its database refused a transaction that raced another, seen on
real Hydra with SQLite under concurrent deletes) is retried; any other 400 is not."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

RACE = {"error": "Unable to serialize access due to a concurrent update in another session",
        "error_description": ""}
STATE = """
hydra:
  clients:
{clients}
"""


def run(sandbox: Sandbox, path: Path, *args: str) -> tuple[int, str]:
    env = {"HYDRA_ADMIN_URL": sandbox.hydra_admin_url}
    result = CliRunner().invoke(cli, [*args, str(path)], env=env)
    return result.exit_code, result.output


def write(path: Path, ids: list[str]) -> None:
    clients = "\n".join(f"    - {{client_id: {i}, scope: read, grant_types: [client_credentials]}}" for i in ids)
    (path / "state.yaml").write_text(STATE.format(clients=clients))


def test_a_raced_write_or_delete_is_retried_until_it_lands(sandbox: Sandbox, tmp_path: Path) -> None:
    faults = sandbox.hydra_faults
    assert faults is not None
    write(tmp_path, ["a", "b", "c"])
    # nth=2: the first POST creates the apply lease (reconciler.run.lease), the second a client.
    faults.add("status", method="POST", path="/admin/clients", nth=2, status=400, body=RACE)
    code, output = run(sandbox, tmp_path, "apply", "--auto-approve")
    assert code == 0, output
    assert "3 applied, 0 failed" in output
    write(tmp_path, ["a"])
    faults.add("status", method="DELETE", path="/admin/clients/b", nth=1, status=400, body=RACE)
    code, output = run(sandbox, tmp_path, "apply", "--auto-approve", "--prune")
    assert code == 0, output
    assert "2 applied, 0 failed" in output
    assert faults.counts["status"] == 2
    code, output = run(sandbox, tmp_path, "plan", "--detailed-exitcode", "--prune")
    assert code == 0, output


def test_another_400_is_not_retried(sandbox: Sandbox, tmp_path: Path) -> None:
    faults = sandbox.hydra_faults
    assert faults is not None
    write(tmp_path, ["a"])
    rule = faults.add("status", method="POST", path="/admin/clients", nth=1, status=400,
                      body={"error": "invalid_client_metadata", "error_description": "no"})
    code, output = run(sandbox, tmp_path, "apply", "--auto-approve")
    assert code == 1, output
    assert "invalid_client_metadata" in output
    assert rule.seen == 1
