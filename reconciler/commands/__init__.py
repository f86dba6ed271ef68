"""Sub-commands of ``reconcile``, one module each; ``COMMANDS`` lists them in help order.

Each entry names the module and the attribute that hold the command, and carries the first
paragraph of its help, which ``reconcile --help`` shortens and prints, so that listing the
commands imports none of them: a command (with pydantic, httpx, deepdiff, jsonschema or the
sandbox behind it) is imported only when it runs (click's lazy-group pattern, in ``cli.py``).
A test checks each summary against the command's own docstring.
"""

from __future__ import annotations

from typing import NamedTuple


class LazyCommand(NamedTuple):
    """Where a sub-command lives, and the first paragraph of its help."""

    module: str
    attribute: str
    summary: str


COMMANDS: dict[str, LazyCommand] = {
    "validate": LazyCommand(
        "reconciler.commands.validate", "validate",
        "Validate the desired state under PATH (default: desired-state) without any network call."),
    "schema": LazyCommand(
        "reconciler.commands.schema", "schema",
        "Write DIR/desired-state.schema.json, generated from the desired-state models."),
    "plan": LazyCommand(
        "reconciler.commands.plan", "plan_command",
        "Show what apply would change for the desired state under PATH."),
    "apply": LazyCommand(
        "reconciler.commands.apply", "apply_command",
        "Apply the desired state under PATH (or a plan file saved by `reconcile plan --out`)."),
    "drift": LazyCommand(
        "reconciler.commands.drift", "drift_command",
        "Compare live state with the desired state under PATH; exit 0 in sync, 2 drift, 1 error."),
    "dump": LazyCommand(
        "reconciler.commands.dump", "dump_command",
        "Write the live objects as desired-state YAML files under --out."),
    "sandbox": LazyCommand(
        "reconciler.commands.sandbox", "sandbox",
        "Run loopback Hydra and APISIX admin servers until Ctrl-C or SIGTERM."),
    "verify": LazyCommand(
        "reconciler.commands.verify", "verify_command",
        "Prove that the clients, plugins and logins under PATH work against the live servers."),
}
