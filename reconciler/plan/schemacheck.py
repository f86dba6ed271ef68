"""Plugin configs checked against the live server's own plugin schemas, at plan time.

APISIX rejects a bad plugin config only when it is written, which for a reconciler means
halfway through an apply.  The schemas the server serves (``/apisix/admin/schema/plugins/..``,
read once per run by ``fetch``) let the planner find those errors first, so that ``plan``
reports them and ``apply`` never starts.  The check is pure; secret values are replaced by
same-length placeholders first, so that no validation message can quote one.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from reconciler.plan import defaults
from reconciler.plan.normalize import Schemas, schema_type
from reconciler.secrets import Secret
from reconciler.state.kinds import Kind, ResolvedState
from reconciler.state.registry import APISIX_KINDS

if TYPE_CHECKING:
    from jsonschema import Draft7Validator

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


class _Check:
    """One served schema, compiled twice: ``fastjsonschema`` answers "valid?" in microseconds
    (a plan that creates thousands of routes checks each of their plugin configs), and only a
    config it refuses is put to ``jsonschema``, whose verdict and message are the ones reported.
    fastjsonschema is the stricter of the two (it also asserts ``format``), so a config it accepts
    is one jsonschema accepts; the reverse case simply costs the slow check."""

    def __init__(self, schema: dict[str, Any]) -> None:
        # Imported here: a plan that writes no plugin config never needs either (slow imports).
        import fastjsonschema
        from jsonschema import Draft7Validator
        from jsonschema.exceptions import SchemaError

        clean = {k: v for k, v in schema.items() if k not in _NOT_KEYWORDS}
        self.slow: Draft7Validator | None = None
        self.fast: Callable[[Any], Any] | None = None
        try:
            Draft7Validator.check_schema(clean)
            self.slow = Draft7Validator(clean)
        except SchemaError:
            return  # a schema we cannot read is not a reason to refuse a plan
        try:
            self.fast = fastjsonschema.compile({**clean, "$schema": "http://json-schema.org/draft-07/schema#"})
        except Exception:  # any schema it cannot compile (a regex Python refuses...) is jsonschema's alone
            self.fast = None  # the slow validator alone then

    def errors(self, instance: Any) -> list[Any]:
        """jsonschema's errors for ``instance``, sorted by path (empty when it is valid)."""
        if self.slow is None:
            return []
        if self.fast is not None:
            try:
                self.fast(instance)
                return []
            except Exception:  # refused, or it could not tell: jsonschema decides
                pass
        return sorted(self.slow.iter_errors(instance), key=lambda e: list(e.path))


def _validator(schema: dict[str, Any], cache: dict[int, _Check]) -> _Check:
    found = cache.get(id(schema))
    if found is None:
        found = cache[id(schema)] = _Check(schema)
    return found


def check_plugins(desired: ResolvedState, schemas: Schemas,
                  only: Collection[tuple[Kind, str]] | None = None) -> list[str]:
    """One message per plugin config that the live schema rejects (empty when all pass).

    ``only`` limits the check to these objects: the planner passes the ones it will write, since
    what the server already stores it has already accepted.
    """
    problems: list[str] = []
    cache: dict[int, _Check] = {}
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
                # APISIX fills defaults while it validates, so an ``if`` on a defaulted field (limit-count's
                # ``policy``) sees the default; plain jsonschema would take the absent field as a match.
                filled = defaults.fill(schema, _placeholder(conf))
                errors = validator.errors(filled)
                if errors:
                    first = errors[0]
                    where = ".".join(str(p) for p in first.path)
                    field = f".{where}" if where else ""
                    problems.append(f"{kind.value}.{key}: plugins.{name}{field}: {first.message} "
                                    f"(rejected by the server's {name} schema; {obj.source})")
    return problems
