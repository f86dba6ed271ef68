"""``reconcile verify``: prove that the logins the desired state configures work, not only that the
stored configuration equals Git.

It reads the desired state and the live servers like ``plan``, then sends real requests:
client secrets at Hydra's token endpoint, each openid-connect plugin as APISIX holds it, and
with ``--gateway-url`` whole logins through the gateway.  Exit 0 when every check passes, 1 on
any failure or error.  ``apply --verify`` runs the same after a successful apply.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler.commands.common import (
    build_connection,
    connection_options,
    desired_options,
    handle_errors,
    load_or_exit,
)
from reconciler.config import Connection
from reconciler.state.kinds import ResolvedState

#: The keyword names ``verify_options`` adds.
VERIFY_KEYS = ("hydra_public_url", "gateway_url", "verify_subject")


def verify_options(f: Any) -> Any:
    """The options verify shares with ``apply --verify``."""
    options = [
        click.option("--hydra-public-url", envvar="HYDRA_PUBLIC_URL",
                     help="Hydra's public URL [env HYDRA_PUBLIC_URL; default: hydra.issuer]."),
        click.option("--gateway-url", help="APISIX's data plane (e.g. http://127.0.0.1:9080): also run logins "
                                          "through the gateway."),
        click.option("--verify-subject", default="reconcile-verify", show_default=True,
                     help="Synthetic subject whose logins are accepted (and whose sessions are revoked after)."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def run_verify(desired: ResolvedState, conn: Connection, kw: dict[str, Any], *, fmt: str,
               only: str | None = None) -> bool:
    """Run verify with the options in ``kw`` (consumed), print the report; True when all passed."""
    from reconciler.report.colors import use_color
    from reconciler.report.verify import render_verify
    from reconciler.run.verify import VerifySettings, verify

    settings = VerifySettings(
        hydra_public_url=kw.pop("hydra_public_url", None) or desired.hydra_issuer,
        gateway_url=kw.pop("gateway_url", None), subject=kw.pop("verify_subject", "reconcile-verify"),
        parallelism=kw.pop("verify_parallelism", 8), only=only)
    try:
        report = verify(desired, conn, settings)
    except KeyboardInterrupt:
        click.echo("Interrupted (the synthetic subject's sessions are revoked on the way out).", err=True)
        sys.exit(130)
    color = fmt == "text" and use_color(sys.stdout)
    click.echo(render_verify(report, fmt, color=color), nl=False)  # type: ignore[arg-type]
    return report.ok


@click.command("verify")
@desired_options
@connection_options
@verify_options
@click.option("--parallelism", "verify_parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Checks run at once.")
@click.option("--only", metavar="KIND.KEY", help="Check one object, e.g. route.photo-backup.")
@click.option("--output", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@handle_errors
def verify_command(path: Path, var_files: tuple[Path, ...], fmt: str, only: str | None, **kw: Any) -> None:
    """Prove that the clients, plugins and logins under PATH work against the live servers."""
    desired = load_or_exit(path, var_files)
    conn = build_connection(kw)
    if not run_verify(desired, conn, kw, fmt=fmt, only=only):
        sys.exit(1)
