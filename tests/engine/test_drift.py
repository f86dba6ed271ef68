"""Out-of-band edits made with plain HTTP are found with their exact field path, then converge.

Each test applies the rich desired state, changes the servers behind the tool's back (or the
secret in the environment), and checks the JSON plan names exactly the edited field, the text
plan shows it, apply fixes it, and a third plan is empty again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Stage, make_stage

HYDRAS = [
    pytest.param(("2.3.0", False), id="hydra2.3"),
    pytest.param(("1.10.6", False), id="hydra1.10"),
    pytest.param(("2.3.0", True), id="realhydra2.3", marks=pytest.mark.real_hydra),
]


@pytest.fixture(params=HYDRAS)
def applied(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stage]:
    """The rich desired state applied, with each Hydra (emulated 2.3.0 and 1.10.6, and real)."""
    version, real = request.param
    for stage in make_stage(tmp_path, hydra_version=version, real_hydra=real):
        stage.must("apply", "--auto-approve")
        yield stage


def _plan(stage: Stage) -> dict[str, Any]:
    out = stage.must("plan", "--detailed-exitcode", "--output", "json", code=2)
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def _only_change(doc: dict[str, Any]) -> dict[str, Any]:
    assert len(doc["changes"]) == 1, [c["address"] for c in doc["changes"]]
    change: dict[str, Any] = doc["changes"][0]
    return change


def _converges(stage: Stage) -> None:
    stage.must("apply", "--auto-approve")
    assert "No changes." in stage.must("plan", "--detailed-exitcode").stdout


def _token_ok(stage: Stage, client_id: str, secret: str) -> bool:
    response = httpx.post(stage.box.hydra_public_url.rstrip("/") + "/oauth2/token",
                          data={"grant_type": "client_credentials"}, auth=(client_id, secret), timeout=10)
    return response.status_code == 200


def test_changed_upstream_node_weight(applied: Stage) -> None:
    upstream = applied.apisix_value("/upstreams/photo-api")
    upstream["nodes"][1]["weight"] = 7
    assert applied.apisix("PUT", "/upstreams/photo-api", upstream).status_code == 200
    change = _only_change(_plan(applied))
    assert (change["address"], change["action"]) == ("upstream.photo-api", "update")
    assert change["diff"] == [{"op": "change", "path": "nodes[1].weight", "old": 7, "new": 1}]
    text = applied.must("plan", "--detailed-exitcode", code=2).stdout
    assert "~ upstream.photo-api" in text and "nodes[1].weight" in text
    _converges(applied)
    assert applied.apisix_value("/upstreams/photo-api")["nodes"][1]["weight"] == 1


def test_changed_node_weight_in_a_hash_of_nodes(applied: Stage) -> None:
    upstream = applied.apisix_value("/upstreams/photo-web")
    upstream["nodes"]["127.0.0.1:8082"] = 50
    assert applied.apisix("PUT", "/upstreams/photo-web", upstream).status_code == 200
    change = _only_change(_plan(applied))
    assert change["diff"] == [{"op": "change", "path": 'nodes."127.0.0.1:8082"', "old": 50, "new": 5}]
    _converges(applied)


def test_removed_route_plugin(applied: Stage) -> None:
    route = applied.apisix_value("/routes/photo-api-v1")
    del route["plugins"]["proxy-rewrite"]
    assert applied.apisix("PUT", "/routes/photo-api-v1", route).status_code == 200
    change = _only_change(_plan(applied))
    assert change["address"] == "route.photo-api-v1"
    assert [(d["op"], d["path"]) for d in change["diff"]] == [("add", "plugins.proxy-rewrite")]
    assert change["diff"][0]["new"]["regex_uri"] == ["^/api/v1/(.*)", "/$1"]
    _converges(applied)
    assert "proxy-rewrite" in applied.apisix_value("/routes/photo-api-v1")["plugins"]


def test_changed_redirect_uri(applied: Stage) -> None:
    client = applied.hydra("GET", "/clients/photo-web").json()
    client["redirect_uris"] = ["http://127.0.0.1:9080/evil/callback"]
    assert applied.hydra("PUT", "/clients/photo-web", client).status_code == 200
    change = _only_change(_plan(applied))
    assert (change["address"], change["action"], change["reason"]) == ("oauth2_client.photo-web", "update", "")
    assert change["diff"] == [{"op": "change", "path": "redirect_uris[0]",
                               "old": "http://127.0.0.1:9080/evil/callback",
                               "new": "http://127.0.0.1:9080/photos/callback"}]
    _converges(applied)
    assert applied.hydra("GET", "/clients/photo-web").json()["redirect_uris"] == [
        "http://127.0.0.1:9080/photos/callback"]


def test_rotated_secret_in_yaml(applied: Stage) -> None:
    old = applied.env["RICH_REPORTING_SECRET"]
    assert _token_ok(applied, "reports-api", old)
    applied.env["RICH_REPORTING_SECRET"] = "reporting-rotated-secret"
    doc = _plan(applied)
    by_address = {c["address"]: c for c in doc["changes"]}
    # The secret feeds two clients and, by reference, the openid-connect plugin of route.reports.
    assert sorted(by_address) == ["oauth2_client.reporting-batch", "oauth2_client.reports-api", "route.reports"]
    for address in ("oauth2_client.reporting-batch", "oauth2_client.reports-api"):
        assert by_address[address]["reason"] == "secret rotated"
        assert [d["path"] for d in by_address[address]["diff"]] == ["client_secret"]
    assert [d["path"] for d in by_address["route.reports"]["diff"]] == ["plugins.openid-connect.client_secret"]
    assert "reporting-rotated-secret" not in json.dumps(doc) and old not in json.dumps(doc)
    text = applied.must("plan", "--detailed-exitcode", code=2).stdout
    assert "secret rotated" in text
    _converges(applied)
    assert _token_ok(applied, "reports-api", "reporting-rotated-secret")
    assert not _token_ok(applied, "reports-api", old)


def test_deleted_client(applied: Stage) -> None:
    assert applied.hydra("DELETE", "/clients/photo-web").status_code == 204
    change = _only_change(_plan(applied))
    assert (change["address"], change["action"]) == ("oauth2_client.photo-web", "create")
    assert change["after"]["client_secret"] == "(sensitive value)"
    _converges(applied)
    assert applied.hydra("GET", "/clients/photo-web").status_code == 200
