"""Ownership labels go into every APISIX object's ``labels``, whose values APISIX accepts only as
1..256 characters without whitespace (spec §4.1).  A selector or owner label breaking that rule
passed the plan and failed every write halfway through apply; it is now a usage error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli


@pytest.mark.parametrize("option", [("--selector", "team=a b"), ("--owner-label", "managed-by=re concile"),
                                    ("--selector", "team=" + "x" * 257)])
def test_a_label_apisix_would_refuse_is_a_usage_error(tmp_path: Path, option: tuple[str, str]) -> None:
    (tmp_path / "s.yaml").write_text("apisix:\n  upstreams: []\n")
    result = CliRunner().invoke(cli, ["plan", *option, str(tmp_path)],
                                env={"APISIX_ADMIN_URL": "http://127.0.0.1:9", "RECONCILE_CACHE": "off"})
    assert result.exit_code == 1, result.output
    assert "label value" in result.stderr
