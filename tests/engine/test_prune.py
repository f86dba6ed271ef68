"""Prune safety with other teams' objects present: only what carries our marker and selector goes.

Team a runs ``--selector team=a``.  Next to it live objects with no marker at all, objects with
the marker but ``team=b``, a global rule without the ``reconcile-`` prefix and Hydra clients of
both kinds.  ``apply --prune`` deletes team a's orphans and never touches (not even rewrites)
the others; the ``--allow-empty`` and ``--max-deletes`` guards refuse with their messages; an
incomplete read deletes nothing and says so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from .conftest import Stage, make_stage

TEAM_A = ("--selector", "team=a")
OTHERS_APISIX = ["/upstreams/b-up", "/upstreams/legacy-up", "/routes/b-route", "/routes/legacy-route",
                 "/global_rules/ops-metrics", "/consumers/b-user", "/consumers/legacy-user"]
OTHERS_HYDRA = ["b-client", "manual-client"]


def team_a_state(*, upstreams: tuple[str, ...] = ("a-up",), consumers: tuple[str, ...] = ("a-user",),
                 client: bool = True) -> dict[str, Any]:
    """Team a's desired state: some upstreams (a route on the first), consumers, a client."""
    apisix: dict[str, Any] = {
        "upstreams": [{"id": u, "nodes": {"127.0.0.1:8100": 1}} for u in upstreams],
        "consumers": [{"username": c, "plugins": {"key-auth": {"key": f"{c}-key-123"}}} for c in consumers],
        "global_rules": [{"id": "reconcile-a-ids", "plugins": {"request-id": {}}}],
    }
    if upstreams:
        apisix["routes"] = [{"id": "a-route", "uri": "/a/*", "upstream_id": upstreams[0]}]
    doc: dict[str, Any] = {"apisix": apisix}
    if client:
        doc["hydra"] = {"clients": [{"client_id": "a-client", "grant_types": ["client_credentials"], "scope": "a.read",
                                     "token_endpoint_auth_method": "none"}]}
    return doc


def write(stage: Stage, doc: dict[str, Any]) -> None:
    (stage.path / "team-a.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))


def _create(stage: Stage, path: str, body: dict[str, Any]) -> None:
    response = stage.apisix("PUT", path, body)
    assert response.status_code in (200, 201), response.text


@pytest.fixture
def teams(tmp_path: Path) -> Iterator[Stage]:
    """A sandbox holding other teams' objects, and team a's desired state (not yet applied)."""
    for stage in make_stage(tmp_path, with_extras=False):
        for old in stage.path.glob("*.yaml"):
            old.unlink()
        write(stage, team_a_state())
        marker_b = {"managed-by": "reconcile", "team": "b"}
        _create(stage, "/upstreams/b-up", {"nodes": {"127.0.0.1:8200": 1}, "labels": marker_b})
        _create(stage, "/upstreams/legacy-up", {"nodes": {"127.0.0.1:8300": 1}})
        _create(stage, "/routes/b-route", {"uri": "/b/*", "upstream_id": "b-up", "labels": marker_b})
        _create(stage, "/routes/legacy-route", {"uri": "/legacy/*", "upstream_id": "legacy-up"})
        _create(stage, "/global_rules/ops-metrics", {"plugins": {"prometheus": {}}})
        _create(stage, "/consumers", {"username": "b-user", "labels": marker_b})
        _create(stage, "/consumers", {"username": "legacy-user"})
        for client_id, metadata in (("b-client", {"reconcile": {"labels": marker_b}}), ("manual-client", {})):
            response = stage.hydra("POST", "/clients", {"client_id": client_id, "metadata": metadata,
                                                         "grant_types": ["client_credentials"]})
            assert response.status_code == 201, response.text
        yield stage


def snapshot(stage: Stage) -> dict[str, Any]:
    """Other teams' objects exactly as the servers hold them (revisions and timestamps included)."""
    out: dict[str, Any] = {}
    for path in OTHERS_APISIX:
        response = stage.apisix("GET", path)
        assert response.status_code == 200, f"{path}: {response.text}"
        out[path] = response.json()
    for client_id in OTHERS_HYDRA:
        response = stage.hydra("GET", f"/clients/{client_id}")
        assert response.status_code == 200, f"{client_id}: {response.text}"
        out[client_id] = response.json()
    return out


def _plan_json(stage: Stage, *args: str, code: int = 2) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(stage.must("plan", "--detailed-exitcode", "--output", "json", *TEAM_A,
                                                *args, code=code).stdout)
    return doc


def test_prune_deletes_only_our_orphans(teams: Stage) -> None:
    write(teams, team_a_state(upstreams=("a-up", "a-old"), consumers=("a-user", "a-gone")))
    teams.must("apply", "--auto-approve", "--prune", *TEAM_A)
    before = snapshot(teams)
    write(teams, team_a_state())
    doc = _plan_json(teams, "--prune")
    assert sorted((c["action"], c["address"]) for c in doc["changes"]) == [
        ("delete", "consumer.a-gone"), ("delete", "upstream.a-old")]
    unmanaged = {u["address"]: u["reason"] for u in doc["unmanaged"]}
    assert unmanaged == {
        "upstream.b-up": "managed by reconcile outside this selector (lacks team=a)",
        "upstream.legacy-up": "no managed-by=reconcile marker",
        "route.b-route": "managed by reconcile outside this selector (lacks team=a)",
        "route.legacy-route": "no managed-by=reconcile marker",
        "global_rule.ops-metrics": "id does not start with 'reconcile-'",
        "consumer.b-user": "managed by reconcile outside this selector (lacks team=a)",
        "consumer.legacy-user": "no managed-by=reconcile marker",
        "oauth2_client.b-client": "managed by reconcile outside this selector (lacks team=a)",
        "oauth2_client.manual-client": "no managed-by=reconcile marker",
    }
    teams.must("apply", "--auto-approve", "--prune", *TEAM_A)
    assert teams.apisix("GET", "/upstreams/a-old").status_code == 404
    assert teams.apisix("GET", "/consumers/a-gone").status_code == 404
    assert snapshot(teams) == before
    assert _plan_json(teams, "--prune", code=0)["changes"] == []


def test_team_b_prune_leaves_team_a_alone(teams: Stage) -> None:
    teams.must("apply", "--auto-approve", *TEAM_A)
    ours = {p: teams.apisix("GET", p).json() for p in ("/upstreams/a-up", "/routes/a-route", "/consumers/a-user")}
    ours["/global_rules/reconcile-a-ids"] = teams.apisix("GET", "/global_rules/reconcile-a-ids").json()
    write(teams, {"apisix": {"upstreams": [{"id": "b-up", "nodes": {"127.0.0.1:8200": 1}}],
                             "routes": [{"id": "b-route", "uri": "/b/*", "upstream_id": "b-up"}],
                             "consumers": [{"username": "b-user"}],
                             "global_rules": [{"id": "reconcile-b-cors", "plugins": {"cors": {}}}]}})
    out = teams.must("apply", "--auto-approve", "--prune", "--selector", "team=b")
    # Global rules carry no labels: with a selector and the shared prefix, nothing of them is pruned.
    assert "not deleting 1 global rules" in out.stdout + out.stderr
    assert "- global_rule" not in out.stdout
    assert {p: teams.apisix("GET", p).json() for p in ours} == ours


def test_global_rules_partitioned_by_prefix(teams: Stage) -> None:
    doc = team_a_state()
    doc["apisix"]["global_rules"] = [{"id": "team-a-ids", "plugins": {"request-id": {}}},
                                     {"id": "team-a-old", "plugins": {"cors": {}}}]
    write(teams, doc)
    prefix = ("--global-rule-prefix", "team-a-")
    teams.must("apply", "--auto-approve", *TEAM_A, *prefix)
    others = {p: teams.apisix("GET", p).json() for p in ("/global_rules/ops-metrics",)}
    doc["apisix"]["global_rules"] = doc["apisix"]["global_rules"][:1]
    write(teams, doc)
    plan = _plan_json(teams, "--prune", *prefix)
    assert [(c["action"], c["address"]) for c in plan["changes"]] == [("delete", "global_rule.team-a-old")]
    teams.must("apply", "--auto-approve", "--prune", *TEAM_A, *prefix)
    assert teams.apisix("GET", "/global_rules/team-a-old").status_code == 404
    assert {p: teams.apisix("GET", p).json() for p in others} == others


def test_allow_empty_guard(teams: Stage) -> None:
    teams.must("apply", "--auto-approve", *TEAM_A)
    before = snapshot(teams)
    write(teams, team_a_state(consumers=()))
    out = teams.must("apply", "--auto-approve", "--prune", *TEAM_A, code=1)
    assert ("refusing to delete all 1 owned consumer objects: the desired state declares none of this kind "
            "(pass --allow-empty if that is intended)") in out.stderr + out.stdout
    assert teams.apisix("GET", "/consumers/a-user").status_code == 200
    teams.must("apply", "--auto-approve", "--prune", "--allow-empty", *TEAM_A)
    assert teams.apisix("GET", "/consumers/a-user").status_code == 404
    assert snapshot(teams) == before


def test_max_deletes_guard(teams: Stage) -> None:
    write(teams, team_a_state(upstreams=("a-up", "a-1", "a-2", "a-3")))
    teams.must("apply", "--auto-approve", *TEAM_A)
    write(teams, team_a_state())
    out = teams.must("apply", "--auto-approve", "--prune", "--max-deletes", "2", *TEAM_A, code=1)
    assert "refusing to apply 3 deletions: more than --max-deletes 2" in out.stderr + out.stdout
    assert all(teams.apisix("GET", f"/upstreams/{u}").status_code == 200 for u in ("a-1", "a-2", "a-3"))
    teams.must("apply", "--auto-approve", "--prune", "--max-deletes", "3", *TEAM_A)
    assert all(teams.apisix("GET", f"/upstreams/{u}").status_code == 404 for u in ("a-1", "a-2", "a-3"))


def test_incomplete_read_deletes_nothing(teams: Stage) -> None:
    write(teams, team_a_state(upstreams=("a-up", "a-old"), consumers=("a-user", "a-gone")))
    teams.must("apply", "--auto-approve", *TEAM_A)
    write(teams, team_a_state())  # a-old and a-gone are orphans; only the upstream list will be short
    rule = {"effect": "truncate", "method": "GET", "path": "/apisix/admin/upstreams"}
    assert httpx.post(f"{teams.box.apisix_admin_url}/__sandbox/faults", json=rule).status_code == 201
    plan = teams.run("plan", "--prune", *TEAM_A)
    assert "INCOMPLETE: upstream" in plan.stdout + plan.stderr and "nothing will be deleted" in plan.stdout + plan.stderr
    doc = json.loads(teams.run("plan", "--prune", "--output", "json", *TEAM_A).stdout)
    assert doc["complete"] is False and [c for c in doc["changes"] if c["action"] == "delete"] == []
    out = teams.run("apply", "--auto-approve", "--prune", *TEAM_A)
    assert "INCOMPLETE" in out.stdout + out.stderr
    assert teams.apisix("GET", "/upstreams/a-old").status_code == 200
    assert teams.apisix("GET", "/consumers/a-gone").status_code == 200  # complete list, still not pruned
    assert teams.apisix("GET", "/upstreams/b-up").status_code == 200


def test_credentials_are_pruned_only_under_consumers_that_declare_them(applied: Stage) -> None:
    # A credential added by hand under carol, whose credentials the desired state does not manage.
    response = applied.apisix("PUT", "/consumers/carol/credentials/manual",
                              {"plugins": {"key-auth": {"key": "carol-manual-key-1"}},
                               "labels": {"managed-by": "reconcile"}})
    assert response.status_code in (200, 201), response.text
    consumers = applied.path / "consumers.yaml"
    doc = yaml.safe_load(consumers.read_text())
    bob = next(c for c in doc["apisix"]["consumers"] if c["username"] == "bob")
    bob["credentials"] = [c for c in bob["credentials"] if c["id"] != "admin"]
    consumers.write_text(yaml.safe_dump(doc, sort_keys=False))
    plan = json.loads(applied.must("plan", "--prune", "--detailed-exitcode", "--output", "json", code=2).stdout)
    assert [(c["action"], c["address"]) for c in plan["changes"]] == [("delete", "credential.bob/admin")]
    applied.must("apply", "--auto-approve", "--prune")
    assert applied.apisix("GET", "/consumers/bob/credentials/admin").status_code == 404
    assert applied.apisix("GET", "/consumers/bob/credentials/laptop").status_code == 200
    assert applied.apisix("GET", "/consumers/carol/credentials/manual").status_code == 200


def test_adopt_takes_over_declared_unowned_objects_then_replans_empty(stage: Stage) -> None:
    assert stage.apisix("PUT", "/upstreams/reports", {"nodes": {"127.0.0.1:8095": 1}}).status_code == 201
    created = stage.hydra("POST", "/clients", {"client_id": "reports-api", "client_secret": "hand-made-secret",
                                                "grant_types": ["client_credentials"], "scope": "openid"})
    assert created.status_code == 201, created.text
    refused = stage.must("plan", code=1)
    assert "upstream.reports exists but is not managed by this run (no managed-by=reconcile marker); " \
           "use --adopt to take it over" in refused.stdout + refused.stderr
    assert "oauth2_client.reports-api exists but is not managed" in refused.stdout + refused.stderr
    adopted = stage.must("apply", "--auto-approve", "--adopt")
    assert "~ upstream.reports (adopted)" in adopted.stdout
    assert stage.apisix_value("/upstreams/reports")["labels"] == {"managed-by": "reconcile"}
    assert "No changes." in stage.must("plan", "--detailed-exitcode").stdout
