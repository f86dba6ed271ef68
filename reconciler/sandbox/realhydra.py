"""Runs a real Ory Hydra (``bin/hydra``, built by ``make hydra``) as a throwaway child process.

The emulator is our reading of Hydra; the real server is the referee.  Tests, differential
checks and ``reconcile sandbox --real-hydra`` all start it the same way, as the Hydra spec (§8)
works out: ``serve all --dev --sqa-opt-out`` with an in-memory SQLite database, a random
system secret, both ports on free loopback ports and the self URLs set so that generated URLs
carry the right host.  Startup waits for ``/health/ready``; a failure shows the tail of the
server's log, which is captured to a temporary file rather than mixed into ours.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from reconciler.errors import ReconcilerError

ENV_BINARY = "RECONCILE_HYDRA_BIN"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
LOG_TAIL_LINES = 40
PORT_ATTEMPTS = 3


class RealHydraError(ReconcilerError):
    """Real Hydra could not be found, started or made ready."""


def repo_root() -> Path:
    """The source checkout this package lives in (``bin/`` and ``tools/`` are next to it)."""
    return Path(__file__).resolve().parents[2]


def find_hydra_binary() -> Path | None:
    """``$RECONCILE_HYDRA_BIN`` when set, else ``<repo>/bin/hydra``; None when not executable."""
    override = os.environ.get(ENV_BINARY)
    candidate = Path(override) if override else repo_root() / "bin" / "hydra"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (the OS picks it; a small race remains)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class RealHydra:
    """One real Hydra process on loopback.  Use ``start()``/``stop()`` or ``with``.

    ``admin_port`` and ``public_port`` of 0 pick free ports.  ``extra_env`` adds or overrides
    configuration variables (config keys upper-cased, dots as underscores).
    """

    def __init__(self, binary: Path, host: str = "127.0.0.1", *, admin_port: int = 0,
                 public_port: int = 0, extra_env: dict[str, str] | None = None,
                 ready_timeout: float = READY_TIMEOUT) -> None:
        self.binary = Path(binary)
        self.host = host
        self.admin_port = admin_port
        self.public_port = public_port
        self.extra_env = dict(extra_env or {})
        self.ready_timeout = ready_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self._log: tempfile._TemporaryFileWrapper[bytes] | None = None

    @property
    def admin_url(self) -> str:
        """Base URL of the admin port, e.g. ``http://127.0.0.1:4445``."""
        return _url(self.host, self.admin_port)

    @property
    def public_url(self) -> str:
        """Base URL of the public port, e.g. ``http://127.0.0.1:4444``."""
        return _url(self.host, self.public_port)

    def environment(self) -> dict[str, str]:
        """The process environment Hydra is started with (includes a fresh system secret)."""
        env = dict(os.environ)
        env.update({
            "DSN": "memory",
            "SECRETS_SYSTEM": secrets.token_urlsafe(32),
            "SERVE_ADMIN_HOST": self.host,
            "SERVE_ADMIN_PORT": str(self.admin_port),
            "SERVE_PUBLIC_HOST": self.host,
            "SERVE_PUBLIC_PORT": str(self.public_port),
            "URLS_SELF_ISSUER": self.public_url + "/",
            "URLS_SELF_ADMIN": self.admin_url + "/",
            "LOG_LEVEL": "warn",
            "SQA_OPT_OUT": "true",
        })
        env.update(self.extra_env)
        return env

    def start(self) -> RealHydra:
        """Start the process and wait until ``/health/ready`` answers 200."""
        if self.process is not None:
            return self
        if not (self.binary.is_file() and os.access(self.binary, os.X_OK)):
            raise RealHydraError(f"{self.binary}: no Hydra binary there (run `make hydra`)")
        pick_admin, pick_public = self.admin_port == 0, self.public_port == 0
        # A port picked here can be taken by someone else before Hydra binds it: retry then.
        attempts = PORT_ATTEMPTS if pick_admin or pick_public else 1
        for attempt in range(1, attempts + 1):
            if pick_admin:
                self.admin_port = free_port(self.host)
            if pick_public:
                self.public_port = free_port(self.host)
            self._spawn()
            try:
                self._wait_ready()
                return self
            except RealHydraError as exc:
                lost_port = "address already in use" in exc.args[0]
                self.stop()
                if not lost_port or attempt == attempts:
                    raise
            except BaseException:
                self.stop()
                raise
        raise AssertionError("unreachable")

    def _spawn(self) -> None:
        self._log = tempfile.NamedTemporaryFile(prefix="hydra-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [str(self.binary), "serve", "all", "--dev", "--sqa-opt-out"],
            env=self.environment(), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        url = self.admin_url + "/health/ready"
        with httpx.Client(timeout=2.0) as client:
            while True:
                assert self.process is not None
                code = self.process.poll()
                if code is not None:
                    raise RealHydraError(
                        f"hydra exited with status {code} before it was ready\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    # Ready, and still ours: a stranger on the port would answer while Hydra dies.
                    if client.get(url).status_code == 200 and self.process.poll() is None:
                        return
                if time.monotonic() > deadline:
                    raise RealHydraError(
                        f"hydra not ready at {url} after {self.ready_timeout:g} s\n{self.log_tail()}")
                time.sleep(0.05)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the server's log, for error messages."""
        if self._log is None:
            return ""
        try:
            text = Path(self._log.name).read_text(errors="replace")
        except OSError:
            return ""
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- last lines of {self._log.name} ---\n{tail}"

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; removes the log file."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                process.wait(STOP_TIMEOUT)
        if self._log is not None:
            self._log.close()
            with contextlib.suppress(OSError):
                os.unlink(self._log.name)
            self._log = None

    def __enter__(self) -> RealHydra:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
