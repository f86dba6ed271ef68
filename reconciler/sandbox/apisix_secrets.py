"""The ``/apisix/admin/secrets/{manager}/{id}`` resource: secret-manager configurations.

Sources: ``apisix/admin/secrets.lua`` and ``apisix/admin/resource.lua`` at 3.18.0 (the id is
``"<manager>/<id>"``: ``check_conf`` sets ``conf.id = typ .. "/" .. id``, and the etcd key is
``/apisix/secrets/<manager>/<id>``; POST is unsupported), the schemas of
``apisix/secret/{vault,aws,gcp}.lua`` at 3.18.0 (written out below; none sets
``additionalProperties``, so unknown keys are accepted), and spec §1.1 (``invalid secret
manager: X``) and §6 (a manager's configuration, its vault ``token`` included, is stored and
returned in plaintext).  Validation errors read ``invalid configuration: <jsonschema error>``.
"""

from __future__ import annotations

from typing import Any, Final

from reconciler.sandbox.apisix_jsonschema import validate
from reconciler.sandbox.apisix_resources import bad

#: ``core.schema.uri_def`` (``apisix/schema_def.lua``).
_URI: Final = {"type": "string", "pattern": r"^[^\/]+:\/\/([\da-zA-Z.-]+|\[[\da-fA-F:]+\])(:\d+)?"}

SCHEMAS: Final[dict[str, dict[str, Any]]] = {
    "vault": {"type": "object", "properties": {
        "uri": _URI, "prefix": {"type": "string"}, "token": {"type": "string"}, "namespace": {"type": "string"},
    }, "required": ["uri", "prefix", "token"]},
    "aws": {"type": "object", "properties": {
        "access_key_id": {"type": "string"}, "secret_access_key": {"type": "string"},
        "session_token": {"type": "string"}, "region": {"type": "string", "default": "us-east-1"},
        "endpoint_url": _URI,
    }, "required": ["access_key_id", "secret_access_key"]},
    "gcp": {"type": "object", "properties": {
        "auth_config": {"type": "object", "properties": {
            "client_email": {"type": "string"}, "private_key": {"type": "string"},
            "project_id": {"type": "string"},
            "token_uri": {"type": "string", "default": "https://oauth2.googleapis.com/token"},
            "scope": {"type": "array", "items": {"type": "string"},
                      "default": ["https://www.googleapis.com/auth/cloud-platform"]},
            "entries_uri": {"type": "string", "default": "https://secretmanager.googleapis.com/v1"},
        }, "required": ["client_email", "private_key", "project_id"]},
        "ssl_verify": {"type": "boolean", "default": True},
        "auth_file": {"type": "string"},
    }, "oneOf": [{"required": ["auth_config"]}, {"required": ["auth_file"]}]},
}


def join_id(rest: list[str]) -> list[str]:
    """URL segments after ``secrets`` as ``[<manager>/<id>, *sub path]`` (or ``[manager]`` alone)."""
    if len(rest) < 2:
        return rest
    return [f"{rest[0]}/{rest[1]}", *rest[2:]]


def check(conf: dict[str, Any], obj_id: str) -> None:
    """The manager's schema check (defaults filled into ``conf`` in place, as the validator does)."""
    if "/" not in obj_id:  # config_validate.lua (a PUT URL always has both parts)
        raise bad(f"invalid secret id: {obj_id or 'nil'}")
    manager = obj_id.partition("/")[0]
    schema = SCHEMAS.get(manager)
    if schema is None:
        raise bad(f"invalid secret manager: {manager}")
    err = validate(schema, conf)
    if err:
        raise bad(f"invalid configuration: {err}")
