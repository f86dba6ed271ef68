"""A small JSON-schema validator that speaks like APISIX's (api7/jsonschema).

Why not the ``jsonschema`` package: clients and tests compare APISIX's error *texts*
(``property "labels" validation failed: failed to validate env (matching ".*"): wrong type:
expected string, got table``), and APISIX's validator also *writes defaults into the object it
validates*, including defaults met inside ``anyOf``/``oneOf``/``if`` branches that get evaluated.
Legacy APISIX (<= 3.13) stored the result, so the emulator needs exactly those fill rules (spec
§5.1).  Only the keywords APISIX's schemas use are implemented.

``validate(schema, value)`` returns None when the value is valid, else the message; it fills
defaults into ``value`` in place, so callers that must not store them validate a deep copy.
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from typing import Any

Schema = dict[str, Any]


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def lua_type(value: Any) -> str:
    """The Lua type name APISIX's messages use for a decoded JSON value."""
    if value is None:
        return "userdata"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "table"


def lua_num(value: Any) -> str:
    """A number the way Lua's ``tostring`` prints it (``1`` rather than ``1.0``)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value)


def lua_quote(text: str) -> str:
    """Lua's ``%q``: double quotes with backslash escapes."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _type_ok(name: str, value: Any) -> bool:
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list) or (isinstance(value, dict) and not value)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, int | float)
    return True


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return bool(a == b)


def validate(schema: Schema, value: Any) -> str | None:
    """Check ``value`` against ``schema``; fill defaults in place; return the error text or None."""
    return _check(schema, value)


def _check(schema: Schema, value: Any) -> str | None:
    wanted = schema.get("type")
    if wanted is not None:
        names = wanted if isinstance(wanted, list) else [wanted]
        if not any(_type_ok(n, value) for n in names):
            return f"wrong type: expected {'/'.join(names)}, got {lua_type(value)}"
    err: str | None = None
    if isinstance(value, dict):
        err = _object(schema, value)
    if isinstance(value, list) or (isinstance(value, dict) and not value and wanted == "array"):
        err = err or _array(schema, value if isinstance(value, list) else [])
    elif isinstance(value, str):
        err = _string(schema, value)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        err = _number(schema, value)
    if err:
        return err
    if "enum" in schema and not any(_equal(value, e) for e in schema["enum"]):
        return "matches none of the enum values"
    if "const" in schema and not _equal(value, schema["const"]):
        return "failed to check const value"
    return _combinators(schema, value)


def _object(schema: Schema, obj: dict[str, Any]) -> str | None:
    if "maxProperties" in schema and len(obj) > schema["maxProperties"]:
        return f"expect object to have at most {schema['maxProperties']} properties"
    if "minProperties" in schema and len(obj) < schema["minProperties"]:
        return f"expect object to have at least {schema['minProperties']} properties"
    for name in schema.get("required", ()):
        if name not in obj:
            return f'property "{name}" is required'
    props: dict[str, Schema] = schema.get("properties", {})
    for name, sub in props.items():
        if name not in obj:
            if isinstance(sub, dict) and "default" in sub:
                obj[name] = copy.deepcopy(sub["default"])
            continue
        if not isinstance(sub, dict):
            continue
        err = _check(sub, obj[name])
        if err:
            return f'property "{name}" validation failed: {err}'
    patterns: dict[str, Schema] = schema.get("patternProperties", {})
    additional = schema.get("additionalProperties", True)
    if patterns or additional is not True:
        for name, item in obj.items():
            matched = False
            for pattern, sub in patterns.items():
                if _regex(pattern).search(name):
                    matched = True
                    err = _check(sub, item)
                    if err:
                        return f"failed to validate {name} (matching {lua_quote(pattern)}): {err}"
            if matched or name in props:
                continue
            if additional is False:
                return f"additional properties forbidden, found {name}"
            if isinstance(additional, dict):
                err = _check(additional, item)
                if err:
                    return f"failed to validate additional property {name}: {err}"
    for name, dep in schema.get("dependencies", {}).items():
        if name not in obj:
            continue
        if isinstance(dep, list):
            for other in dep:
                if other not in obj:
                    return f'property "{other}" is required when "{name}" is set'
        else:
            err = _check(dep, obj)
            if err:
                return f"failed to validate dependent schema for {lua_quote(name)}: {err}"
    return None


def _array(schema: Schema, arr: list[Any]) -> str | None:
    if "minItems" in schema and len(arr) < schema["minItems"]:
        return f"expect array to have at least {schema['minItems']} items"
    if "maxItems" in schema and len(arr) > schema["maxItems"]:
        return f"expect array to have at most {schema['maxItems']} items"
    items = schema.get("items")
    if isinstance(items, dict):
        for index, item in enumerate(arr, 1):
            err = _check(items, item)
            if err:
                return f"failed to validate item {index}: {err}"
    if schema.get("uniqueItems"):
        for i in range(len(arr)):
            for j in range(i + 1, len(arr)):
                if arr[i] == arr[j]:
                    return f"expected unique items but items {i + 1} and {j + 1} are equal"
    return None


def _string(schema: Schema, text: str) -> str | None:
    length = len(text.encode())
    if "maxLength" in schema and length > schema["maxLength"]:
        return f"string too long, expected at most {schema['maxLength']}, got {length}"
    if "minLength" in schema and length < schema["minLength"]:
        return f"string too short, expected at least {schema['minLength']}, got {length}"
    pattern = schema.get("pattern")
    if pattern is not None and not _regex(pattern).search(text):
        return f"failed to match pattern {lua_quote(pattern)} with {lua_quote(text)}"
    return None


def _number(schema: Schema, num: float) -> str | None:
    if "minimum" in schema and num < schema["minimum"]:
        return f"expected {lua_num(num)} to be at least {lua_num(schema['minimum'])}"
    if "maximum" in schema and num > schema["maximum"]:
        return f"expected {lua_num(num)} to be at most {lua_num(schema['maximum'])}"
    low = schema.get("exclusiveMinimum")
    if low is not None and not isinstance(low, bool) and num <= low:
        return f"expected {lua_num(num)} to be greater than {lua_num(low)}"
    high = schema.get("exclusiveMaximum")
    if high is not None and not isinstance(high, bool) and num >= high:
        return f"expected {lua_num(num)} to be smaller than {lua_num(high)}"
    return None


def _only_required(subs: list[Schema]) -> bool:
    return all(set(s) == {"required"} for s in subs)


def _combinators(schema: Schema, value: Any) -> str | None:
    for index, sub in enumerate(schema.get("allOf", ()), 1):
        err = _check(sub, value)
        if err:
            return f"allOf {index} failed: {err}"
    any_of: list[Schema] | None = schema.get("anyOf")
    if any_of is not None and not any(_check(sub, value) is None for sub in any_of):
        if _only_required(any_of):
            lists = " or ".join(
                "[" + ",".join(f'"{name}"' for name in sub["required"]) + "]" for sub in any_of)
            return f"object matches none of the required: {lists}"
        return "object matches none of the required"
    one_of: list[Schema] | None = schema.get("oneOf")
    if one_of is not None:
        matched = [i for i, sub in enumerate(one_of, 1) if _check(sub, value) is None]
        if not matched:
            return "value should match only one schema, but matches none"
        if len(matched) > 1:
            return (f"value should match only one schema, but matches both schemas "
                    f"{matched[0]} and {matched[1]}")
    if "not" in schema and _check(schema["not"], copy.deepcopy(value)) is None:
        return "value wasn't supposed to match schema"
    if "if" in schema:
        if _check(schema["if"], value) is None:
            if "then" in schema and _check(schema["then"], value) is not None:
                return "then clause did not match"
        elif "else" in schema and _check(schema["else"], value) is not None:
            return "else clause did not match"
    return None
