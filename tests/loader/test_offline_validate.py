"""``reconcile validate`` without secret values: references checked for form and place, values
checked only where they are set (or everywhere with ``--require-secrets``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli

STATE = """\
hydra:
  issuer: http://127.0.0.1:4444/
  clients:
    - client_id: web
      client_secret: ${env:WEB_SECRET}
      grant_types: [authorization_code]
      response_types: [code]
      scope: openid
      redirect_uris: [http://127.0.0.1:9080/callback]
      authorization_code_grant_access_token_lifespan: ${file:lifespan.txt}
apisix:
  routes:
    - id: web
      uri: /*
      upstream: {nodes: {"127.0.0.1:8080": 1}}
      plugins:
        openid-connect:
          client: web
          bearer_only: false
          redirect_uri: http://127.0.0.1:9080/callback
          session: {secret: "${env:SESSION_SECRET}"}
"""


def validate(tmp_path: Path, text: str, *args: str, **env: str) -> Result:
    (tmp_path / "state.yaml").write_text(text)
    clean = {"WEB_SECRET": None, "SESSION_SECRET": None, "RECONCILE_CACHE": "off", **env}
    return CliRunner().invoke(cli, ["validate", str(tmp_path / "state.yaml"), *args], env=clean)


def test_missing_values_are_accepted_and_named(tmp_path: Path, no_network: Any) -> None:
    result = validate(tmp_path, STATE)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "1 file, 2 objects: valid (oauth2_client: 1, route: 1)",
        "3 secret references without a value here, checked without it: env:SESSION_SECRET, env:WEB_SECRET, "
        "file:lifespan.txt (--require-secrets checks the values)",
    ]
    assert no_network.attempts == []


def test_require_secrets_wants_every_value(tmp_path: Path) -> None:
    result = validate(tmp_path, STATE, "--require-secrets")
    assert result.exit_code == 1
    assert "environment variable 'WEB_SECRET' is not set" in result.stderr
    assert "environment variable 'SESSION_SECRET' is not set" in result.stderr
    assert "cannot read 'lifespan.txt'" in result.stderr
    assert result.stderr.splitlines()[-1] == "3 problem(s) found"


def test_values_that_are_set_are_checked(tmp_path: Path) -> None:
    result = validate(tmp_path, STATE, WEB_SECRET="abc", SESSION_SECRET="too-short")
    assert result.exit_code == 1
    assert "hydra.clients[0].client_secret: String should have at least 6 characters" in result.stderr
    assert "session.secret: String should have at least 16 characters" in result.stderr
    assert "too-short" not in result.output


def test_a_complete_state_with_every_value_is_valid(tmp_path: Path) -> None:
    (tmp_path / "lifespan.txt").write_text("1h\n")
    result = validate(tmp_path, STATE, "--require-secrets", WEB_SECRET="a-web-secret", SESSION_SECRET="s" * 20)
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1


@pytest.mark.parametrize("line, message", [
    ("session: {secret: \"${nope:SESSION_SECRET}\"}", "bad reference '${nope:SESSION_SECRET}'"),
    ("session: {secret: \"${env:SESSION_SECRET\"}", "unterminated '${'"),
    ("session: {secret: \"${var:session}\"}", "variable 'session' is not defined"),
], ids=["unknown-source", "unterminated", "var-still-required"])
def test_references_are_checked_for_form(tmp_path: Path, line: str, message: str) -> None:
    text = STATE.replace('session: {secret: "${env:SESSION_SECRET}"}', line)
    result = validate(tmp_path, text)
    assert result.exit_code == 1
    assert message in result.stderr


def test_a_reference_where_no_string_goes_is_refused(tmp_path: Path) -> None:
    """A reference always gives a string: in an integer or boolean field it can never be valid."""
    text = STATE.replace("bearer_only: false", "bearer_only: ${env:BEARER_ONLY}")
    result = validate(tmp_path, text)
    assert result.exit_code == 1
    assert "openid-connect.bearer_only: must be true or false" in result.stderr


def test_plan_never_runs_on_missing_values(tmp_path: Path) -> None:
    (tmp_path / "state.yaml").write_text(STATE)
    result = CliRunner().invoke(cli, ["plan", str(tmp_path / "state.yaml")],
                                env={"WEB_SECRET": None, "SESSION_SECRET": None, "RECONCILE_CACHE": "off",
                                     "HYDRA_ADMIN_URL": "http://127.0.0.1:9", "APISIX_ADMIN_URL": "http://127.0.0.1:9"})
    assert result.exit_code == 1
    assert "environment variable 'WEB_SECRET' is not set" in result.stderr
    assert "nothing was contacted" in result.stderr
