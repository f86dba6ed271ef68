"""``docs/json-output.md`` must describe the documents the renderers really write."""

from __future__ import annotations

import json
import re
from pathlib import Path

from reconciler.report import render_apply_result, render_plan
from reconciler.report.json_out import render_event_json

from .cases import APPLY_CASES, PLAN_CASES, apply_result_from_dict, plan_from_dict

DOC = Path(__file__).resolve().parents[2] / "docs" / "json-output.md"


def _examples() -> dict[str, list[dict]]:
    by_type: dict[str, list[dict]] = {}
    for block in re.findall(r"```json\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S):
        try:
            docs = [json.loads(block)]
        except json.JSONDecodeError:
            docs = [json.loads(line) for line in block.splitlines() if line.strip()]
        for d in docs:
            by_type.setdefault(d["type"], []).append(d)
    return by_type


def test_documented_examples_match_the_renderers() -> None:
    examples = _examples()
    plan = json.loads(render_plan(plan_from_dict(PLAN_CASES["mixed_update"]), "json"))
    apply = json.loads(render_apply_result(apply_result_from_dict(APPLY_CASES["apply_partial_failure"]), "json"))
    event = json.loads(render_event_json(apply_result_from_dict(APPLY_CASES["apply_ok"]).events[0]))
    for real, name in ((plan, "plan"), (apply, "apply_result"), (event, "apply_event")):
        assert name in examples, f"no {name} example in {DOC.name}"
        for example in examples[name]:
            assert list(example) == list(real)
            assert example["format_version"] == real["format_version"]
    assert list(examples["plan"][0]["changes"][0]) == list(plan["changes"][0])
    assert list(examples["plan"][0]["changes"][0]["diff"][0]) == list(plan["changes"][0]["diff"][0])
    assert list(examples["plan"][0]["summary"]) == list(plan["summary"])
    assert list(examples["plan"][0]["unmanaged"][0]) == ["address", "kind", "key", "reason"]
    assert list(examples["apply_result"][0]["events"][0]) == list(apply["events"][0])
    assert list(examples["apply_result"][0]["summary"]) == list(apply["summary"])
