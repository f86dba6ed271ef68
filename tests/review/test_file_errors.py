"""Files the user names on the command line that cannot be read or written: one line and exit
code, never a traceback (a ``FileNotFoundError`` traceback came out after the plan was shown)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

STATE = "hydra:\n  clients:\n    - client_id: c\n      grant_types: [client_credentials]\n      scope: read\n"


def invoke(*args: str, env: dict[str, str]) -> Result:
    result = CliRunner().invoke(cli, list(args), env={**env, "RECONCILE_CACHE": "off"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def test_a_missing_admin_key_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("apisix:\n  upstreams: []\n")
    result = invoke("plan", "--apisix-admin-key-file", str(tmp_path / "missing.key"), str(tmp_path),
                    env={"APISIX_ADMIN_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 1
    assert "--apisix-admin-key-file" in result.stderr and "missing.key" in result.stderr


def test_a_plan_file_that_cannot_be_written_is_one_error(box: Sandbox, tmp_path: Path) -> None:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "s.yaml").write_text(STATE)
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    result = invoke("plan", "--out", str(blocker / "plan.json"), str(desired),
                    env={"HYDRA_ADMIN_URL": box.hydra_admin_url})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "plan.json" in result.stderr, result.stderr


def test_a_dump_folder_that_cannot_be_written_is_one_error(box: Sandbox, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    result = invoke("dump", "--system", "hydra", "--out", str(blocker / "dump"),
                    env={"HYDRA_ADMIN_URL": box.hydra_admin_url})
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot write the dump to "), result.stderr
