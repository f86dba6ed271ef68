"""The ``reconcile`` command line: wiring only.

Each sub-command lives in ``reconciler/commands/<name>.py`` and is listed in
``reconciler.commands.COMMANDS``.  The group loads a command's module only when that command
runs: ``reconcile --version`` and ``--help`` import click and nothing heavy, because a CLI run
in every CI job and pre-commit hook should start in a blink.  Commands parse options, call the
pipeline stages and hand results to ``report``; no stage prints.
Exit codes: 0 success (and no changes with ``--detailed-exitcode``), 1 error, 2 changes or drift.
Click gives usage errors (a mistyped flag, a bad value) exit code 2, which CI would read as
"changes"; ``ReconcileGroup`` turns every usage error into 1, as Terraform does, so 2 keeps
exactly one meaning.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from reconciler import __version__
from reconciler.commands import COMMANDS

USAGE_EXIT_CODE = 1


class ReconcileGroup(click.Group):
    """A click group whose usage errors exit 1, for the group's own options and every sub-command's,
    and whose sub-commands are imported on first use (click's documented lazy-group pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, in help order, without importing any."""
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command, imported now."""
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return super().get_command(ctx, cmd_name)
        command = getattr(importlib.import_module(entry.module), entry.attribute)
        assert isinstance(command, click.Command)
        return command

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            exc.exit_code = USAGE_EXIT_CODE  # type: ignore[misc]  # per instance, on purpose
            raise

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command's whole first sentence, wrapped, where click would cut it at the line's end;
        taken from the command table, so that listing the commands imports none of them."""
        rows = []
        for name in self.list_commands(ctx):
            entry = COMMANDS.get(name)
            if entry is not None:
                rows.append((name, click.Command(name, help=entry.summary).get_short_help_str(limit=1000)))
                continue
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


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="reconcile")
