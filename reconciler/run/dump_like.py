"""``reconcile dump --like PATH``: a dump shaped like an existing desired state.

A dump is most useful next to the desired state it should match: the diff between the two is
then the drift, line by line.  That needs the same files (an object goes back to the file that
declares it; new objects go to the default file of their kind), the same secret names (a
placeholder reuses the ``${env:NAME}`` the existing state reads at that place) and the same
``hydra.issuer``.  The existing state is read offline: secret values are not needed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reconciler.errors import PlanError
from reconciler.load.loader import load_state
from reconciler.secrets import Secret
from reconciler.state.kinds import Kind
from reconciler.state.registry import LEVELS

_ONE_ENV = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")


@dataclass
class Like:
    """What a dump reuses: each object's file, each secret's variable name, the issuer."""

    files: dict[tuple[Kind, str], str] = field(default_factory=dict)
    names: dict[tuple[str, str], str] = field(default_factory=dict)
    issuer: str | None = None


def _names(address: str, value: Any, path: tuple[str, ...], out: dict[tuple[str, str], str]) -> None:
    if isinstance(value, Secret):
        origin = value.origin or ()
        template = origin[1] if len(origin) > 1 and origin[0] in ("ref", "unresolved") else ""
        match = _ONE_ENV.match(template)
        if match:
            out[(address, ".".join(path))] = match.group(1)
    elif isinstance(value, dict):
        for key, item in value.items():
            _names(address, item, (*path, str(key)), out)


def read_like(path: Path) -> Like:
    """The layout, secret names and issuer of the desired state at ``path`` (read offline)."""
    from reconciler.errors import DesiredStateError

    try:
        state = load_state(path, env=dict(os.environ), require_values=False)
    except DesiredStateError as exc:
        raise PlanError(f"--like {path}: not a valid desired state ({len(exc.problems)} problem(s); "
                        f"run `reconcile validate {path}`)") from None
    like = Like(issuer=state.hydra_issuer)
    for kind in LEVELS:
        for key, obj in state.of(kind).items():
            source = obj.source.rsplit(":", 1)[0]
            if source:
                file = Path(source)
                like.files[(kind, key)] = (file.relative_to(path) if path.is_dir() else Path(file.name)).as_posix()
            _names(f"{kind.value}.{key}", obj.body, (), like.names)
    return like
