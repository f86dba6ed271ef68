"""A wrong or missing APISIX admin key: the user saw only ``HTTP 401: failed to check token``,
with no word on which setting to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox


@pytest.mark.parametrize(("key", "hint"), [("wrong-key", "the APISIX admin key was refused"),
                                           ("", "no APISIX admin key was given")])
def test_a_refused_key_names_the_setting(box: Sandbox, tmp_path: Path, key: str, hint: str) -> None:
    (tmp_path / "s.yaml").write_text("apisix:\n  upstreams: []\n")
    env = {"APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": key, "RECONCILE_CACHE": "off"}
    result = CliRunner().invoke(cli, ["plan", str(tmp_path)], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "HTTP 401" in result.stderr
    assert hint in result.stderr and "APISIX_ADMIN_KEY" in result.stderr, result.stderr
    assert "wrong-key" not in result.stderr
