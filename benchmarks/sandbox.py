"""``reconcile sandbox`` as a child process, the way a user runs it.

The emulators must not share the measured process's interpreter (or its GIL), so each
benchmark server is a separate ``reconcile sandbox`` process on free ports.  We read the lines
it prints once every server accepts requests, and stop it with SIGTERM, which makes it write
its ``--snapshot`` file: that is how a seeded state is kept and restored before every timed
run that writes.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Final

ROOT: Final = Path(__file__).resolve().parent.parent
BENCH_ADMIN_KEY: Final = "bench-admin-key-0123456789abcdef"
_WANTED: Final = ("hydra-admin", "hydra-public", "apisix-admin", "apisix-admin-key")


class SandboxFailed(RuntimeError):
    """The sandbox process did not start, or died."""


@dataclass
class SandboxProcess:
    """One ``reconcile sandbox`` child.  URLs are set once ``start()`` returns."""

    apisix_version: str = "3.18.0"
    hydra_version: str = "2.3.0"
    snapshot: Path | None = None
    start_timeout: float = 60.0
    urls: dict[str, str] = field(default_factory=dict)
    _proc: subprocess.Popen[bytes] | None = None
    _stderr: IO[bytes] | None = None

    def stderr_text(self) -> str:
        """What the sandbox wrote to stderr so far."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace").strip()

    @property
    def hydra_admin_url(self) -> str:
        """Hydra admin base URL."""
        return self.urls["hydra-admin"]

    @property
    def apisix_admin_url(self) -> str:
        """APISIX Admin API base URL (without ``/apisix/admin``)."""
        return self.urls["apisix-admin"]

    @property
    def admin_key(self) -> str:
        """The APISIX admin key the sandbox printed."""
        return self.urls["apisix-admin-key"]

    def argv(self) -> list[str]:
        """The command line that starts this sandbox."""
        argv = [sys.executable, "-m", "reconciler", "sandbox", "--host", "127.0.0.1",
                "--apisix-version", self.apisix_version, "--hydra-version", self.hydra_version,
                "--apisix-admin-key", BENCH_ADMIN_KEY]
        if self.snapshot is not None:
            argv += ["--snapshot", str(self.snapshot)]
        return argv

    def start(self) -> SandboxProcess:
        """Start the child and wait until it has printed every URL."""
        return self.launch().wait_ready()

    def launch(self) -> SandboxProcess:
        """Start the child without waiting (so that several can start side by side)."""
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the child
        self._proc = subprocess.Popen(self.argv(), cwd=ROOT, stdout=subprocess.PIPE, stderr=self._stderr,
                                      stdin=subprocess.DEVNULL)
        return self

    def wait_ready(self) -> SandboxProcess:
        """Wait until the launched child has printed every URL."""
        proc = self._proc
        assert proc is not None and proc.stdout is not None, "launch() first"
        try:
            self._read_lines(proc, proc.stdout)
        except BaseException:
            self.kill()
            raise
        return self

    def _read_lines(self, proc: subprocess.Popen[bytes], stdout: IO[bytes]) -> None:
        deadline = time.monotonic() + self.start_timeout
        buffer = b""
        with selectors.DefaultSelector() as sel:
            sel.register(stdout, selectors.EVENT_READ)
            while not all(name in self.urls for name in _WANTED):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SandboxFailed(f"sandbox did not print its URLs within {self.start_timeout:.0f} s")
                if not sel.select(timeout=left):
                    continue
                chunk = os.read(stdout.fileno(), 65536)
                if not chunk:
                    raise SandboxFailed(f"sandbox exited with {proc.wait()}: {self.stderr_text()[-2000:]}")
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    name, sep, value = line.decode().partition(": ")
                    if sep and name in _WANTED:
                        self.urls[name] = value.strip()

    def stop(self, timeout: float = 120.0) -> int:
        """SIGTERM, so that the snapshot is written; returns the exit status."""
        proc, self._proc = self._proc, None
        if proc is None:
            return 0
        proc.send_signal(signal.SIGTERM)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            status = proc.wait()
        if status != 0:
            error = self.stderr_text()[-2000:]
            self._close(proc)
            raise SandboxFailed(f"sandbox stopped with status {status}: {error}")
        self._close(proc)
        return status

    def kill(self) -> None:
        """Stop at once, without saving the snapshot (for throwaway servers)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.kill()
        proc.wait()
        self._close(proc)

    def _close(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.stdout is not None:
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def env(self) -> dict[str, str]:
        """Connection environment for ``reconcile`` and the baselines."""
        return {"HYDRA_ADMIN_URL": self.hydra_admin_url, "APISIX_ADMIN_URL": self.apisix_admin_url,
                "APISIX_ADMIN_KEY": self.admin_key}

    def __enter__(self) -> SandboxProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.kill()


def add_latency(box: SandboxProcess, seconds: float) -> None:
    """Delay every request to both admin APIs of ``box`` by ``seconds`` (the emulators' latency
    fault), standing in for a real network and a real store (etcd, SQL)."""
    import httpx

    rule = {"effect": "latency", "method": "*", "path": "/", "delay": seconds}
    for url in (box.hydra_admin_url, box.apisix_admin_url):
        httpx.post(url + "/__sandbox/faults", json=rule, timeout=30).raise_for_status()


def clear_faults(box: SandboxProcess) -> None:
    """Remove every fault rule of ``box``."""
    import httpx

    for url in (box.hydra_admin_url, box.apisix_admin_url):
        httpx.delete(url + "/__sandbox/faults", timeout=30).raise_for_status()
