"""``reconcile validate`` and ``reconcile schema`` through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.schema_gen import SCHEMA_FILE, render

REPO = Path(__file__).parents[2]


def test_validate_seed_scenario(monkeypatch: pytest.MonkeyPatch, seed_env: dict[str, str], no_network: Any) -> None:
    monkeypatch.chdir(REPO)
    for name, value in seed_env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "2 files, 3 objects: valid (oauth2_client: 1, upstream: 1, route: 1)\n"
    assert result.stderr == ""
    assert no_network.attempts == []


def test_validate_without_the_secrets_names_the_missing_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("PHOTO_BACKUP_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("PHOTO_BACKUP_SESSION_SECRET", raising=False)
    result = CliRunner().invoke(cli, ["validate", "desired-state", "--require-secrets"])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1] == "2 problem(s) found"
    assert "environment variable 'PHOTO_BACKUP_CLIENT_SECRET' is not set" in lines[1]
    assert lines[0].startswith("desired-state/apisix-routes.yaml:")


def test_validate_never_prints_secret_values(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "hydra:\n  clients:\n    - {client_id: c, scope: openid, client_secret: '${env:S}'}\n"
    )
    monkeypatch.setenv("S", "abc")  # too short: the message must not quote it
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "abc" not in result.output
    assert "client_secret" in result.stderr


def test_schema_writes_then_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = (tmp_path / SCHEMA_FILE).read_text()
    assert written == render()
    schema = json.loads(written)
    assert set(schema["properties"]) == {"hydra", "apisix"}
    assert schema["additionalProperties"] is False
    assert runner.invoke(cli, ["schema", "--out", str(tmp_path), "--check"]).exit_code == 0


def test_schema_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    (tmp_path / SCHEMA_FILE).write_text("{}\n")
    result = CliRunner().invoke(cli, ["schema", "--out", str(tmp_path), "--check"])
    assert result.exit_code == 1
    assert "stale or missing" in result.stderr
    assert (tmp_path / SCHEMA_FILE).read_text() == "{}\n"


def test_committed_examples_carry_the_schema_modeline() -> None:
    files = sorted((REPO / "desired-state").glob("*.yaml")) + sorted((REPO / "examples/rich").glob("*.yaml"))
    assert files
    for path in files:
        assert path.read_text().startswith("# yaml-language-server: $schema="), path
