"""Plugin configs checked against the live server's own plugin schemas, at plan time.

APISIX rejects a bad plugin config only when it is written, which for a reconciler means
halfway through an apply.  The schemas the server serves (``/apisix/admin/schema/plugins/..``,
read once per run by ``fetch``) let the planner find those errors first, so that ``plan``
reports them and ``apply`` never starts.  The check is pure; secret values are replaced by
same-length placeholders first, so that no validation message can quote one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import SchemaError

from reconciler.plan import defaults
from reconciler.plan.normalize import Schemas, schema_type
from reconciler.secrets import Secret
from reconciler.state.kinds import Kind, ResolvedState
from reconciler.state.registry import APISIX_KINDS

#: Keys APISIX keeps in served schemas that are not JSON Schema keywords.
_NOT_KEYWORDS = ("encrypt_fields", "$comment")


def _placeholder(value: Any) -> Any:
    if isinstance(value, Secret):
        return "*" * len(value)
    if isinstance(value, dict):
        return {k: _placeholder(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholder(v) for v in value]
    return value


def _validator(schema: dict[str, Any], cache: dict[int, Draft7Validator | None]) -> Draft7Validator | None:
    found = cache.get(id(schema), False)
    if found is not False:
        return found  # type: ignore[return-value]
    clean = {k: v for k, v in schema.items() if k not in _NOT_KEYWORDS}
    try:
        Draft7Validator.check_schema(clean)
        validator: Draft7Validator | None = Draft7Validator(clean)
    except SchemaError:
        validator = None  # a schema we cannot read is not a reason to refuse a plan
    cache[id(schema)] = validator
    return validator


def check_plugins(desired: ResolvedState, schemas: Schemas,
                  only: Collection[tuple[Kind, str]] | None = None) -> list[str]:
    """One message per plugin config that the live schema rejects (empty when all pass).

    ``only`` limits the check to these objects: the planner passes the ones it will write, since
    what the server already stores it has already accepted.
    """
    problems: list[str] = []
    cache: dict[int, Draft7Validator | None] = {}
    for kind in sorted(APISIX_KINDS, key=lambda k: k.value):
        stype = schema_type(kind)
        for key, obj in sorted(desired.of(kind).items()):
            if only is not None and (kind, key) not in only:
                continue
            if stype == "metadata":  # the body is the plugin's metadata itself
                configs = {key: obj.body}
            else:
                plugins = obj.body.get("plugins")
                configs = plugins if isinstance(plugins, dict) else {}
            for name, conf in sorted(configs.items()):
                schema = schemas.get((name, stype))
                if not isinstance(schema, dict) or not isinstance(conf, dict):
                    continue
                validator = _validator(schema, cache)
                if validator is None:
                    continue
                # APISIX fills defaults while it validates, so an ``if`` on a defaulted field (limit-count's
                # ``policy``) sees the default; plain jsonschema would take the absent field as a match.
                filled = defaults.fill(schema, _placeholder(conf))
                errors = sorted(validator.iter_errors(filled), key=lambda e: list(e.path))
                if errors:
                    first = errors[0]
                    where = ".".join(str(p) for p in first.path)
                    field = f".{where}" if where else ""
                    problems.append(f"{kind.value}.{key}: plugins.{name}{field}: {first.message} "
                                    f"(rejected by the server's {name} schema; {obj.source})")
    return problems
