"""``--adopt``: declared objects made by hand (no ownership marker) are taken over, shown in the plan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox.realhydra import RealHydra

from .conftest import Edge, make_edge

pytestmark = pytest.mark.timeout(180)

#: What ``hydra create oauth2-client`` sends with its defaults.
HAND_MADE_CLIENT: dict[str, Any] = {
    "client_id": "legacy-portal",
    "client_name": "Legacy portal",
    "grant_types": ["authorization_code"],
    "response_types": ["code"],
    "redirect_uris": ["https://portal.example.com/cb"],
    "request_object_signing_alg": "RS256",
    "scope": "openid offline",
    "metadata": {},
}

CLIENT_YAML = """\
hydra:
  clients:
    - client_id: legacy-portal
      client_name: Legacy portal
      grant_types: [authorization_code]
      response_types: [code]
      redirect_uris: [https://portal.example.com/cb]
      request_object_signing_alg: RS256
      scope: openid offline
"""

ROUTE_YAML = """\
apisix:
  routes:
    - id: legacy-route
      uri: /legacy/*
      upstream:
        type: roundrobin
        nodes: {"10.0.0.20:80": 1}
"""


def plan_json(edge: Edge, *extra: str) -> tuple[int, dict[str, Any]]:
    result = edge.cli("plan", str(edge.desired), "--output", "json", *extra)
    return result.exit_code, json.loads(result.stdout)


def adopt_round(edge: Edge, addresses: set[str]) -> None:
    code, doc = plan_json(edge)
    assert code == 1
    assert len(doc["errors"]) == len(addresses)
    assert all("exists but is not managed" in e and "--adopt" in e for e in doc["errors"])

    code, doc = plan_json(edge, "--adopt")
    assert code == 0, doc
    assert {c["address"]: (c["action"], c["reason"]) for c in doc["changes"]} == {
        a: ("update", "adopted") for a in addresses}

    result = edge.cli("apply", str(edge.desired), "--adopt", "--auto-approve")
    assert result.exit_code == 0, result.output
    again = edge.cli("plan", str(edge.desired), "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.stdout


def test_adopt_a_hand_made_client_and_route(sandbox: Any, tmp_path: Path) -> None:
    edge = make_edge(sandbox, tmp_path)
    edge.write(CLIENT_YAML + ROUTE_YAML)
    edge.hydra("POST", "/clients", json=HAND_MADE_CLIENT).raise_for_status()
    route = {"uri": "/legacy/*", "upstream": {"type": "roundrobin", "nodes": {"10.0.0.20:80": 1}}}
    edge.apisix("PUT", "/routes/legacy-route", json=route).raise_for_status()

    adopt_round(edge, {"oauth2_client.legacy-portal", "route.legacy-route"})

    labels = edge.apisix("GET", "/routes/legacy-route").json()["value"]["labels"]
    assert labels == {"managed-by": "reconcile"}
    metadata = edge.hydra("GET", "/clients/legacy-portal").json()["metadata"]
    assert metadata == {"reconcile": {"labels": {"managed-by": "reconcile"}}}


@pytest.mark.real_hydra
def test_adopt_a_client_made_on_real_hydra(real_hydra: RealHydra, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    edge = Edge(box=None, root=tmp_path, env={"HYDRA_ADMIN_URL": real_hydra.admin_url, "NO_COLOR": "1"})  # type: ignore[arg-type]
    edge.write(CLIENT_YAML)
    response = httpx.post(f"{real_hydra.admin_url}/admin/clients", json=HAND_MADE_CLIENT, timeout=10)
    assert response.status_code == 201, response.text
    adopt_round(edge, {"oauth2_client.legacy-portal"})
