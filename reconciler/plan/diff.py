"""Field-level differences between two normalised bodies: the only place deepdiff is used.

The planner first decides equality with canonical JSON (cheap); this module runs only to
explain a difference that exists, and imports deepdiff only then.  Secrets are swapped for
opaque tokens before deepdiff sees them (deepdiff would otherwise look inside the ``Secret``
object and report its value) and come back as ``Secret`` objects, so the renderers mask them.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from reconciler.plan.changes import FieldChange, FieldOp
from reconciler.secrets import Secret

_TOKEN = "\x00secret:"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _tokenize(value: Any, secrets: dict[str, Secret]) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)  # as ``canonical`` does: APISIX returns a 2.0 it was sent as 2
    if isinstance(value, Secret):
        token = _TOKEN + hashlib.sha256(value.reveal().encode()).hexdigest()
        secrets[token] = value
        return token
    if isinstance(value, dict):
        return {k: _tokenize(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_tokenize(v, secrets) for v in value]
    return value


def _restore(value: Any, secrets: dict[str, Secret]) -> Any:
    if isinstance(value, str) and value.startswith(_TOKEN):
        return secrets.get(value, Secret(""))
    if isinstance(value, dict):
        return {k: _restore(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_restore(v, secrets) for v in value]
    return value


def format_path(parts: list[Any]) -> str:
    """``["plugins", "cors", "max_age"]`` -> ``plugins.cors.max_age``; list indexes as ``[i]``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            piece = text if _PLAIN_KEY.match(text) else '"' + text.replace('"', '\\"') + '"'
            out += ("." if out else "") + piece
    return out


def diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[FieldChange, ...]:
    """The changed fields going from ``before`` (live) to ``after`` (desired), ordered by path."""
    from deepdiff import DeepDiff  # a slow import, needed only once a difference exists

    secrets: dict[str, Secret] = {}
    old, new = _tokenize(before, secrets), _tokenize(after, secrets)
    tree = DeepDiff(old, new, view="tree", ignore_order=False, verbose_level=2)
    changes: list[FieldChange] = []
    for report, items in tree.items():
        for level in items:
            path = format_path(level.path(output_format="list"))
            t1 = None if _missing(level.t1) else _restore(level.t1, secrets)
            t2 = None if _missing(level.t2) else _restore(level.t2, secrets)
            if report in ("dictionary_item_added", "iterable_item_added"):
                changes.append(FieldChange(FieldOp.ADD, path, None, t2))
            elif report in ("dictionary_item_removed", "iterable_item_removed"):
                changes.append(FieldChange(FieldOp.REMOVE, path, t1, None))
            else:
                changes.append(FieldChange(FieldOp.CHANGE, path, t1, t2))
    changes.sort(key=lambda c: c.path)
    return tuple(changes)


def _missing(value: Any) -> bool:
    return type(value).__name__ == "NotPresent"
