"""The fast validity check of plugin configs never accepts what jsonschema refuses.

``schemacheck`` answers "valid?" with fastjsonschema and asks jsonschema only about a config the
fast check refuses, so a plan is only as strict as the fast check.  This differential test puts
both to every plugin schema the APISIX emulator serves (3.18 and 3.13), with the benchmark's
plugin configs and, for each schema property, values of every JSON type in its place: wherever
fastjsonschema says valid, jsonschema must say valid too.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from jsonschema import Draft7Validator

from benchmarks.generate import _extra_plugin
from reconciler.plan import defaults
from reconciler.plan.schemacheck import _Check
from reconciler.sandbox.apisix import ApisixEmulator

SAMPLES: list[Any] = [None, True, 0, 7, -1, 2.5, "", "x", "remote_addr", [], ["a"], [1], {}, {"a": 1}]


def _cases(schema: dict[str, Any], name: str) -> list[Any]:
    rng = random.Random(name)
    base: list[Any] = [{}]
    if name in ("proxy-rewrite", "limit-count", "cors", "request-id", "prometheus", "ip-restriction"):
        base.append(_extra_plugin(name, rng, 3, "payments"))
    cases = [defaults.fill(schema, b) for b in base]
    for prop in schema.get("properties", {}):
        for sample in SAMPLES:
            for b in base:
                cases.append(defaults.fill(schema, {**b, prop: sample}))
    return cases


@pytest.mark.parametrize("version", ["3.18.0", "3.13.0"])
def test_fast_check_is_never_looser_than_jsonschema(version: str) -> None:
    emu = ApisixEmulator(version)
    checked = refused = 0
    for name in emu.plugins.names_by_priority():
        for stype in ("main", "consumer", "metadata"):
            schema = emu.plugin_schema(name, stype)
            if not isinstance(schema, dict):
                continue
            check = _Check(schema)
            slow = Draft7Validator({k: v for k, v in schema.items() if k not in ("encrypt_fields", "$comment")})
            for case in _cases(schema, name):
                checked += 1
                fast_ok = check.fast is not None and _passes(check, case)
                if fast_ok:
                    assert slow.is_valid(case), f"{name} ({stype}): fast check accepted {case!r}"
                else:
                    refused += 1
                assert (check.errors(case) == []) == slow.is_valid(case)
    assert checked > 1000 and refused > 100  # the cases do exercise both answers


def _passes(check: _Check, case: Any) -> bool:
    assert check.fast is not None
    try:
        check.fast(case)
    except Exception:
        return False
    return True
