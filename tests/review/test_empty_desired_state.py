"""A desired-state folder with no ``hydra:`` or ``apisix:`` section (a mistyped path, a checkout
that lacks the files) compared nothing and still said "No changes. Live state matches the
desired state." with exit 0: a CI plan or a drift check went green without reading a server."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli


@pytest.mark.parametrize("command", ["plan", "drift", "apply"])
def test_a_state_that_declares_nothing_is_an_error(tmp_path: Path, command: str) -> None:
    (tmp_path / "README.md").write_text("no YAML here\n")
    result = CliRunner().invoke(cli, [command, str(tmp_path)], env={"RECONCILE_CACHE": "off"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 1
    assert "Live state matches" not in result.stdout
    assert "declares nothing" in result.stderr, result.stderr
