"""Golden plans of the whole pure pipeline: desired.yaml + live.json -> plan.txt, plan.json, plan.md.

``UPDATE_GOLDEN=1 .venv/bin/pytest tests/engine/test_golden.py`` rewrites the outputs; review
their diff like code.  The inputs were recorded from the sandbox and then edited by hand to
show drift, other teams' objects and incomplete reads (each case's options.json says what).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reconciler.report import render_plan

from .golden_io import plan_case

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "engine"
UPDATE = os.environ.get("UPDATE_GOLDEN", "") not in {"", "0"}
SUFFIX = {"text": "txt", "json": "json", "markdown": "md"}
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "desired.yaml").exists())


def test_there_are_cases() -> None:
    assert len(CASES) >= 6, CASES


@pytest.mark.parametrize("fmt", list(SUFFIX))
@pytest.mark.parametrize("case", CASES)
def test_plan_golden(case: str, fmt: str) -> None:
    actual = render_plan(plan_case(GOLDEN / case), fmt, color=False)  # type: ignore[arg-type]
    path = GOLDEN / case / f"plan.{SUFFIX[fmt]}"
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path} is missing: run UPDATE_GOLDEN=1 .venv/bin/pytest tests/engine/test_golden.py"
    assert actual == path.read_text(encoding="utf-8"), f"{path} differs; if intended, rerun with UPDATE_GOLDEN=1"


def test_golden_plans_never_show_the_secrets() -> None:
    import json

    for case in CASES:
        secrets = json.loads((GOLDEN / case / "options.json").read_text())["env"].values()
        for path in sorted((GOLDEN / case).glob("plan.*")):
            text = path.read_text()
            assert [s for s in secrets if s in text] == [], f"{path} shows a secret"
