"""Pruning a consumer that has credentials: one DELETE, and no DELETE of credentials that went with it.

Real APISIX removes a consumer's credentials together with the consumer (``apisix/admin/resource.lua``
``_M:delete`` runs ``etcd.rmdir(<consumer>/credentials/)``; ``t/admin/credentials.t`` TEST 12-13), so
a later ``DELETE .../credentials/{id}`` is a 404.  ADC's sync fails on exactly that; our plan must
never schedule it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import Stage, make_stage


def state(consumers: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apisix": {"upstreams": [{"id": "keep-up", "nodes": {"127.0.0.1:8100": 1}}], "consumers": consumers}}


JACK = {"username": "jack", "plugins": {"limit-count": {"count": 5, "time_window": 60}},
        "credentials": [{"id": "jack-key", "plugins": {"key-auth": {"key": "jack-secret-key-1"}}},
                        {"id": "jack-basic", "plugins": {"basic-auth": {"username": "jack",
                                                                        "password": "jack-pass-1"}}}]}
JILL = {"username": "jill", "credentials": [{"id": "jill-key", "plugins": {"key-auth": {"key": "jill-key-1"}}}]}


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    for stage in make_stage(tmp_path, with_extras=False):
        for old in stage.path.glob("*.yaml"):
            old.unlink()
        yield stage


def write(stage: Stage, doc: dict[str, Any]) -> None:
    (stage.path / "consumers.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def test_prune_deletes_a_consumer_with_credentials(stage: Stage) -> None:
    write(stage, state([JACK, JILL]))
    stage.must("apply", "--auto-approve")
    assert stage.apisix("GET", "/consumers/jack/credentials").json()["total"] == 2
    write(stage, state([JILL]))
    plan = json.loads(stage.must("plan", "--prune", "--detailed-exitcode", "--output", "json", code=2).stdout)
    assert [(c["action"], c["address"]) for c in plan["changes"] if c["action"] != "noop"] == \
        [("delete", "consumer.jack")]
    out = stage.must("apply", "--auto-approve", "--prune")
    assert "error" not in out.stderr.lower(), out.stderr
    assert stage.apisix("GET", "/consumers/jack").status_code == 404
    assert stage.apisix("GET", "/consumers/jack/credentials/jack-key").status_code == 404
    assert stage.apisix("GET", "/consumers/jill/credentials/jill-key").status_code == 200
    again = json.loads(stage.must("plan", "--prune", "--detailed-exitcode", "--output", "json").stdout)
    assert [c for c in again["changes"] if c["action"] != "noop"] == []
