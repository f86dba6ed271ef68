"""``reconcile drift``: a read-only comparison of the live servers with Git, made for a schedule.

It reads both servers, plans with every prune guard opened (so the findings are exactly what a
``reconcile apply --prune`` would change) and reports modified, missing, orphaned, conflicting
and (with ``--include-unmanaged``) unmanaged objects.  Exit codes: 0 in sync, 2 drift, 1 error;
an incomplete read is an error, because a check that could not read everything has not shown
that the servers are in sync.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from reconciler.commands.common import (
    build_connection,
    build_options,
    connection_options,
    desired_options,
    handle_errors,
    load_or_exit,
    ownership_options,
)
from reconciler.plan.drift import classify, drift_options
from reconciler.report.drift import INCOMPLETE_DRIFT, render_drift
from reconciler.run.engine import fetch_and_plan


@click.command("drift")
@desired_options
@connection_options
@ownership_options
@click.option("--include-unmanaged", is_flag=True,
              help="Also report live objects inside the selector that nothing owns.")
@click.option("--output", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@handle_errors
def drift_command(path: Path, var_files: tuple[Path, ...], include_unmanaged: bool, fmt: str, **kw: Any) -> None:
    """Compare live state with the desired state under PATH; exit 0 in sync, 2 drift, 1 error."""
    desired = load_or_exit(path, var_files)
    conn = build_connection(kw)
    options = build_options(kw)
    run = fetch_and_plan(desired, conn, drift_options(options))
    report = classify(desired, run.live, run.plan, options, include_unmanaged=include_unmanaged)
    click.echo(render_drift(report, fmt), nl=False)
    if not report.complete:
        click.echo(INCOMPLETE_DRIFT, err=True)
    for error in report.errors:
        click.echo(f"Error: {error}", err=True)
    sys.exit(report.exit_code)
