"""Exit codes CI can trust: every usage error exits 1; 2 means only "changes" (plan) or "drift".

The plan workflow maps exit 2 to ``changes=true``, so a mistyped flag that exited 2 (click's own
code for usage errors) gave a green job.  Every sub-command, including ones added later, is run
with an unknown flag; the cases users hit are run through the installed entry point.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

REPO = Path(__file__).parents[2]


def _walk(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path, through the group's own (lazy) lookup."""
    ctx = click.Context(group)
    paths: list[tuple[str, ...]] = []
    for name in group.list_commands(ctx):  # the group loads its sub-commands lazily
        command = group.get_command(ctx, name)
        assert command is not None
        paths.append((*prefix, name))
        if isinstance(command, click.Group):
            paths.extend(_walk(command, (*prefix, name)))
    return paths


COMMANDS = _walk(cli)


def test_every_command_is_covered() -> None:
    assert {"validate", "plan", "apply", "drift", "dump", "schema", "sandbox"} <= {p[0] for p in COMMANDS}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_an_unknown_flag_exits_1(command: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*command, "--no-such-flag"])
    assert result.exit_code == 1, result.output
    assert "No such option: --no-such-flag" in result.stderr or "No such option '--no-such-flag'" in result.stderr


@pytest.mark.parametrize("args", [[], ["no-such-command"], ["--no-such-flag"]], ids=repr)
def test_group_usage_errors_exit_1(args: list[str]) -> None:
    assert CliRunner().invoke(cli, args).exit_code == 1


def test_help_and_version_exit_0() -> None:
    assert CliRunner().invoke(cli, ["--help"]).exit_code == 0
    assert CliRunner().invoke(cli, ["--version"]).exit_code == 0
    assert CliRunner().invoke(cli, ["plan", "--help"]).exit_code == 0


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "reconciler", *args], cwd=REPO, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=60, check=False,
                          env={**os.environ, "RECONCILE_CACHE": "off", **(env or {})})


@pytest.mark.parametrize("args, message", [
    (["plan", "desired-state", "--detailed-exitcode", "--output", "yaml"], "'yaml' is not one of"),
    (["plan", "desired-state", "--selector", "team"], "expected key=value"),
    (["drift", "desired-state", "--ouput", "markdown"], "No such option"),
], ids=["bad-choice", "selector-without-equals", "mistyped-flag"])
def test_the_reported_usage_errors_exit_1(args: list[str], message: str) -> None:
    done = _run(*args)
    assert done.returncode == 1, done.stderr
    assert message in done.stderr


def test_apply_off_a_terminal_without_auto_approve_exits_1(box: Sandbox, tmp_path: Path) -> None:
    """The question is asked only when there are changes, so a real plan with changes is needed."""
    (tmp_path / "s.yaml").write_text("apisix:\n  upstreams:\n    - id: web\n      nodes: {'127.0.0.1:8080': 1}\n")
    done = _run("apply", str(tmp_path), env={"APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": box.apisix_admin_key})
    assert done.returncode == 1, done.stderr
    assert "needs --auto-approve" in done.stderr
