"""Drift and saved plans against a real Ory Hydra (``bin/hydra``)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.realhydra import RealHydra

from .conftest import CANARY, Edge

pytestmark = [pytest.mark.real_hydra, pytest.mark.timeout(180)]

CLIENT = """\
hydra:
  clients:
    - client_id: batch
      client_name: Batch job
      client_secret: ${env:WEB_APP_CLIENT_SECRET}
      grant_types: [client_credentials]
      scope: reports.read
"""


@pytest.fixture
def hydra_edge(real_hydra: RealHydra, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Edge:
    monkeypatch.chdir(tmp_path)
    edge = Edge(box=None, root=tmp_path,  # type: ignore[arg-type]
                env={"HYDRA_ADMIN_URL": real_hydra.admin_url, "WEB_APP_CLIENT_SECRET": CANARY, "NO_COLOR": "1"})
    edge.write(CLIENT)
    return edge


def test_drift_and_saved_plan_on_real_hydra(hydra_edge: Edge, real_hydra: RealHydra) -> None:
    edge, url = hydra_edge, f"{real_hydra.admin_url}/admin/clients/batch"
    plan = edge.root / "plan.json"
    assert edge.cli("plan", str(edge.desired), "--out", str(plan)).exit_code == 0
    assert CANARY not in plan.read_text()
    result = edge.cli("apply", str(plan), "--auto-approve")
    assert result.exit_code == 0, result.output
    assert edge.cli("drift", str(edge.desired)).exit_code == 0

    body = httpx.get(url, timeout=10).json()
    httpx.put(url, json={**body, "client_name": "renamed by hand"}, timeout=10).raise_for_status()
    drifted = edge.cli("drift", str(edge.desired), "--output", "json")
    assert drifted.exit_code == 2
    [finding] = json.loads(drifted.stdout)["findings"]
    assert (finding["finding"], finding["diff"][0]["path"]) == ("modified", "client_name")

    edge.write(CLIENT.replace("Batch job", "Batch job v2"))
    assert edge.cli("plan", str(edge.desired), "--out", str(plan)).exit_code == 0
    httpx.delete(url, timeout=10).raise_for_status()
    stale = edge.cli("apply", str(plan), "--auto-approve")
    assert stale.exit_code == 1 and "deleted: oauth2_client.batch" in stale.output
    assert httpx.get(url, timeout=10).status_code == 404
    missing = edge.cli("drift", str(edge.desired), "--output", "json")
    assert missing.exit_code == 2 and json.loads(missing.stdout)["summary"]["missing"] == 1
