"""``reconcile apply``: make the servers match the desired state, or apply a saved plan.

It shows the plan and asks on a terminal (``--auto-approve`` for CI), then applies level by
level with bounded concurrency.  It ends with what was applied, what failed (with the server's
message) and what was skipped (with the reason); exit 1 if anything failed or was skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

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
from reconciler.commands.plan import prune_options
from reconciler.commands.verify import VERIFY_KEYS, run_verify, verify_options
from reconciler.plan.changes import Plan
from reconciler.report import render_plan
from reconciler.report.colors import use_color
from reconciler.report.progress import ApplyPrinter
from reconciler.run.engine import Run, plan_and_apply
from reconciler.run.lease import LeaseSettings


@click.command("apply")
@desired_options
@connection_options
@ownership_options
@prune_options
@click.option("--auto-approve", is_flag=True, help="Apply without asking.")
@click.option("--parallelism", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Changes applied at once within a level.")
@click.option("--rps", type=click.FloatRange(min=0.1), default=None, help="Cap on requests per second.")
@click.option("--output", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json streams one JSON event per line.")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Seconds to wait for another apply's lease (docs/concurrency.md).")
@click.option("--lock-ttl", type=click.FloatRange(min=10), default=300.0, show_default=True,
              help="Seconds a lease lives unless renewed (a killed apply blocks others this long).")
@click.option("--no-lock", is_flag=True, help="Do not take the lease (unsafe if applies can overlap).")
@click.option("--recheck", is_flag=True,
              help="Re-read each object right before writing it; refuse the write if it changed (one GET more).")
@click.option("--verify", "then_verify", is_flag=True, help="After a successful apply, run `reconcile verify`.")
@verify_options
@handle_errors
def apply_command(path: Path, var_files: tuple[Path, ...], auto_approve: bool, parallelism: int,
                  rps: float | None, fmt: str, then_verify: bool, lock_timeout: float, lock_ttl: float,
                  no_lock: bool, recheck: bool, **kw: Any) -> None:
    """Apply the desired state under PATH (or a plan file saved by `reconcile plan --out`)."""
    conn = build_connection(kw)
    lease = LeaseSettings(enabled=not no_lock, timeout=lock_timeout, ttl=lock_ttl)
    verify_kw = {k: kw.pop(k) for k in VERIFY_KEYS}
    if then_verify and path.is_file() and path.suffix == ".json":
        raise click.UsageError("--verify needs the desired state (PATH), not a saved plan")
    if path.is_file() and path.suffix == ".json":
        from reconciler.run.planfile import apply_saved_plan

        printers: list[ApplyPrinter] = []

        def factory(total: int) -> ApplyPrinter:
            printers.append(_printer(fmt, total))
            return printers[-1]

        try:
            run = apply_saved_plan(path, conn, parallelism=parallelism, rps=rps, observer_factory=factory,
                                   lease=lease)
        except KeyboardInterrupt:
            _interrupted(printers[-1] if printers else None)
        if run.result is None and fmt == "text":
            # An empty saved plan still answers: silence would read as "did it even run?".
            click.echo("No changes. The saved plan holds nothing to apply.")
        _finish(run, fmt, printers[-1] if printers else None)
        return
    desired = load_or_exit(path, var_files)
    options = build_options(kw, prune=kw.pop("prune"), allow_empty=kw.pop("allow_empty"),
                            max_deletes=kw.pop("max_deletes"), adopt=kw.pop("adopt"))
    color = fmt == "text" and use_color(sys.stdout)
    printer: ApplyPrinter | None = None

    def confirm(plan: Plan) -> bool:
        nonlocal printer
        if fmt == "text":
            click.echo(render_plan(plan, "text", color=color), nl=False)
        if not auto_approve:
            if not sys.stdin.isatty():
                raise click.UsageError("apply needs --auto-approve when not run on a terminal")
            if not click.confirm("Apply these changes?", default=False):
                click.echo("Apply cancelled; nothing was changed.")
                return False
        printer = _printer(fmt, sum(1 for c in plan.changes if c.action.value != "noop"))
        return True

    def observer(event: Any) -> None:
        if printer is not None:
            printer(event)

    try:
        run = plan_and_apply(desired, conn, options, confirm=confirm, parallelism=parallelism, rps=rps,
                             observer=observer, lease=lease, recheck=recheck)
    except KeyboardInterrupt:
        _interrupted(printer)
    if run.result is None and not run.plan.has_changes:
        if fmt == "text":
            click.echo(render_plan(run.plan, "text", color=color), nl=False)
    else:
        _finish(run, fmt, printer)
    if then_verify and (run.result is not None or not run.plan.has_changes):
        if fmt == "text":
            click.echo("\nVerifying the logins (reconcile verify):")
        if not run_verify(desired, conn, verify_kw, fmt=fmt):
            sys.exit(1)


def _printer(fmt: str, total: int) -> ApplyPrinter:
    return ApplyPrinter(sys.stdout, fmt, total=total, color=fmt == "text" and use_color(sys.stdout))  # type: ignore[arg-type]


def _interrupted(printer: ApplyPrinter | None) -> NoReturn:
    """Ctrl-C: say how far apply got and how to go on, instead of click's bare 'Aborted!'."""
    if printer is None:
        click.echo("Interrupted; nothing was changed.", err=True)
        sys.exit(130)
    printer.close()
    click.echo(f"Interrupted after {printer.done} of {printer.total} changes finished; the changes being sent "
               "at that moment may or may not have landed.  Run `reconcile plan` to see what is left; "
               "running apply again converges.", err=True)
    sys.exit(130)


def _finish(run: Run, fmt: str, printer: ApplyPrinter | None) -> None:
    if run.result is None:
        return
    if printer is None:
        printer = _printer(fmt, 0)
    printer.finish(run.result)
    if not run.result.ok:
        sys.exit(1)
