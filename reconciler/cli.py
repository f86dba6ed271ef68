"""The ``reconcile`` command line: wiring only.

Each sub-command lives in ``reconciler/commands/<name>.py`` and is registered here.  Commands
parse options, call the pipeline stages and hand results to ``report``; no stage prints.
Exit codes: 0 success (and no changes with ``--detailed-exitcode``), 1 error, 2 changes or drift.
"""

from __future__ import annotations

import click

from reconciler import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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
