"""``apply --recheck``: an object changed by another writer between the plan and the write is
refused, not overwritten (finding 15, second point).  The other writer acts inside the confirm
hook, i.e. exactly between the read and the write, so the test does not depend on timing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from reconciler.config import Connection, Options
from reconciler.load.loader import load_state
from reconciler.plan.changes import Outcome, Plan
from reconciler.run.engine import plan_and_apply_async
from reconciler.sandbox.runner import Sandbox
from reconciler.secrets import Secret

from .corpus import dump


def _upstream(desc: str) -> dict[str, object]:
    return {"desc": desc, "type": "roundrobin", "nodes": {"127.0.0.1:8081": 1}, "labels": {"managed-by": "reconcile"}}


def test_recheck_refuses_what_another_writer_changed(tmp_path: Path) -> None:
    with Sandbox(real_hydra=False) as box:
        admin = f"{box.apisix_admin_url}/apisix/admin/upstreams"
        headers = {"X-API-KEY": box.apisix_admin_key}
        assert httpx.put(f"{admin}/edited", json=_upstream("old"), headers=headers, timeout=10).status_code == 201
        (tmp_path / "state.yaml").write_bytes(dump({"apisix": {"upstreams": [
            {"id": i, "desc": "ours", "type": "roundrobin", "nodes": {"127.0.0.1:8081": 1}}
            for i in ("edited", "created", "quiet")]}}))
        desired = load_state(tmp_path, env={})
        conn = Connection(apisix_admin_url=box.apisix_admin_url, apisix_admin_key=Secret(box.apisix_admin_key))

        def other_writer(_: Plan) -> bool:
            for key in ("edited", "created"):
                response = httpx.put(f"{admin}/{key}", json=_upstream("theirs"), headers=headers, timeout=10)
                assert response.status_code in (200, 201)
            return True

        run = asyncio.run(plan_and_apply_async(desired, conn, Options(), confirm=other_writer, recheck=True))
        assert run.result is not None
        outcomes = {e.change.key: (e.outcome, e.message) for e in run.result.events}
        assert outcomes["quiet"][0] is Outcome.APPLIED
        for key in ("edited", "created"):
            assert outcomes[key][0] is Outcome.FAILED and "changed since the plan read it" in outcomes[key][1]
            value = httpx.get(f"{admin}/{key}", headers=headers, timeout=10).json()["value"]
            assert value["desc"] == "theirs", f"{key} was overwritten"
