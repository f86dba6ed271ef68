"""Sub-commands of ``reconcile``, one module each; ``COMMANDS`` lists them in help order."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []

from reconciler.commands.schema import schema  # noqa: E402
from reconciler.commands.validate import validate  # noqa: E402

COMMANDS += [validate, schema]

from reconciler.commands.apply import apply_command  # noqa: E402
from reconciler.commands.plan import plan_command  # noqa: E402

COMMANDS += [plan_command, apply_command]

from reconciler.commands.drift import drift_command  # noqa: E402

COMMANDS.append(drift_command)

from reconciler.commands.dump import dump_command  # noqa: E402

COMMANDS.append(dump_command)

from reconciler.commands.sandbox import sandbox  # noqa: E402

COMMANDS.append(sandbox)

from reconciler.commands.verify import verify_command  # noqa: E402

COMMANDS.append(verify_command)
