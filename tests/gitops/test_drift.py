"""``reconcile drift`` against the sandbox: each finding kind, the exit codes, and every format."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import CANARY, DESIRED, KEY_CANARY, LEGACY_ROUTE, Edge

pytestmark = pytest.mark.timeout(120)


def drift_json(edge: Edge, *extra: str) -> tuple[int, dict[str, Any]]:
    result = edge.cli("drift", str(edge.desired), "--output", "json", *extra)
    return result.exit_code, json.loads(result.stdout)


def findings(doc: dict[str, Any]) -> dict[str, str]:
    items = doc["findings"]
    assert isinstance(items, list)
    return {f["address"]: f["finding"] for f in items}


def test_in_sync_exits_0(applied: Edge) -> None:
    code, doc = drift_json(applied)
    assert code == 0
    assert doc["format_version"] == "1" and doc["type"] == "drift" and doc["status"] == "in_sync"
    assert doc["findings"] == [] and doc["complete"] is True
    text = applied.cli("drift", str(applied.desired))
    assert text.exit_code == 0 and "No drift" in text.stdout


def test_modified_missing_orphaned_and_unmanaged(edge: Edge) -> None:
    edge.write(DESIRED + LEGACY_ROUTE)
    assert edge.cli("apply", str(edge.desired), "--auto-approve").exit_code == 0
    edge.write(DESIRED)  # legacy: owned, no longer declared
    edge.apisix("PATCH", "/routes/web", json={"desc": "edited by hand"}).raise_for_status()
    edge.hydra("DELETE", "/clients/web-app").raise_for_status()
    edge.apisix("PUT", "/routes/foreign", json={"uri": "/foreign", "upstream_id": "web-backend"}).raise_for_status()

    code, doc = drift_json(edge)
    assert code == 2 and doc["status"] == "drift"
    assert findings(doc) == {"route.web": "modified", "oauth2_client.web-app": "missing",
                             "route.legacy": "orphaned"}
    web = next(f for f in doc["findings"] if f["address"] == "route.web")
    assert web["diff"] == [{"op": "remove", "path": "desc", "old": "edited by hand", "new": None}]

    code, doc = drift_json(edge, "--include-unmanaged")
    assert code == 2
    assert findings(doc)["route.foreign"] == "unmanaged"
    assert doc["summary"] == {"modified": 1, "missing": 1, "orphaned": 1, "unmanaged": 1, "conflict": 0}


def test_drift_is_read_only(applied: Edge) -> None:
    applied.apisix("PATCH", "/routes/web", json={"desc": "edited by hand"}).raise_for_status()
    before = applied.state()
    assert applied.cli("drift", str(applied.desired)).exit_code == 2
    assert applied.state() == before


def test_unowned_declared_object_is_a_conflict_not_a_crash(edge: Edge) -> None:
    edge.apisix("PUT", "/upstreams/web-backend", json={"nodes": {"10.0.0.10:8080": 1}}).raise_for_status()
    code, doc = drift_json(edge)
    assert code == 2
    assert findings(doc)["upstream.web-backend"] == "conflict"
    conflict = next(f for f in doc["findings"] if f["finding"] == "conflict")
    assert "not managed" in conflict["reason"] and doc["errors"] == []


def test_drifted_secret_is_masked_everywhere(applied: Edge) -> None:
    body = applied.apisix("GET", "/consumers/alice").json()["value"]
    body = {k: v for k, v in body.items() if k not in ("create_time", "update_time")}
    body["plugins"]["key-auth"]["key"] = "changed-by-hand-x"
    applied.apisix("PUT", "/consumers", json=body).raise_for_status()
    for fmt in ("text", "json", "markdown"):
        result = applied.cli("drift", str(applied.desired), "--output", fmt)
        assert result.exit_code == 2, result.output
        assert "consumer.alice" in result.stdout
        for value in (KEY_CANARY, CANARY, "changed-by-hand-x"):
            assert value not in result.output


def test_incomplete_read_exits_1_loudly(applied: Edge) -> None:
    applied.box.apisix_faults.add("truncate", method="GET", path="/apisix/admin/routes")
    for fmt in ("text", "json", "markdown"):
        result = applied.cli("drift", str(applied.desired), "--output", fmt)
        assert result.exit_code == 1, result.output
        assert "live state could not be read completely" in result.stderr
        assert "could not be read completely" in result.stdout
    code, doc = drift_json(applied)
    assert code == 1 and doc["status"] == "error" and doc["complete"] is False
    assert "route" in doc["incomplete"]


def test_server_error_on_a_list_exits_1(applied: Edge) -> None:
    applied.box.apisix_faults.add("status", method="GET", path="/apisix/admin/upstreams", status=500)
    result = applied.cli("drift", str(applied.desired), "--timeout", "5")
    assert result.exit_code == 1
    assert "Error:" in result.stderr


def test_markdown_fits_a_step_summary(edge: Edge) -> None:
    edge.write(DESIRED + LEGACY_ROUTE)
    assert edge.cli("apply", str(edge.desired), "--auto-approve").exit_code == 0
    edge.write(DESIRED)
    edge.apisix("PATCH", "/routes/web", json={"desc": "edited | by `hand`"}).raise_for_status()
    result = edge.cli("drift", str(edge.desired), "--output", "markdown")
    assert result.exit_code == 2
    md = result.stdout
    assert md.startswith("### Reconcile drift: 2 findings\n")
    assert "| `~` modified | `route.web` | desc |" in md
    assert "| `-` orphaned | `route.legacy` | owned, no longer declared |" in md
    assert '- desc: "edited | by `hand`"' in md  # inside a fenced block, kept verbatim
    assert "<details>" in md and "</details>" in md
