"""``reconcile plan``: read both servers and show, field by field, what apply would change.

Read-only.  Exit codes follow Terraform: 0 on success; with ``--detailed-exitcode`` 0 means no
changes and 2 means changes; 1 is always an error (a plan with errors included).
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
from reconciler.report import render_plan
from reconciler.report.colors import use_color
from reconciler.run.engine import fetch_and_plan


def prune_options(f: Any) -> Any:
    """--prune, --allow-empty, --max-deletes, --adopt."""
    f = click.option("--adopt", is_flag=True, help="Take over existing unmanaged objects that are declared.")(f)
    f = click.option("--max-deletes", type=int, default=20, show_default=True,
                     help="Refuse to apply more deletions than this.")(f)
    f = click.option("--allow-empty", is_flag=True,
                     help="Allow pruning every owned object of a kind the desired state leaves empty.")(f)
    return click.option("--prune", is_flag=True, help="Delete owned objects that are no longer declared.")(f)


@click.command("plan")
@desired_options
@connection_options
@ownership_options
@prune_options
@click.option("--output", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Also save the plan to this file for `reconcile apply FILE`.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when there are changes, 0 when there are none.")
@handle_errors
def plan_command(path: Path, var_files: tuple[Path, ...], fmt: str, out: Path | None, detailed_exitcode: bool,
                 **kw: Any) -> None:
    """Show what apply would change for the desired state under PATH."""
    desired = load_or_exit(path, var_files)
    conn = build_connection(kw)
    options = build_options(kw, prune=kw.pop("prune"), allow_empty=kw.pop("allow_empty"),
                            max_deletes=kw.pop("max_deletes"), adopt=kw.pop("adopt"))
    run = fetch_and_plan(desired, conn, options)
    click.echo(render_plan(run.plan, fmt, color=fmt == "text" and use_color(sys.stdout)), nl=False)  # type: ignore[arg-type]
    if out is not None:
        from reconciler.run.planfile import save_plan

        save_plan(out, run.plan, desired, path=path, var_files=var_files, options=options, live=run.live, conn=conn)
        click.echo(f"Saved the plan to {out}; apply it with: reconcile apply {out}", err=True)
    if run.plan.errors:
        sys.exit(1)
    if detailed_exitcode and run.plan.has_changes:
        sys.exit(2)
