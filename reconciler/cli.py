"""The ``reconcile`` command line: wiring only.

Each sub-command lives in ``reconciler/commands/<name>.py`` and is registered here.  Commands
parse options, call the pipeline stages and hand results to ``report``; no stage prints.
Exit codes: 0 success (and no changes with ``--detailed-exitcode``), 1 error, 2 changes or drift.
Click gives usage errors (a mistyped flag, a bad value) exit code 2, which CI would read as
"changes"; ``ReconcileGroup`` turns every usage error into 1, as Terraform does, so 2 keeps
exactly one meaning.
"""

from __future__ import annotations

from typing import Any

import click

from reconciler import __version__

USAGE_EXIT_CODE = 1


class ReconcileGroup(click.Group):
    """A click group whose usage errors exit 1, for the group's own options and every sub-command's."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = USAGE_EXIT_CODE  # type: ignore[misc]  # per instance, on purpose
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's whole first sentence, wrapped, where click would cut it at the line's end."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            exc.exit_code = USAGE_EXIT_CODE  # type: ignore[misc]  # per instance, on purpose
            raise


@click.group(cls=ReconcileGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reconcile")
def cli() -> None:
    """GitOps for the identity edge: Ory Hydra clients and Apache APISIX from one desired state."""


def _register() -> None:
    from reconciler.commands import COMMANDS

    for command in COMMANDS:
        cli.add_command(command)


_register()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="reconcile")
