"""RFC 6902 JSON Patch with the two dialects Hydra answers PATCH with.

Hydra 2.x patches through ory/x ``jsonx.ApplyJSONPatch``: only ``add``, ``remove`` and
``replace`` are allowed, a ``replace`` on a missing path is turned into an ``add``, and some
paths are denied.  Hydra 1.10 hands the document to evanphx/json-patch unchanged, so every
operation works there.  Any failure is a ``PatchError``; the emulator answers it with Hydra's
opaque 500, which is why no finer error reporting is needed here.
"""

from __future__ import annotations

import copy
from typing import Any

_V2_OPS = frozenset({"add", "remove", "replace"})
_ALL_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


class PatchError(ValueError):
    """The patch document is malformed, uses a refused operation, or does not apply."""


def _tokens(pointer: Any) -> list[str]:
    if not isinstance(pointer, str) or (pointer and not pointer.startswith("/")):
        raise PatchError(f"bad JSON pointer {pointer!r}")
    if pointer == "":
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, *, insert: bool) -> int:
    if token == "-" and insert:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
        raise PatchError(f"bad array index {token!r}")
    index = int(token)
    if index > len(container) or (not insert and index == len(container)):
        raise PatchError(f"array index {index} out of range")
    return index


def _parent(doc: Any, tokens: list[str]) -> Any:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"missing path element {token!r}")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, insert=False)]
        else:
            raise PatchError("path runs through a scalar")
    return node


def _exists(doc: Any, tokens: list[str]) -> bool:
    try:
        _get(doc, tokens)
    except PatchError:
        return False
    return True


def _get(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        return doc
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"missing key {last!r}")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, insert=False)]
    raise PatchError("path runs through a scalar")


def _add(doc: Any, tokens: list[str], value: Any) -> Any:
    if not tokens:
        return value
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, last, insert=True), value)
    else:
        raise PatchError("path runs through a scalar")
    return doc


def _ensure_parents(doc: Any, tokens: list[str]) -> None:
    """Create missing parent objects of an ``add`` target, as ory/x's patcher does."""
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if node.get(token) is None:
                node[token] = {}
            node = node[token]
        else:
            return


def _remove(doc: Any, tokens: list[str]) -> Any:
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _parent(doc, tokens)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"missing key {last!r}")
        del parent[last]
    elif isinstance(parent, list):
        del parent[_index(parent, last, insert=False)]
    else:
        raise PatchError("path runs through a scalar")
    return doc


def apply_patch(doc: Any, patch: Any, *, v2: bool, denied: tuple[str, ...] = ("/id",)) -> Any:
    """Apply ``patch`` to a deep copy of ``doc`` and return the result."""
    if not isinstance(patch, list):
        raise PatchError("a JSON Patch is an array of operations")
    doc = copy.deepcopy(doc)
    for op in patch:
        if not isinstance(op, dict):
            raise PatchError("an operation is an object")
        name = op.get("op")
        if name not in (_V2_OPS if v2 else _ALL_OPS):
            raise PatchError(f"unsupported operation {name!r}")
        path = op.get("path")
        if path in denied:
            raise PatchError(f"patch of {path} is denied")
        tokens = _tokens(path)
        if not tokens:
            raise PatchError("the whole document cannot be patched")
        value = copy.deepcopy(op.get("value"))
        if name == "replace" and v2 and not _exists(doc, tokens):
            name = "add"
        if name == "add":
            if v2:
                _ensure_parents(doc, tokens)
            doc = _add(doc, tokens, value)
        elif name == "remove":
            doc = _remove(doc, tokens)
        elif name == "replace":
            _get(doc, tokens)
            doc = _add(_remove(doc, tokens), tokens, value)
        elif name == "test":
            if _get(doc, tokens) != value:
                raise PatchError("test failed")
        else:
            source = _tokens(op.get("from"))
            moved = copy.deepcopy(_get(doc, source))
            if name == "move":
                doc = _remove(doc, source)
            doc = _add(doc, tokens, moved)
    return doc


def touches(patch: Any, prefix: str) -> bool:
    """Whether any operation of ``patch`` writes at or below ``prefix`` (e.g. ``/metadata``)."""
    if not isinstance(patch, list):
        return True
    for op in patch:
        if not isinstance(op, dict):
            return True
        for key in ("path", "from"):
            path = op.get(key)
            if isinstance(path, str) and (path == prefix or path.startswith(prefix + "/")):
                return True
    return False
