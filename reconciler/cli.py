"""The ``reconcile`` command line: wiring only.

Each sub-command lives in ``reconciler/commands/<name>.py`` and is listed in
``reconciler.commands.COMMANDS``.  The group loads a command's module only when that command
runs: ``reconcile --version`` and ``--help`` import click and nothing heavy, because a CLI run
in every CI job and pre-commit hook should start in a blink.  Commands parse options, call the
pipeline stages and hand results to ``report``; no stage prints.
Exit codes: 0 success (and no changes with ``--detailed-exitcode``), 1 error, 2 changes or drift.
"""

from __future__ import annotations

import importlib

import click

from reconciler import __version__
from reconciler.commands import COMMANDS


class LazyGroup(click.Group):
    """A group whose sub-commands are imported on first use (click's documented lazy-group pattern)."""

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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands section of ``--help``, shortened as click does, from the table's summaries."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows: list[tuple[str, str]] = []
        for name in names:
            entry = COMMANDS.get(name)
            if entry is not None:
                rows.append((name, click.Command(name, help=entry.summary).get_short_help_str(limit)))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="reconcile")
def cli() -> None:
    """GitOps for the identity edge: Ory Hydra clients and Apache APISIX from one desired state."""


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="reconcile")
