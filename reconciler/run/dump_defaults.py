"""APISIX ≤3.13 stored every schema default it filled in; a dump leaves out what it would fill back.

A value is dropped only when the server, given the object without it, would store the very
same value again (``fill_defaults`` with the live plugin schemas), checked top-down so a
dropped parent never hides a child the user set.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from reconciler.plan.normalize import canonical, fill_defaults
from reconciler.state.kinds import Kind


def _get(value: Any, path: Sequence[str | int]) -> Any:
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def strip_defaults(kind: Kind, key: str, body: dict[str, Any], schemas: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """``body`` without every value the server would fill back in by itself (top-down, checked)."""
    result = copy.deepcopy(body)

    def visit(path: tuple[str | int, ...]) -> None:
        node = _get(result, path)
        if isinstance(node, list):
            for i in range(len(node)):
                visit((*path, i))
            return
        if not isinstance(node, dict):
            return
        order = list(node)
        for name in order:
            value = node.pop(name)
            refilled = _get(fill_defaults(kind, key, result, schemas), (*path, name))
            if refilled is not None and canonical(refilled) == canonical(value):
                continue
            node[name] = value
            visit((*path, name))
        kept = {k: node[k] for k in order if k in node}
        node.clear()
        node.update(kept)

    visit(())
    return result
