"""``reconcile sandbox`` as a user runs it: a subprocess that prints where it listens, serves
real HTTP, keeps its state in a snapshot file across restarts, and stops cleanly on a signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from reconciler.sandbox.realhydra import RealHydra, RealHydraError, free_port
from reconciler.sandbox.runner import DEFAULT_ADMIN_KEY, Sandbox, SandboxError

from .tokens import secret_works

LABELS = ("hydra-admin", "hydra-public", "apisix-admin", "apisix-admin-key", "login", "upstream")


class SandboxProcess:
    """A running ``reconcile sandbox``; ``info`` maps each printed label to its value."""

    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "0"}
        self.started = time.monotonic()
        self.proc = subprocess.Popen([sys.executable, "-m", "reconciler", "sandbox", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.lines: list[str] = []
        self.info: dict[str, str] = {}
        self.ready_after = float("inf")
        done = threading.Event()

        def read() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.lines.append(line.rstrip("\n"))
                if len(self.lines) == len(LABELS):
                    self.ready_after = time.monotonic() - self.started
                    done.set()
            done.set()

        threading.Thread(target=read, daemon=True).start()
        if not done.wait(30) or len(self.lines) < len(LABELS):
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
            raise AssertionError(f"sandbox did not print its {len(LABELS)} lines: {self.lines!r}\n{err}")
        for line in self.lines:
            label, _, value = line.partition(": ")
            self.info[label] = value

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        """Send ``sig``; the exit code and stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
            raise AssertionError("sandbox did not stop within 15 s of the signal") from None
        assert self.proc.stderr is not None
        return self.proc.returncode, self.proc.stderr.read()


@pytest.fixture
def running() -> Iterator[SandboxProcess]:
    """A default ``reconcile sandbox``; stopped (and checked) by the test or at teardown."""
    box = SandboxProcess()
    yield box
    if box.proc.poll() is None:
        box.stop(signal.SIGKILL)


def test_prints_exactly_one_line_per_server_then_the_key(running: SandboxProcess) -> None:
    assert [line.split(": ")[0] for line in running.lines] == list(LABELS)
    for label in LABELS[:3]:
        assert running.info[label].startswith("http://127.0.0.1:")
    assert running.info["apisix-admin-key"] == DEFAULT_ADMIN_KEY
    assert len({running.info[label] for label in LABELS[:3]}) == 3


def test_servers_answer_like_the_spec_says(running: SandboxProcess) -> None:
    hydra, public, apisix = (running.info[k] for k in LABELS[:3])
    assert httpx.get(f"{hydra}/health/ready").json() == {"status": "ok"}
    created = httpx.post(f"{hydra}/admin/clients", json={"client_id": "cli", "client_secret": "cli-secret",
                                                          "grant_types": ["client_credentials"]})
    assert created.status_code == 201 and created.headers["location"] == "/admin/clients/cli"
    listed = httpx.get(f"{hydra}/admin/clients")
    assert [c["client_id"] for c in listed.json()] == ["cli"] and listed.headers["x-total-count"] == "1"
    assert secret_works(public, "cli", "cli-secret")
    assert not secret_works(public, "cli", "not-the-secret")
    denied = httpx.get(f"{apisix}/apisix/admin/routes")
    assert denied.status_code == 401
    routes = httpx.get(f"{apisix}/apisix/admin/routes", headers={"X-API-KEY": DEFAULT_ADMIN_KEY})
    assert routes.status_code == 200 and routes.headers["server"] == "APISIX/3.18.0"
    assert routes.json()["total"] == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stops_cleanly_on_signal(running: SandboxProcess, sig: int) -> None:
    hydra = running.info["hydra-admin"]
    code, err = running.stop(sig)
    assert code == 0, err
    assert "Traceback" not in err
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{hydra}/health/ready", timeout=2)


def test_options_choose_ports_keys_and_versions() -> None:
    hydra_port, apisix_port = free_port(), free_port()
    box = SandboxProcess("--hydra-port", str(hydra_port), "--apisix-port", str(apisix_port),
                         "--apisix-admin-key", "my-admin-key", "--apisix-viewer-key", "my-viewer-key",
                         "--apisix-version", "3.13.0", "--hydra-version", "1.10.6")
    try:
        assert box.info["hydra-admin"] == f"http://127.0.0.1:{hydra_port}"
        assert box.info["apisix-admin"] == f"http://127.0.0.1:{apisix_port}"
        assert box.info["apisix-admin-key"] == "my-admin-key"
        apisix = box.info["apisix-admin"]
        admin = httpx.get(f"{apisix}/apisix/admin/routes", headers={"X-API-KEY": "my-admin-key"})
        assert admin.status_code == 200 and admin.headers["server"] == "APISIX/3.13.0"
        viewer = httpx.get(f"{apisix}/apisix/admin/routes", headers={"X-API-KEY": "my-viewer-key"})
        assert viewer.status_code == 200
        assert httpx.get(f"{apisix}/apisix/admin/routes", headers={"X-API-KEY": DEFAULT_ADMIN_KEY}).status_code == 401
        v1 = httpx.get(f"{box.info['hydra-admin']}/clients")
        assert v1.status_code == 200 and v1.json() == []
    finally:
        assert box.stop()[0] == 0


def test_busy_port_is_a_clean_error() -> None:
    box = SandboxProcess()
    try:
        port = box.info["apisix-admin"].rsplit(":", 1)[1]
        clash = subprocess.run([sys.executable, "-m", "reconciler", "sandbox", "--apisix-port", port],
                               check=False, capture_output=True, text=True, timeout=30)
        assert clash.returncode == 1
        assert "Error:" in clash.stderr and "Traceback" not in clash.stderr
        assert clash.stdout == ""
    finally:
        box.stop()


def test_snapshot_keeps_state_across_restarts(tmp_path: Path) -> None:
    snap = tmp_path / "state" / "sandbox.json"
    first = SandboxProcess("--snapshot", str(snap))
    hydra, public, apisix = (first.info[k] for k in LABELS[:3])
    key = {"X-API-KEY": DEFAULT_ADMIN_KEY}
    assert httpx.post(f"{hydra}/admin/clients", json={"client_id": "kept", "client_secret": "kept-secret",
                                                       "grant_types": ["client_credentials"]}).status_code == 201
    route = {"uri": "/kept", "upstream": {"type": "roundrobin", "nodes": {"127.0.0.1:1980": 1}}}
    assert httpx.put(f"{apisix}/apisix/admin/routes/kept", json=route, headers=key).status_code == 201
    assert first.stop()[0] == 0
    assert snap.is_file()

    second = SandboxProcess("--snapshot", str(snap))
    try:
        hydra, public, apisix = (second.info[k] for k in LABELS[:3])
        assert httpx.get(f"{hydra}/admin/clients/kept").status_code == 200
        assert secret_works(public, "kept", "kept-secret")
        got = httpx.get(f"{apisix}/apisix/admin/routes/kept", headers=key)
        assert got.status_code == 200 and got.json()["value"]["uri"] == "/kept"
    finally:
        assert second.stop()[0] == 0


def test_bad_snapshot_file_is_a_clean_error(tmp_path: Path) -> None:
    snap = tmp_path / "broken.json"
    snap.write_text("{not json")
    result = subprocess.run([sys.executable, "-m", "reconciler", "sandbox", "--snapshot", str(snap)],
                            check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "unreadable snapshot" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.real_hydra
def test_real_hydra_option_runs_the_real_server(hydra_binary: Path) -> None:
    box = SandboxProcess("--real-hydra")
    try:
        children = [p.name() for p in psutil.Process(box.proc.pid).children(recursive=True)]
        assert "hydra" in children
        hydra, public = box.info["hydra-admin"], box.info["hydra-public"]
        assert httpx.get(f"{hydra}/version").json() == {"version": "v2.3.0"}
        created = httpx.post(f"{hydra}/admin/clients", json={"client_id": "r", "client_secret": "real-secret",
                                                              "grant_types": ["client_credentials"]})
        assert created.status_code == 201
        assert secret_works(public, "r", "real-secret")
    finally:
        assert box.stop()[0] == 0
    assert psutil.Process().children(recursive=True) == []


def test_help_mentions_the_real_hydra_default() -> None:
    result = subprocess.run([sys.executable, "-m", "reconciler", "sandbox", "--help"],
                            check=False, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for option in ("--host", "--hydra-port", "--apisix-port", "--apisix-admin-key", "--apisix-viewer-key",
                   "--apisix-version", "--hydra-version", "--real-hydra / --no-real-hydra", "--snapshot"):
        assert option in result.stdout
    assert "the emulator is used" in " ".join(result.stdout.split())


# -- the same machinery in process: Sandbox, RealHydra and the fixtures ---------------------------


def test_sandbox_fixture_serves_both_apis_and_counts_faults(sandbox: Sandbox) -> None:
    assert sandbox.hydra is not None and sandbox.hydra_faults is sandbox.hydra.faults
    sandbox.apisix_faults.add("status", method="GET", path="/apisix/admin/routes", nth=1, status=503)
    key = {"X-API-KEY": sandbox.apisix_admin_key}
    assert httpx.get(f"{sandbox.apisix_admin_url}/apisix/admin/routes", headers=key).status_code == 503
    assert httpx.get(f"{sandbox.apisix_admin_url}/apisix/admin/routes", headers=key).status_code == 200
    assert sandbox.apisix_faults.counts == {"status": 1}
    assert httpx.get(f"{sandbox.hydra_admin_url}/admin/clients").json() == []
    assert httpx.get(f"{sandbox.hydra_public_url}/health/alive").status_code == 200


def test_save_snapshot_then_restore_in_process(tmp_path: Path) -> None:
    snap = tmp_path / "s.json"
    with Sandbox(snapshot=snap) as box:
        httpx.post(f"{box.hydra_admin_url}/admin/clients", json={"client_id": "p"}).raise_for_status()
        assert box.save_snapshot() == snap
        saved = json.loads(snap.read_text())
        assert saved["format"] == 1 and saved["hydra"]["clients"][0]["client"]["client_id"] == "p"
        httpx.delete(f"{box.hydra_admin_url}/admin/clients/p").raise_for_status()
    assert json.loads(snap.read_text())["hydra"]["clients"] == []  # stop() saved the later state
    snap.write_text(json.dumps(saved))
    with Sandbox(snapshot=snap) as box:
        assert [c["client_id"] for c in httpx.get(f"{box.hydra_admin_url}/admin/clients").json()] == ["p"]


def test_fixture_emulators_are_fresh_and_reachable(hydra_emulator_urls: Any,
                                                   apisix_emulator: Any) -> None:
    admin, public = hydra_emulator_urls
    assert httpx.get(f"{admin}/admin/clients").headers["x-total-count"] == "0"
    assert httpx.get(f"{public}/health/ready").status_code == 200
    assert hydra_emulator_urls.call(lambda: len(hydra_emulator_urls.emulator.clients)) == 0
    routes = httpx.get(f"{apisix_emulator.url}/apisix/admin/routes", headers={"X-API-KEY": apisix_emulator.admin_key})
    assert routes.status_code == 200 and routes.json()["total"] == 0


def test_real_hydra_requested_without_binary_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.setenv("RECONCILE_HYDRA_BIN", str(tmp_path / "missing"))
    with pytest.raises(SandboxError, match="make hydra"):
        Sandbox(real_hydra=True).start()
    with pytest.raises(SandboxError, match=r"cannot act as 1\.10\.6"):
        Sandbox(real_hydra=True, hydra_version="1.10.6")
    with pytest.raises(SandboxError, match="unsupported Hydra version"):
        Sandbox(hydra_version="9.9.9")


def test_real_hydra_that_dies_shows_its_log_tail(tmp_path: Path) -> None:
    fake = tmp_path / "hydra"
    fake.write_text("#!/bin/sh\necho 'boot: listening on nothing'\necho 'fatal: no database' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(RealHydraError) as caught:
        RealHydra(fake).start()
    message = str(caught.value)
    assert "exited with status 3" in message and "fatal: no database" in message


def test_real_hydra_that_never_gets_ready_is_stopped(tmp_path: Path) -> None:
    fake = tmp_path / "hydra"
    fake.write_text("#!/bin/sh\necho 'still booting'\nexec sleep 60\n")
    fake.chmod(0o755)
    hydra = RealHydra(fake, ready_timeout=0.5)
    with pytest.raises(RealHydraError, match="not ready") as caught:
        hydra.start()
    assert "still booting" in str(caught.value)
    assert hydra.process is None
    assert psutil.Process().children(recursive=True) == []


@pytest.mark.real_hydra
def test_real_hydra_fixture_is_ready(real_hydra: RealHydra) -> None:
    assert httpx.get(f"{real_hydra.admin_url}/health/ready").json() == {"status": "ok"}
    assert httpx.get(f"{real_hydra.public_url}/health/alive").status_code == 200


@pytest.mark.real_hydra
def test_real_hydra_retries_when_a_picked_port_is_taken(hydra_binary: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from reconciler.sandbox import realhydra

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        picks: list[int] = []
        original = realhydra.free_port

        def pick(host: str = "127.0.0.1") -> int:
            picks.append(taken if len(picks) == 1 else original(host))
            return picks[-1]

        monkeypatch.setattr(realhydra, "free_port", pick)
        with RealHydra(hydra_binary) as hydra:
            assert hydra.public_port != taken and len(picks) == 4
            assert httpx.get(f"{hydra.admin_url}/health/ready").status_code == 200
        with pytest.raises(RealHydraError, match="address already in use"):
            RealHydra(hydra_binary, public_port=taken).start()
