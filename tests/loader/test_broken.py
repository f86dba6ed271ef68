"""The corpus of broken desired states: each case must fail with exactly the expected lines.

Each directory under ``broken/`` is one desired state (``*.yaml``, optional ``*.vars`` var
files) plus ``expected.txt``, the exact ``file:line:column: path: message`` lines.  Every case
also runs with the network refused, to show validation is offline.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.errors import DesiredStateError
from reconciler.load.loader import load_state

BROKEN = Path(__file__).parent / "broken"
CASES = sorted(p for p in BROKEN.iterdir() if p.is_dir())


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert all((case / "expected.txt").is_file() for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_state_reports_exact_problems(
    case: Path, monkeypatch: pytest.MonkeyPatch, no_network: Any, corpus_env: dict[str, str]
) -> None:
    monkeypatch.chdir(case)
    with pytest.raises(DesiredStateError) as caught:
        load_state(Path("."), var_files=sorted(Path(".").glob("*.vars")), env=corpus_env)
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert [str(p) for p in caught.value.problems] == expected
    assert str(caught.value) == "\n".join(expected)
    assert no_network.attempts == []


def test_the_network_guard_really_refuses(no_network: Any) -> None:
    with pytest.raises(OSError, match="offline test"):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(OSError, match="offline test"), socket.socket() as sock:
        sock.connect(("127.0.0.1", 9))
    assert len(no_network.attempts) == 2


def test_validate_command_prints_every_problem_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, no_network: Any, corpus_env: dict[str, str]
) -> None:
    case = BROKEN / "many_problems_at_once"
    monkeypatch.chdir(case)
    for name, value in corpus_env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli, ["validate", "."])
    expected = (case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [*expected, f"{len(expected)} problem(s) found"]
    assert no_network.attempts == []


def test_validate_reads_var_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    case = BROKEN / "missing_var_variable"
    (tmp_path / "prod.yaml").write_text("upstream_name: web-pool\n")
    monkeypatch.chdir(case)
    result = CliRunner().invoke(cli, ["validate", ".", "--var-file", str(tmp_path / "prod.yaml")])
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 file, 1 object: valid (upstream: 1)\n"
