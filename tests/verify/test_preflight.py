"""verify with no ``hydra.issuer`` reads the issuer from the discovery document of the Hydra public
URL, as a best effort: a URL whose discovery document does not load must end in failed checks that
say so (exit 1), not in an uncaught exception."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

DESIRED = """\
hydra:
  clients:
    - client_id: web
      client_secret: ${env:WEB_SECRET}
      scope: openid
      grant_types: [client_credentials]
      token_endpoint_auth_method: client_secret_basic
"""


def test_a_public_url_without_discovery_fails_the_checks(tmp_path: Path) -> None:
    (tmp_path / "hydra.yaml").write_text(DESIRED)
    with Sandbox() as box:
        env = {"HYDRA_ADMIN_URL": box.hydra_admin_url, "NO_COLOR": "1", "WEB_SECRET": "web-secret-123456"}
        applied = CliRunner().invoke(cli, ["apply", "--auto-approve", str(tmp_path)], env=env)
        assert applied.exit_code == 0, applied.output
        # APISIX's admin API answers, but serves no discovery document and no token endpoint
        ran = CliRunner().invoke(cli, ["verify", "--hydra-public-url", box.apisix_admin_url, str(tmp_path)],
                                 env=env, catch_exceptions=False)
    assert ran.exit_code == 1, ran.output
    assert "FAIL oauth2_client.web [client_secret]" in ran.output
    assert "step token: unexpected answer from the token endpoint" in ran.output
    assert "web-secret-123456" not in ran.output
