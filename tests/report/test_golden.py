"""Golden renderings of hand-built plans and apply results, one directory per case.

``UPDATE_GOLDEN=1 .venv/bin/pytest tests/report`` rewrites the files; review their diff like code.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.report import render_apply_result, render_plan

from .cases import APPLY_CASES, PLAN_CASES, apply_result_from_dict, plan_from_dict

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "report"
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in {"", "0"}
SUFFIX = {"text": "txt", "json": "json", "markdown": "md"}


def _check(path: Path, actual: str) -> None:
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 .venv/bin/pytest tests/report"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path} differs from the rendering; if intended, rerun with UPDATE_GOLDEN=1"


@pytest.mark.parametrize("fmt", list(SUFFIX))
@pytest.mark.parametrize("case", list(PLAN_CASES))
def test_plan_golden(case: str, fmt: str) -> None:
    plan = plan_from_dict(PLAN_CASES[case])
    _check(GOLDEN / case / f"plan.{SUFFIX[fmt]}", render_plan(plan, fmt))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", list(SUFFIX))
@pytest.mark.parametrize("case", list(APPLY_CASES))
def test_apply_golden(case: str, fmt: str) -> None:
    result = apply_result_from_dict(APPLY_CASES[case])
    _check(GOLDEN / case / f"apply.{SUFFIX[fmt]}", render_apply_result(result, fmt))  # type: ignore[arg-type]


def test_every_golden_file_belongs_to_a_case() -> None:
    """A renamed or removed case must not leave a stale golden file behind."""
    cases = set(PLAN_CASES) | set(APPLY_CASES)
    stale = [p for p in GOLDEN.iterdir() if p.is_dir() and p.name not in cases]
    assert not stale
    assert {p.name for p in GOLDEN.iterdir() if p.is_dir()} == cases
