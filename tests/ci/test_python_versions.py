"""The package claims ``requires-python >=3.11``; CI must run the suite on that floor and on 3.13.

``.github/workflows/ci.yml`` runs it in a matrix; ``.ci/run`` (this machine's CI) runs
``make test`` on 3.11 and ``make test-py313`` in a second venv.
"""

from __future__ import annotations

import re
import tomllib

import yaml
from yamllint import linter
from yamllint.config import YamlLintConfig

from .templates import ROOT

CI = ROOT / ".github" / "workflows" / "ci.yml"


def _floor() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    match = re.fullmatch(r">=\s*(3\.\d+)", project["requires-python"])
    assert match, project["requires-python"]
    return match.group(1)


def test_the_github_matrix_covers_the_claimed_floor_and_3_13() -> None:
    workflow = yaml.safe_load(CI.read_text())
    versions = workflow["jobs"]["test"]["strategy"]["matrix"]["python-version"]
    assert _floor() in versions and "3.13" in versions, versions
    steps = workflow["jobs"]["test"]["steps"]
    assert any("${{ matrix.python-version }}" in str(s.get("with", {}).get("python-version")) for s in steps)
    assert any("make test" in s.get("run", "") for s in steps)


def test_the_local_ci_runs_a_second_interpreter() -> None:
    assert "make test-py313" in (ROOT / ".ci" / "run").read_text()
    makefile = (ROOT / "Makefile").read_text()
    target = makefile.split("\ntest-py313:", 1)[1].split("\n\n", 1)[0]
    assert "(3, 13)" in target and "pytest" in target


def test_ci_workflow_is_yamllint_clean() -> None:
    conf = YamlLintConfig(file=str(ROOT / "tests" / "ci" / "yamllint.yaml"))
    assert [f"{p.line}:{p.column} {p.desc}" for p in linter.run(CI.read_text(), conf)] == []
