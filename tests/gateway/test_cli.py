"""``reconcile sandbox --gateway`` as a user runs it: the ``gateway:`` line, then a live data plane."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from reconciler.sandbox.realhydra import free_port

from .conftest import Echo


def _lines(proc: subprocess.Popen[str], count: int) -> dict[str, str]:
    assert proc.stdout is not None
    info: dict[str, str] = {}
    for _ in range(count):
        line = proc.stdout.readline()
        assert line, "the sandbox stopped before printing its addresses"
        label, _, value = line.rstrip("\n").partition(": ")
        info[label] = value
    return info


def test_sandbox_gateway_prints_its_url_and_serves_admin_writes(echoes: list[Echo]) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sandbox", "--gateway", "--gateway-port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        info = _lines(proc, 5)
        assert list(info) == ["hydra-admin", "hydra-public", "apisix-admin", "apisix-admin-key", "gateway"]
        assert info["gateway"] == f"http://127.0.0.1:{port}"
        gateway = info["gateway"]
        first = httpx.get(gateway + "/hello", timeout=10)
        assert first.status_code == 404 and first.json() == {"error_msg": "404 Route Not Found"}
        put = httpx.put(info["apisix-admin"] + "/apisix/admin/routes/hello", timeout=10,
                        headers={"X-API-KEY": info["apisix-admin-key"]},
                        json={"uri": "/hello", "upstream": {"type": "roundrobin", "nodes": {echoes[0].node: 1}}})
        assert put.status_code == 201, put.text
        second = httpx.get(gateway + "/hello", timeout=10)
        assert second.status_code == 200 and second.json()["node"] == "a"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


def test_sandbox_without_gateway_prints_no_gateway_line() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sandbox"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        info = _lines(proc, 6)
        assert list(info) == ["hydra-admin", "hydra-public", "apisix-admin", "apisix-admin-key", "login", "upstream"]
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    assert proc.stdout is not None and proc.stdout.read() == ""


def test_gateway_serves_a_restored_snapshot(echoes: list[Echo], tmp_path: Path) -> None:
    """A sandbox restarted from its snapshot file serves the saved routes at once."""
    from reconciler.sandbox.runner import Sandbox

    snapshot = tmp_path / "state.json"
    route = {"uri": "/kept", "upstream": {"type": "roundrobin", "nodes": {echoes[0].node: 1}}}
    with Sandbox(real_hydra=False, gateway=True, snapshot=snapshot) as box:
        httpx.put(f"{box.apisix_admin_url}/apisix/admin/routes/kept", json=route, timeout=10,
                  headers={"X-API-KEY": box.apisix_admin_key}).raise_for_status()
    with Sandbox(real_hydra=False, gateway=True, snapshot=snapshot) as box:
        answer = httpx.get(box.gateway_url + "/kept", timeout=10)
    assert answer.status_code == 200 and answer.json()["node"] == "a"
