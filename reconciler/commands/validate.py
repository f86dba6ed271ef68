"""``reconcile validate``: check a desired state offline and report every problem at once.

No network: it loads, validates and resolves (Hydra client references included) without
talking to Hydra or APISIX, so it runs in pre-commit hooks and CI.  Problems go to stderr,
one ``file:line:column: field.path: message`` per line; exit 0 when valid, 1 when not.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import click

from reconciler.commands.common import desired_options
from reconciler.errors import DesiredStateError
from reconciler.load.loader import load_state, yaml_files
from reconciler.state.registry import LEVELS


@click.command("validate")
@desired_options
def validate(path: Path, var_files: tuple[Path, ...]) -> None:
    """Validate the desired state under PATH (default: desired-state) without any network call."""
    try:
        state = load_state(path, var_files=var_files)
    except DesiredStateError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s) found", err=True)
        raise SystemExit(1) from None
    if not state.systems:
        # plan and apply refuse this too (``load_or_exit``): an empty directory, a README alone or
        # a mistyped path must not pass a CI check that the next apply would fail.
        click.echo(f"{path}: the desired state declares nothing (no hydra: or apisix: section in its YAML "
                   "files)", err=True)
        raise SystemExit(1)
    counts = Counter({kind: len(state.of(kind)) for kind in LEVELS if state.of(kind)})
    total = sum(counts.values())
    detail = ", ".join(f"{kind.value}: {n}" for kind, n in counts.items())
    files = len(yaml_files(path))
    click.echo(f"{files} files, {total} objects: valid" + (f" ({detail})" if detail else ""))
