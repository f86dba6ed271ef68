"""One object that starts a whole sandbox: Hydra (emulated or real) plus the APISIX emulator.

``reconcile sandbox``, ``make demo``, the test fixtures and the benchmarks all need the same
three listeners on loopback, the same defaults and the same snapshot file format, so they all
go through ``Sandbox`` rather than wiring servers themselves.  Emulators run on one event loop
in a daemon thread (``ServerThread``); real Hydra runs as a child process (``RealHydra``).

Snapshot file (JSON): ``{"format": 1, "hydra": <HydraEmulator.snapshot()> | null,
"apisix": <ApisixEmulator.snapshot()>}``.  With real Hydra the ``hydra`` part is null: its
secrets are stored hashed inside the process and cannot be saved.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from reconciler.errors import ReconcilerError
from reconciler.sandbox.faults import FaultInjector
from reconciler.sandbox.http import HTTPServer, ServerThread
from reconciler.sandbox.realhydra import RealHydra, RealHydraError, find_hydra_binary

if TYPE_CHECKING:
    from reconciler.sandbox.apisix import ApisixEmulator
    from reconciler.sandbox.gateway import Gateway
    from reconciler.sandbox.hydra import HydraEmulator
    from reconciler.sandbox.login_app import LoginApp

DEFAULT_ADMIN_KEY = "edd1c9f034335f136f87ad84b625c8f1"
DEFAULT_VIEWER_KEY = "4054f7cf07e344346cd3f287985e76a2"
DEFAULT_APISIX_VERSION = "3.18.0"
DEFAULT_HYDRA_VERSION = "2.3.0"
HYDRA_VERSIONS = ("2.3.0", "1.10.6")
REAL_HYDRA_VERSION = "2.3.0"
ENV_REAL_HYDRA = "RECONCILE_REAL_HYDRA"
SNAPSHOT_FORMAT = 1


class SandboxError(ReconcilerError):
    """The sandbox could not start, or its snapshot file is unusable."""


def _env_wants_real_hydra() -> bool:
    return os.environ.get(ENV_REAL_HYDRA, "").strip().lower() in {"1", "true", "yes", "on"}


class Sandbox:
    """Hydra admin + public and APISIX admin listeners on ``host``; ports of 0 pick free ones.

    ``real_hydra``: True runs ``bin/hydra`` (see ``find_hydra_binary``), False the emulator,
    None the emulator unless ``$RECONCILE_REAL_HYDRA`` is set to a true value.  ``snapshot``:
    a JSON file loaded at ``start()`` when it exists and written by ``save_snapshot()`` and at
    ``stop()``.  URLs and ``hydra``/``apisix`` are set once ``start()`` returns.
    """

    def __init__(self, host: str = "127.0.0.1", hydra_port: int = 0, hydra_public_port: int = 0,
                 apisix_port: int = 0, apisix_admin_key: str = DEFAULT_ADMIN_KEY,
                 apisix_viewer_key: str = DEFAULT_VIEWER_KEY, apisix_version: str = DEFAULT_APISIX_VERSION,
                 hydra_version: str = DEFAULT_HYDRA_VERSION, real_hydra: bool | None = None,
                 snapshot: Path | None = None, gateway: bool = False, gateway_port: int = 0,
                 login_port: int = 0, upstream_port: int = 0,
                 apisix_enable_plugins: tuple[str, ...] = ()) -> None:
        if hydra_version not in HYDRA_VERSIONS:
            raise SandboxError(
                f"unsupported Hydra version {hydra_version!r}: use one of {', '.join(HYDRA_VERSIONS)}")
        self.host = host
        self.hydra_port = hydra_port
        self.hydra_public_port = hydra_public_port
        self.apisix_port = apisix_port
        self.apisix_admin_key = apisix_admin_key
        self.apisix_viewer_key = apisix_viewer_key
        self.apisix_version = apisix_version
        self.hydra_version = hydra_version
        self.real_hydra = _env_wants_real_hydra() if real_hydra is None else real_hydra
        if self.real_hydra and hydra_version != REAL_HYDRA_VERSION:
            raise SandboxError(
                f"real Hydra is built at v{REAL_HYDRA_VERSION}; it cannot act as {hydra_version}")
        self.snapshot = Path(snapshot) if snapshot is not None else None
        #: plugins enabled on top of 3.18's default list (as ``plugins:`` in APISIX's config.yaml)
        self.apisix_enable_plugins = apisix_enable_plugins
        self.gateway = gateway
        self.gateway_port = gateway_port
        self.gateway_url = ""
        self.data_plane: Gateway | None = None
        self.login_port = login_port
        self.upstream_port = upstream_port
        self.login_url = ""
        """The login and consent app (``login_app``), Hydra's login, consent and logout URLs point at it."""
        self.upstream_url = ""
        """The upstream hello page (``upstream``), standing in for the seed's nginx."""
        self.hydra: HydraEmulator | None = None
        self.apisix: ApisixEmulator | None = None
        self.real: RealHydra | None = None
        self.hydra_admin_url = ""
        self.hydra_public_url = ""
        self.apisix_admin_url = ""
        self._thread: ServerThread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start every server and return once all of them accept requests."""
        if self._thread is not None:
            return self
        saved = self._read_snapshot()
        try:
            self._start(saved)
        except BaseException:
            self._shutdown()
            raise
        return self

    def _start(self, saved: dict[str, Any] | None) -> None:
        from reconciler.sandbox.apisix import ApisixEmulator
        from reconciler.sandbox.apisix_plugins import DEFAULT_ENABLED

        extra = self.apisix_enable_plugins
        self.apisix = ApisixEmulator(self.apisix_version, admin_key=self.apisix_admin_key,
                                     viewer_key=self.apisix_viewer_key,
                                     plugins=[*DEFAULT_ENABLED, *extra] if extra else None)
        servers: list[HTTPServer] = [self.apisix.server(self.host, self.apisix_port)]
        gateway_server = self._gateway_server()
        if not self.real_hydra:
            from reconciler.sandbox.hydra import HydraEmulator

            self.hydra = HydraEmulator(self.hydra_version)
            servers.extend(self.hydra.servers(self.host, self.hydra_port, self.hydra_public_port))
        login_app, login_server, upstream_server = self._login_and_upstream()
        thread = ServerThread(*servers, *([gateway_server] if gateway_server is not None else []),
                              login_server, upstream_server)
        try:
            thread.start()
        except OSError as exc:
            raise SandboxError(f"cannot listen on {self.host}: {exc}") from exc
        self._thread = thread
        self.apisix_admin_url = servers[0].url
        if gateway_server is not None:
            self.gateway_url = gateway_server.url
        self.login_url, self.upstream_url = login_server.url, upstream_server.url
        if self.real_hydra:
            self._start_real_hydra()  # after the login app listens: its URLs are Hydra's configuration
        if self.real is not None:
            self.hydra_admin_url, self.hydra_public_url = self.real.admin_url, self.real.public_url
        else:
            hydra = self.hydra
            assert hydra is not None
            self.hydra_admin_url, self.hydra_public_url = servers[1].url, servers[2].url
            admin_url, public_url = self.hydra_admin_url, self.hydra_public_url

            login_url = self.login_url

            def _self_urls() -> None:
                hydra.set_admin_url(admin_url)
                hydra.set_public_url(public_url)
                hydra.set_login_urls(login_url + "/login", login_url + "/consent", login_url + "/logout")

            thread.call(_self_urls)
        login_app.admin_url = self.hydra_admin_url
        if saved is not None:
            self._restore(saved)

    def _login_and_upstream(self) -> tuple[LoginApp, HTTPServer, HTTPServer]:
        """The login and consent app and the upstream hello page (the seed's nginx)."""
        from reconciler.sandbox.login_app import LoginApp
        from reconciler.sandbox.upstream import hello

        app = LoginApp()
        return app, HTTPServer(app.handle, self.host, self.login_port), HTTPServer(hello, self.host,
                                                                                   self.upstream_port)

    def _start_real_hydra(self) -> None:
        binary = find_hydra_binary()
        if binary is None:
            raise SandboxError("real Hydra requested but bin/hydra is not built: run `make hydra` "
                               "(or set $RECONCILE_HYDRA_BIN)")
        env = {"URLS_LOGIN": self.login_url + "/login", "URLS_CONSENT": self.login_url + "/consent",
               "URLS_LOGOUT": self.login_url + "/logout"}
        self.real = RealHydra(binary, self.host, admin_port=self.hydra_port, public_port=self.hydra_public_port,
                              extra_env=env)
        try:
            self.real.start()
        except RealHydraError as exc:
            raise SandboxError(str(exc)) from exc

    def _gateway_server(self) -> HTTPServer | None:
        """The data plane over the APISIX emulator's store, when ``gateway`` is set."""
        if not self.gateway:
            return None
        from reconciler.sandbox.gateway import Gateway

        assert self.apisix is not None
        self.data_plane = Gateway(self.apisix, self.apisix_version)
        return self.data_plane.server(self.host, self.gateway_port)

    def stop(self) -> None:
        """Save the snapshot (when configured) and stop every server.  Safe to call twice."""
        if self._thread is None and self.real is None:
            return
        try:
            if self.snapshot is not None and self._thread is not None:
                self.save_snapshot()
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.stop()
        real, self.real = self.real, None
        if real is not None:
            real.stop()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- faults ------------------------------------------------------------------------------

    @property
    def hydra_faults(self) -> FaultInjector | None:
        """The Hydra emulator's fault injector; None with real Hydra."""
        return self.hydra.faults if self.hydra is not None else None

    @property
    def apisix_faults(self) -> FaultInjector:
        """The APISIX emulator's fault injector."""
        if self.apisix is None:
            raise SandboxError("the sandbox is not started")
        return self.apisix.faults

    # -- snapshots ---------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The current state of both emulators, as written to the snapshot file."""
        thread, apisix = self._thread, self.apisix
        if thread is None or apisix is None:
            raise SandboxError("the sandbox is not started")
        hydra = self.hydra
        return {
            "format": SNAPSHOT_FORMAT,
            "hydra": thread.call(hydra.snapshot) if hydra is not None else None,
            "apisix": thread.call(apisix.snapshot),
        }

    def save_snapshot(self, path: Path | None = None) -> Path:
        """Write the state to ``path`` (default: the ``snapshot`` file) atomically; returns the path."""
        target = Path(path) if path is not None else self.snapshot
        if target is None:
            raise SandboxError("no snapshot file configured")
        data = json.dumps(self.state(), indent=1, sort_keys=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(data + "\n")
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def _read_snapshot(self) -> dict[str, Any] | None:
        if self.snapshot is None or not self.snapshot.exists():
            return None
        try:
            data = json.loads(self.snapshot.read_text())
        except (OSError, ValueError) as exc:
            raise SandboxError(f"{self.snapshot}: unreadable snapshot: {exc}") from exc
        if not isinstance(data, dict) or data.get("format") != SNAPSHOT_FORMAT:
            raise SandboxError(f"{self.snapshot}: not a sandbox snapshot (format {SNAPSHOT_FORMAT})")
        return data

    def _restore(self, data: dict[str, Any]) -> None:
        thread, apisix, hydra = self._thread, self.apisix, self.hydra
        assert thread is not None and apisix is not None
        if data.get("apisix") is not None:
            saved_apisix = data["apisix"]
            thread.call(lambda: apisix.restore(saved_apisix))
        if hydra is not None and data.get("hydra") is not None:
            saved_hydra = data["hydra"]
            thread.call(lambda: hydra.restore(saved_hydra))
