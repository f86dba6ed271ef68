"""A wrong or missing APISIX admin key: the user saw only ``HTTP 401: failed to check token``,
with no word on which setting to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox


def test_a_refused_key_names_the_setting(box: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("apisix:\n  upstreams: []\n")
    env = {"APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": "wrong-key", "RECONCILE_CACHE": "off"}
    result = CliRunner().invoke(cli, ["plan", str(tmp_path)], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "HTTP 401" in result.stderr
    assert "the APISIX admin key was refused" in result.stderr and "APISIX_ADMIN_KEY" in result.stderr, result.stderr
    assert "wrong-key" not in result.stderr


@pytest.mark.parametrize("command", ["plan", "apply", "drift"])
def test_a_missing_key_is_noticed_before_any_request(box: Sandbox, tmp_path: Path, command: str) -> None:
    (tmp_path / "s.yaml").write_text("apisix:\n  upstreams: []\n")
    env = {"APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": "", "RECONCILE_CACHE": "off"}
    watch = box.apisix_faults.add("latency", path="/apisix/admin", delay=0.0)  # sees every admin request
    result = CliRunner().invoke(cli, [command, str(tmp_path), "--auto-approve"][: 3 if command == "apply" else 2],
                                env=env)
    assert result.exit_code == 1
    assert "no APISIX admin key was given (APISIX_ADMIN_KEY or --apisix-admin-key-file); nothing was contacted" \
        in result.stderr, result.stderr
    assert "HTTP 401" not in result.stderr
    assert watch.seen == 0
