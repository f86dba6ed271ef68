"""The JSON Schema of the desired-state format, generated from the models.

Editors (yaml-language-server) complete and check desired-state files with it.  Generating it
from the same models the loader validates with means the schema cannot drift from the code;
``make check-schemas`` fails when the committed file is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from reconciler.state.models.desired import DesiredStateFile

SCHEMA_FILE: Final = "desired-state.schema.json"
SCHEMA_ID: Final = "https://reconcile.invalid/schemas/desired-state.schema.json"


def desired_state_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one desired-state file."""
    schema = DesiredStateFile.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def render() -> str:
    """The schema file's exact text (stable key order, trailing newline)."""
    return json.dumps(desired_state_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(out_dir: Path) -> Path:
    """Write the schema into ``out_dir`` and return its path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / SCHEMA_FILE
    path.write_text(render(), encoding="utf-8")
    return path


def is_fresh(out_dir: Path) -> bool:
    """True when the file in ``out_dir`` equals what ``write`` would produce."""
    path = out_dir / SCHEMA_FILE
    try:
        return path.read_text(encoding="utf-8") == render()
    except OSError:
        return False
