"""Fixtures of the reliability suite: a desired state on disk, the CLI in process, counting servers.

Every test here drives ``reconcile`` as an operator would and checks what a hostile input or a
broken server must never cause: a traceback, a write, a request when the input was bad, or a
secret in any byte written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

from .servers import Scripted, Seen, json_answer, serve

#: Mixed into every secret of these tests; it must never appear in any output.
CANARY = "canary-rel-5e1f0d-never-print"


@dataclass
class Outcome:
    """What one ``reconcile`` invocation did."""

    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def everything(self) -> str:
        """Every byte the run wrote, and its exception text (for leak checks)."""
        return "\n".join([self.stdout, self.stderr, repr(self.exception), str(self.exception)])


def run(*args: str, env: dict[str, str] | None = None) -> Outcome:
    """``reconcile ARGS`` in process, with the load cache off and colours off."""
    full_env = {"RECONCILE_CACHE": "off", "NO_COLOR": "1", "APISIX_ADMIN_KEY": f"admin-{CANARY}", **(env or {})}
    result = CliRunner().invoke(cli, list(args), env=full_env, catch_exceptions=True)
    exc = result.exception if not isinstance(result.exception, SystemExit) else None
    return Outcome(result.exit_code, result.stdout, result.stderr, exc)


@pytest.fixture
def counting() -> Iterator[Scripted]:
    """A server that answers 500 to everything and counts what it got: bad input must send nothing."""
    def script(_: Seen) -> tuple[int, dict[str, str], list[bytes | float]]:
        return json_answer(b'{"error_msg":"this server should never be asked"}', 500)
    yield from serve(script)


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """An empty directory for a desired state."""
    path = tmp_path / "desired"
    path.mkdir()
    return path
