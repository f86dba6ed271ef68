"""Concurrent operators (findings 15 and 16): applies serialised by the lease, and a create that
meets an equal object counted as done.

Real processes against the sandbox on 127.0.0.1: each apply is ``python -m reconciler`` in its
own process, as two CI jobs would be.  Outcomes are checked on the servers' end state, never on
timings: whatever the interleaving, the end state must be one whole desired state.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.run.lease import LEASE_ID, META_KEY
from reconciler.sandbox.runner import Sandbox

from .corpus import dump

N = 24


def _state(root: Path, tag: str, *, hydra: bool = True) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    data: dict[str, object] = {"apisix": {"upstreams": [
        {"id": f"u{i}", "desc": f"from {tag}", "type": "roundrobin", "nodes": {"127.0.0.1:8081": 1}}
        for i in range(N)]}}
    if hydra:
        data["hydra"] = {"clients": [{"client_id": f"c{i}", "client_name": f"from {tag}", "scope": "openid",
                                      "grant_types": ["client_credentials"], "client_secret": "${env:REL_SECRET}"}
                                     for i in range(4)]}
    (root / "state.yaml").write_bytes(dump(data))
    return root


@pytest.fixture
def box() -> Iterator[Sandbox]:
    with Sandbox(real_hydra=False) as sandbox:
        yield sandbox


def _env(box: Sandbox) -> dict[str, str]:
    return {**os.environ, "HYDRA_ADMIN_URL": box.hydra_admin_url, "APISIX_ADMIN_URL": box.apisix_admin_url,
            "APISIX_ADMIN_KEY": box.apisix_admin_key, "REL_SECRET": "a-secret-of-the-test", "NO_COLOR": "1",
            "RECONCILE_CACHE": "off"}


def _start(box: Sandbox, path: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "reconciler", "apply", "--auto-approve", *extra, str(path)],
                            env=_env(box), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _fault(url: str, **rule: object) -> None:
    assert httpx.post(f"{url}/__sandbox/faults", json=rule, timeout=10).status_code == 201


def _descs(box: Sandbox) -> set[str]:
    headers = {"X-API-KEY": box.apisix_admin_key}
    items = httpx.get(f"{box.apisix_admin_url}/apisix/admin/upstreams", headers=headers, timeout=10).json()["list"]
    return {i["value"].get("desc", "") for i in items if i["value"]["id"] != LEASE_ID}


def _names(box: Sandbox) -> set[str]:
    clients = httpx.get(f"{box.hydra_admin_url}/admin/clients", timeout=10).json()
    return {c.get("client_name", "") for c in clients if c["client_id"] != LEASE_ID}


@pytest.mark.timeout(180)
@pytest.mark.parametrize("hydra", [True, False], ids=["lease-on-hydra", "lease-on-apisix"])
def test_two_conflicting_applies_end_in_one_whole_state(box: Sandbox, tmp_path: Path, hydra: bool) -> None:
    """Finding 15: started 0.3 s apart with 30 ms write latency, both succeed and the end state is
    exactly one of the two desired states (the later one), never a mix."""
    for url, method in ((box.apisix_admin_url, "PUT"), (box.hydra_admin_url, "POST"), (box.hydra_admin_url, "PUT")):
        _fault(url, effect="latency", method=method, path="/", delay=0.03)
    first = _start(box, _state(tmp_path / "x", "x", hydra=hydra), "--lock-timeout", "120", "--parallelism", "2")
    time.sleep(0.3)
    second = _start(box, _state(tmp_path / "y", "y", hydra=hydra), "--lock-timeout", "120", "--parallelism", "2")
    outs = [p.communicate(timeout=150) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    descs = _descs(box)
    assert descs in ({"from x"}, {"from y"}), f"lost update: {descs}"
    if hydra:
        assert _names(box) == descs
    headers = {"X-API-KEY": box.apisix_admin_key}
    lease = httpx.get(f"{box.apisix_admin_url}/apisix/admin/upstreams/{LEASE_ID}", headers=headers, timeout=10)
    assert lease.status_code == 404
    assert httpx.get(f"{box.hydra_admin_url}/admin/clients/{LEASE_ID}", timeout=10).status_code == 404


def _hold_lease(box: Sandbox, expires: float) -> None:
    record = {"holder": "ci@runner-7 pid 42", "token": "t" * 32, "expires": expires}
    response = httpx.post(f"{box.hydra_admin_url}/admin/clients", timeout=10, json={
        "client_id": LEASE_ID, "token_endpoint_auth_method": "none", "metadata": {META_KEY: record}})
    assert response.status_code == 201, response.text


@pytest.mark.timeout(120)
def test_a_held_lease_refuses_apply_and_names_the_holder(box: Sandbox, tmp_path: Path) -> None:
    _hold_lease(box, time.time() + 600)
    done = _start(box, _state(tmp_path / "x", "x"))
    out, err = done.communicate(timeout=100)
    assert done.returncode == 1, out + err
    assert "ci@runner-7 pid 42" in err and "--lock-timeout" in err and "Traceback" not in err
    assert _descs(box) == set() and _names(box) == set()  # nothing written


@pytest.mark.timeout(120)
def test_an_expired_lease_is_taken_over(box: Sandbox, tmp_path: Path) -> None:
    _hold_lease(box, time.time() - 1)
    done = _start(box, _state(tmp_path / "x", "x"))
    out, err = done.communicate(timeout=100)
    assert done.returncode == 0, out + err
    assert _descs(box) == {"from x"}
    assert httpx.get(f"{box.hydra_admin_url}/admin/clients/{LEASE_ID}", timeout=10).status_code == 404


@pytest.mark.timeout(180)
def test_two_applies_of_the_same_state_both_succeed(box: Sandbox, tmp_path: Path) -> None:
    """Finding 16: without the lease, both plan the same creates; the loser's 409 meets an equal
    client, which is success."""
    _fault(box.hydra_admin_url, effect="latency", method="POST", path="/admin/clients", delay=2.0)
    path = _state(tmp_path / "x", "x")
    first = _start(box, path, "--no-lock")
    time.sleep(0.3)
    second = _start(box, path, "--no-lock")
    outs = [p.communicate(timeout=150) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outs
    assert _names(box) == {"from x"}
    assert _descs(box) == {"from x"}
