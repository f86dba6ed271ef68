"""The files a dump writes: each file's text (modeline, header, sections) and the writing itself.

Kept apart from ``dump`` (what goes in the files) so that the layout (one file per kind, or the
files of ``--like``) is one concern: ``render_file`` takes the kinds and entries of one file in
order and writes each system's header once, ``hydra.issuer`` included.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import yaml

from reconciler.errors import ReconcilerError
from reconciler.state.kinds import Kind
from reconciler.state.registry import spec

if TYPE_CHECKING:
    from reconciler.run.dump import Dump, Scope

SCHEMA_PATH: Final = Path("schemas") / "desired-state.schema.json"


def modeline_for(out_dir: Path) -> str:
    """The yaml-language-server modeline pointing at the nearest ``schemas/desired-state.schema.json``."""
    here = out_dir.resolve()
    for depth, parent in enumerate([here, *here.parents]):
        if (parent / SCHEMA_PATH).is_file():
            return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_PATH.as_posix()}"
    return f"# yaml-language-server: $schema=../{SCHEMA_PATH.as_posix()}"


def _yaml_items(items: list[dict[str, Any]], comments: dict[int, str]) -> list[str]:
    lines: list[str] = []
    for i, item in enumerate(items):
        if i in comments:
            lines.append(f"    # {comments[i]}")
        text = yaml.safe_dump([item], sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
        lines += ["    " + line if line else line for line in text.rstrip("\n").split("\n")]
        lines.append("")
    return lines


def render_file(parts: list[tuple[Kind, list[dict[str, Any]], dict[int, str]]], scope: Scope, modeline: str,
                issuer: str | None) -> str:
    """One file's text: a header, then each system and section of ``parts`` (in order)."""
    counts = ", ".join(f"{len(items)} {kind.value}" for kind, items, _ in parts)
    lines = [modeline, "#", f"# Dumped by `reconcile dump --scope {scope}`: {counts}.",
             "# Secrets are ${env:NAME} placeholders; see secrets.env.example."]
    system = ""
    for kind, items, comments in parts:
        if spec(kind).system != system:
            system = spec(kind).system
            lines.append(f"{system}:")
            if system == "hydra" and issuer:
                lines.append(f"  issuer: {issuer}")
        lines.append(f"  {spec(kind).section}:")
        lines += _yaml_items(items, comments)
    return "\n".join(lines).rstrip("\n") + "\n"


def secrets_example(dump: Dump) -> str:
    """``secrets.env.example``: every placeholder name, without values."""
    lines = ["# The environment variables the dumped desired state reads (values left out).", ""]
    for secret in dump.secrets:
        lines.append(f"# {secret.address}: {secret.path}")
        lines.append(f"{secret.name}=")
    return "\n".join(lines) + "\n"


def write_dump(dump: Dump, out_dir: Path) -> list[Path]:
    """Write the files (and ``secrets.env.example`` when there are secrets); returns the paths."""
    files = dict(dump.files)
    if dump.secrets:
        files["secrets.env.example"] = secrets_example(dump)
    written: list[Path] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out_dir / name).parent.mkdir(parents=True, exist_ok=True)
            (out_dir / name).write_text(text)
            written.append(out_dir / name)
    except OSError as exc:
        raise ReconcilerError(f"cannot write the dump to {out_dir}: {exc.strerror or exc}") from exc
    return written
