"""``reconcile sandbox``: run the loopback Hydra and APISIX servers in the foreground.

A user can try a desired state with no gateway at hand, and scripts (``make demo``, the
end-to-end tests) can start one and read where it listens: once every server accepts
requests the command prints exactly one line per server and one for the APISIX admin key,
flushes, and then waits for Ctrl-C or SIGTERM, on which it stops cleanly with exit 0.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click

from reconciler.errors import ReconcilerError
from reconciler.sandbox.runner import (
    DEFAULT_ADMIN_KEY,
    DEFAULT_APISIX_VERSION,
    DEFAULT_HYDRA_VERSION,
    DEFAULT_VIEWER_KEY,
    HYDRA_VERSIONS,
    Sandbox,
)


@click.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address every server binds to.")
@click.option("--hydra-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Hydra admin port (0: a free port).")
@click.option("--hydra-public-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Hydra public port, serving /oauth2/token (0: a free port).")
@click.option("--apisix-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="APISIX Admin API port (0: a free port).")
@click.option("--apisix-admin-key", default=DEFAULT_ADMIN_KEY, show_default=True,
              help="X-API-KEY of the APISIX admin role.")
@click.option("--apisix-viewer-key", default=DEFAULT_VIEWER_KEY, show_default=True,
              help="X-API-KEY of the APISIX viewer role (the key APISIX shipped up to 3.9).")
@click.option("--apisix-version", default=DEFAULT_APISIX_VERSION, show_default=True,
              help="APISIX version to behave as; 3.13.0 or older selects the legacy mode.")
@click.option("--hydra-version", type=click.Choice(HYDRA_VERSIONS), default=DEFAULT_HYDRA_VERSION,
              show_default=True, help="Hydra version the emulator behaves as.")
@click.option("--real-hydra/--no-real-hydra", default=False, show_default=True,
              help="Run the real Ory Hydra v2.3.0 from bin/hydra (build it with `make hydra`) "
                   "instead of the Hydra emulator.  Off by default: the emulator is used.")
@click.option("--snapshot", "snapshot", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="State file: loaded at start when it exists, written at stop.  With --real-hydra "
                   "it keeps only the APISIX state.")
@click.option("--gateway/--no-gateway", default=False, show_default=True,
              help="Also serve APISIX's data plane (routes, plugins, proxying) from the emulated Admin API.")
@click.option("--gateway-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Gateway (data plane) port with --gateway (0: a free port).")
@click.option("--login-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Login and consent app port; Hydra's login, consent and logout URLs point at it (0: a free port).")
@click.option("--upstream-port", type=click.IntRange(0, 65535), default=0, show_default=True,
              help="Upstream hello page port, standing in for the seed's nginx at 8081 (0: a free port).")
@click.option("--apisix-enable-plugin", "enable_plugins", multiple=True, metavar="NAME",
              help="Enable an APISIX 3.18 plugin that is off by default (e.g. opentelemetry); repeatable.")
def sandbox(host: str, hydra_port: int, hydra_public_port: int, apisix_port: int, apisix_admin_key: str,
            apisix_viewer_key: str, apisix_version: str, hydra_version: str, real_hydra: bool,
            snapshot: Path | None, gateway: bool, gateway_port: int, login_port: int, upstream_port: int,
            enable_plugins: tuple[str, ...]) -> None:
    """Run loopback Hydra and APISIX admin servers until Ctrl-C or SIGTERM.

    Once every server accepts requests, prints one line each:
    hydra-admin, hydra-public and apisix-admin URLs, then apisix-admin-key, then (with
    --gateway) the gateway URL, then the login app's and the upstream page's URLs.
    """
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    box = Sandbox(host=host, hydra_port=hydra_port, hydra_public_port=hydra_public_port,
                  apisix_port=apisix_port, apisix_admin_key=apisix_admin_key,
                  apisix_viewer_key=apisix_viewer_key, apisix_version=apisix_version,
                  hydra_version=hydra_version, real_hydra=real_hydra, snapshot=snapshot,
                  gateway=gateway, gateway_port=gateway_port, login_port=login_port, upstream_port=upstream_port,
                  apisix_enable_plugins=enable_plugins)
    try:
        try:
            box.start()
        except ReconcilerError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"hydra-admin: {box.hydra_admin_url}")
        click.echo(f"hydra-public: {box.hydra_public_url}")
        click.echo(f"apisix-admin: {box.apisix_admin_url}")
        click.echo(f"apisix-admin-key: {box.apisix_admin_key}")
        if box.gateway_url:
            click.echo(f"gateway: {box.gateway_url}")
        click.echo(f"login: {box.login_url}")
        click.echo(f"upstream: {box.upstream_url}")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        try:
            box.stop()
        except (ReconcilerError, OSError) as exc:
            raise click.ClickException(f"stopping the sandbox: {exc}") from exc
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
