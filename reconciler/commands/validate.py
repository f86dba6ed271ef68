"""``reconcile validate``: check a desired state offline and report every problem at once.

No network: it loads, validates and resolves (Hydra client references included) without
talking to Hydra or APISIX, so it runs in pre-commit hooks and CI.  Problems go to stderr,
one ``file:line:column: field.path: message`` per line; exit 0 when valid, 1 when not.

Secrets are absent there by design (a laptop, a pull request from a fork), so by default a
``${env:...}`` that is unset or a ``${file:...}`` that does not exist is checked for its form and
its place (the field must take a string) but not for its value; values that are set are checked
in full.  ``--require-secrets`` demands every value, as plan and apply do.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import click

from reconciler.commands.common import desired_options
from reconciler.errors import DesiredStateError
from reconciler.load.loader import load_state, yaml_files
from reconciler.load.variables import is_unresolved
from reconciler.state.kinds import ResolvedState
from reconciler.state.registry import LEVELS

_REFERENCE = re.compile(r"(?<!\$)\$\{((?:env|file):[^}]+)\}")


def _unresolved(value: Any, found: set[str]) -> None:
    if is_unresolved(value):
        found.update(_REFERENCE.findall(value.origin[1]))
    elif isinstance(value, dict):
        for item in value.values():
            _unresolved(item, found)
    elif isinstance(value, list):
        for item in value:
            _unresolved(item, found)


def unresolved_references(state: ResolvedState) -> list[str]:
    """``env:NAME``/``file:path`` of every reference whose value was not at hand, sorted."""
    found: set[str] = set()
    for kind in LEVELS:
        for obj in state.of(kind).values():
            _unresolved(obj.body, found)
    return sorted(found)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@click.command("validate")
@desired_options
@click.option("--require-secrets", is_flag=True,
              help="Every ${env:}/${file:} value must be at hand and is checked (as plan and apply need).")
def validate(path: Path, var_files: tuple[Path, ...], require_secrets: bool) -> None:
    """Validate the desired state under PATH (default: desired-state) without any network call."""
    try:
        state = load_state(path, var_files=var_files, require_values=require_secrets)
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
    click.echo(f"{_plural(files, 'file')}, {_plural(total, 'object')}: valid" + (f" ({detail})" if detail else ""))
    missing = unresolved_references(state)
    if missing:
        click.echo(f"{_plural(len(missing), 'secret reference')} without a value here, checked without it: "
                   f"{', '.join(missing)} (--require-secrets checks the values)")
