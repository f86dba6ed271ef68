"""Start-up: ``reconcile --version``/``--help`` import no command, and each command imports only
what it uses (the sandbox, jsonschema and deepdiff load only when used).

Each check runs in a fresh interpreter, because this test process has long imported everything.
Times are not asserted (the machine is shared); which modules a run imports is, and it is what
start-up time follows.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from reconciler.cli import cli
from reconciler.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pydantic", "httpx", "aiohttp", "jsonschema", "deepdiff", "yaml", "cryptography", "reconciler.sandbox",
         "reconciler.run", "reconciler.state.models")

_PROBE = """
import json, sys
from reconciler.cli import cli
try:
    cli(sys.argv[1:], prog_name="reconcile", standalone_mode=False)
except SystemExit:
    pass
print("\\n" + json.dumps(sorted(sys.modules)))
"""


def imported_by(*argv: str, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE, *argv], cwd=ROOT, capture_output=True, text=True,
                          check=True, env=env, timeout=120)
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def heavy(modules: set[str]) -> set[str]:
    return {name for name in modules if any(name == h or name.startswith(h + ".") for h in HEAVY)}


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["plan", "--help"]])
def test_version_and_help_import_nothing_heavy(argv: list[str]) -> None:
    modules = imported_by(*argv)
    if argv == ["plan", "--help"]:  # the command's module is imported, and with it the engine, not the sandbox
        assert "reconciler.commands.plan" in modules
        assert not heavy(modules) & {"jsonschema", "deepdiff", "reconciler.sandbox"}
        return
    assert heavy(modules) == set()
    assert not any(name.startswith("reconciler.commands.") for name in modules)


def test_validate_loads_neither_the_network_stack_nor_the_sandbox(tmp_path: Path) -> None:
    (tmp_path / "routes.yaml").write_text("apisix:\n  upstreams:\n    - id: u1\n      nodes: {'10.0.0.1:80': 1}\n")
    modules = imported_by("validate", str(tmp_path))
    assert "reconciler.commands.validate" in modules
    assert "reconciler.state.models" in heavy(modules)  # it did validate
    for name in ("httpx", "aiohttp", "jsonschema", "deepdiff", "reconciler.sandbox", "reconciler.run"):
        assert name not in modules


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_listed_summary_is_the_commands_own(name: str) -> None:
    entry = COMMANDS[name]
    command = getattr(importlib.import_module(entry.module), entry.attribute)
    assert isinstance(command, click.Command)
    assert command.name == name
    assert entry.summary == (command.help or "").split("\n\n")[0].strip()


def test_help_lists_every_command_in_order() -> None:
    lines = click.testing.CliRunner().invoke(cli, ["--help"]).output.split("Commands:")[1].splitlines()
    names = [line.split()[0] for line in lines if line.startswith("  ") and not line.startswith("    ")]
    assert names == sorted(COMMANDS)
