"""Saved plans: ``reconcile plan --out`` then ``reconcile apply FILE``, and every refusal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import CANARY, DESIRED, KEY_CANARY, LEGACY_ROUTE, Edge

pytestmark = pytest.mark.timeout(120)

DESIRED_V2 = DESIRED.replace('"10.0.0.10:8080": 1', '"10.0.0.10:8080": 5')


def save(edge: Edge, *extra: str) -> Path:
    out = edge.root / "plan.json"
    result = edge.cli("plan", str(edge.desired), "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out


def apply_file(edge: Edge, plan: Path, *extra: str) -> tuple[int, str]:
    result = edge.cli("apply", str(plan), "--auto-approve", *extra)
    return result.exit_code, result.output


@pytest.fixture
def pending(applied: Edge) -> tuple[Edge, Path]:
    """An applied edge whose desired state now changes one upstream, saved as plan.json."""
    applied.write(DESIRED_V2)
    return applied, save(applied)


def test_saved_plan_applies_and_converges(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    doc = json.loads(plan.read_text())
    assert doc["format_version"] == 1 and doc["created_by"].startswith("reconcile ")
    assert [c["address"] for c in doc["changes"]] == ["upstream.web-backend"]
    assert set(doc["live"]) >= {"route.web", "upstream.web-backend", "oauth2_client.web-app", "consumer.alice"}
    assert set(doc["secrets"]) == {"oauth2_client.web-app.client_secret", "consumer.alice.plugins.key-auth.key"}
    assert all(v.startswith("pbkdf2-sha256$") for v in doc["secrets"].values())
    assert doc["desired"]["path"] == str(edge.desired) and doc["desired"]["hash"]
    code, output = apply_file(edge, plan)
    assert code == 0, output
    assert "1 applied" in output and CANARY not in output and KEY_CANARY not in output
    node = edge.apisix("GET", "/upstreams/web-backend").json()["value"]["nodes"]
    assert node == {"10.0.0.10:8080": 5}
    again = edge.cli("plan", str(edge.desired), "--detailed-exitcode")
    assert again.exit_code == 0, again.output


def test_create_and_delete_from_a_saved_plan(edge: Edge) -> None:
    edge.write(DESIRED + LEGACY_ROUTE)
    code, output = apply_file(edge, save(edge))
    assert code == 0, output
    assert edge.apisix("GET", "/routes/legacy").status_code == 200
    edge.write(DESIRED)
    code, output = apply_file(edge, save(edge, "--prune"))
    assert code == 0, output
    assert edge.apisix("GET", "/routes/legacy").status_code == 404


def test_no_plaintext_secret_in_the_plan_file(edge: Edge) -> None:
    plan = save(edge)  # creates: the client secret and the key are in the changes
    text = plan.read_text()
    assert CANARY not in text and KEY_CANARY not in text
    assert "(sensitive value)" in text
    result = edge.cli("plan", str(edge.desired), "--out", str(plan), "--output", "json")
    assert CANARY not in result.output and KEY_CANARY not in result.output


def refused(edge: Edge, plan: Path, *phrases: str) -> None:
    before = edge.state()
    code, output = apply_file(edge, plan)
    assert code == 1, output
    for phrase in phrases:
        assert phrase in output
    assert "nothing was changed" in output
    assert edge.state() == before


def test_refused_when_the_desired_state_changed(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    edge.write(DESIRED_V2.replace("uri: /app/*", "uri: /app2/*"))
    refused(edge, plan, "the desired state changed since the plan was made", "route.web")


def test_refused_when_a_secret_changed(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    edge.env["ALICE_KEY"] = "another-key-value"
    refused(edge, plan, "consumer.alice.plugins.key-auth.key", "no longer matches its fingerprint")


def test_refused_when_a_live_object_was_edited(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    edge.apisix("PATCH", "/routes/web", json={"desc": "edited by hand"}).raise_for_status()
    refused(edge, plan, "live state changed since the plan was made", "edited: route.web")


def test_refused_when_a_live_object_was_deleted(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    edge.hydra("DELETE", "/clients/web-app").raise_for_status()
    refused(edge, plan, "deleted: oauth2_client.web-app")


def test_refused_when_a_live_object_was_created(edge: Edge) -> None:
    plan = save(edge)  # everything is still to be created
    edge.apisix("PUT", "/upstreams/web-backend", json={"nodes": {"10.0.0.99:80": 1}}).raise_for_status()
    refused(edge, plan, "created: upstream.web-backend")


def test_unrelated_objects_of_other_teams_do_not_make_a_plan_stale(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    edge.apisix("PUT", "/routes/newcomer", json={"uri": "/new", "upstream_id": "web-backend"}).raise_for_status()
    code, output = apply_file(edge, plan)
    assert code == 0, output
    assert "1 applied" in output


def test_unknown_format_version_is_refused(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    doc = json.loads(plan.read_text())
    doc["format_version"] = 99
    plan.write_text(json.dumps(doc))
    refused(edge, plan, "unsupported plan file format_version 99")


def test_tampered_changes_are_refused(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    doc = json.loads(plan.read_text())
    doc["changes"][0]["diff"][0]["new"] = 7
    plan.write_text(json.dumps(doc))
    refused(edge, plan, "re-planning gives different changes")


def test_a_plan_with_errors_is_not_saved(edge: Edge) -> None:
    edge.apisix("PUT", "/upstreams/web-backend", json={"nodes": {"10.0.0.10:8080": 1}}).raise_for_status()
    out = edge.root / "plan.json"
    result = edge.cli("plan", str(edge.desired), "--out", str(out))
    assert result.exit_code == 1
    assert not out.exists()


def test_refused_against_other_servers(pending: tuple[Edge, Path]) -> None:
    edge, plan = pending
    doc = json.loads(plan.read_text())
    assert set(doc["endpoints"]) == {"hydra", "apisix"}
    assert doc["endpoints"]["apisix"] == edge.box.apisix_admin_url
    doc["endpoints"]["apisix"] = "http://127.0.0.1:1"  # as if planned against another gateway
    plan.write_text(json.dumps(doc))
    refused(edge, plan, "the plan was made against other servers", "apisix: planned against http://127.0.0.1:1")
