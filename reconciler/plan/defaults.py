"""APISIX default filling, the way api7/jsonschema does it (spec §5.1), as pure functions.

Up to 3.13 APISIX stored every schema default it filled in, and objects written then keep
them after an upgrade.  To compare such objects with a desired state that never mentions
those defaults, the normaliser computes what the server would have filled in and ignores a
live value that is only that default.  The fill rules: a missing property with a ``default``
gets it; the filler recurses only into values that are present; ``allOf`` applies every branch,
``if/then/else`` the branch the ``if`` selects, and ``oneOf``/``anyOf`` the first branch whose
``required`` keys are all present.  Core-resource defaults (§5.3) are data about kinds: the kind
registry (``reconciler.state.registry``) holds them.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

def _matches(schema: Schema, value: Any) -> bool:
    """A small validator for ``if`` clauses: const, enum, type, required and properties."""
    if "const" in schema and value != schema["const"]:
        return False
    if "enum" in schema and value not in schema["enum"]:
        return False
    expected = schema.get("type")
    if expected == "object" and not isinstance(value, dict):
        return False
    if expected == "string" and not isinstance(value, str):
        return False
    if isinstance(value, dict):
        if any(req not in value for req in schema.get("required", ())):
            return False
        for name, sub in (schema.get("properties") or {}).items():
            if name in value and isinstance(sub, dict) and not _matches(sub, value[name]):
                return False
    return all(not (isinstance(sub, dict) and not _matches(sub, value)) for sub in schema.get("allOf", ()))


def fill(schema: Schema | None, value: Any) -> Any:
    """``value`` with the schema's defaults filled in, by the §5.1 rules.  ``value`` is not changed."""
    if not schema:
        return value
    out = _copy(value)
    _fill(schema, out)
    return out


def _copy(value: Any) -> Any:
    """A copy of a JSON value (dicts and lists are new; leaves, immutable, are shared)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _fill(schema: Schema, value: Any) -> None:
    if isinstance(value, dict):
        for name, sub in (schema.get("properties") or {}).items():
            if not isinstance(sub, dict):
                continue
            if name not in value:
                if "default" in sub:
                    value[name] = _copy(sub["default"])
            else:
                _fill(sub, value[name])
        if "if" in schema and isinstance(schema["if"], dict):
            branch = schema.get("then") if _matches(schema["if"], value) else schema.get("else")
            if isinstance(branch, dict):
                _fill(branch, value)
        for sub in schema.get("allOf", ()):
            if isinstance(sub, dict):
                _fill(sub, value)
        for keyword in ("oneOf", "anyOf"):
            for sub in schema.get(keyword, ()):
                if isinstance(sub, dict) and all(req in value for req in sub.get("required", ())) \
                        and _matches(sub, value):
                    _fill(sub, value)
                    break
        for prop, dep in (schema.get("dependencies") or {}).items():
            if prop in value and isinstance(dep, dict):
                _fill(dep, value)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict):
            for item in value:
                _fill(items, item)
