"""Desired APISIX secret managers (``apisix.secrets[]``), as APISIX 3.18.0 checks them.

APISIX resolves ``$secret://<manager>/<id>/<key>`` references in plugin configurations through
these objects.  Their schemas are those of ``apisix/secret/{vault,aws,gcp}.lua`` at 3.18.0; one
model covers the three, and a check on the manager named by the id keeps each object to its own
manager's fields (APISIX itself would accept a stray field silently, and a typo would be lost).
The vault ``token`` and the aws/gcp credentials are secrets: the kind registry lists their paths.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field, model_validator

from reconciler.state.models.common import Strict

#: ``core.schema.uri_def``.
URI_PATTERN: Final = r"^[^\/]+:\/\/([\da-zA-Z.-]+|\[[\da-fA-F:]+\])(:\d+)?"
SECRET_ID_PATTERN: Final = r"^(vault|aws|gcp)/[a-zA-Z0-9-_.]{1,64}$"

#: (fields a manager takes, fields it requires), from the 3.18.0 schemas.
MANAGER_FIELDS: Final[dict[str, tuple[frozenset[str], tuple[str, ...]]]] = {
    "vault": (frozenset({"uri", "prefix", "token", "namespace"}), ("uri", "prefix", "token")),
    "aws": (frozenset({"access_key_id", "secret_access_key", "session_token", "region", "endpoint_url"}),
            ("access_key_id", "secret_access_key")),
    "gcp": (frozenset({"auth_config", "ssl_verify", "auth_file"}), ()),
}


class GcpAuthConfig(Strict):
    """gcp ``auth_config``: a service account; ``private_key`` is a secret."""

    client_email: str
    private_key: str
    project_id: str
    token_uri: str | None = None
    scope: list[str] | None = None
    entries_uri: str | None = None


class SecretManager(Strict):
    """``apisix.secrets[]``: ``id`` is ``<manager>/<id>`` with manager ``vault``, ``aws`` or ``gcp``.

    Secret managers carry no labels, so, as global rules, they are owned by an id prefix (the part
    after ``<manager>/`` must start with the global-rule prefix, ``reconcile-`` by default).
    """

    id: str = Field(pattern=SECRET_ID_PATTERN, description="<manager>/<id>, e.g. vault/reconcile-team-a.")
    uri: str | None = Field(None, pattern=URI_PATTERN, description="vault: the server, e.g. http://vault:8200.")
    prefix: str | None = Field(None, description="vault: the KV path prefix, e.g. kv/apisix.")
    token: str | None = Field(None, description="vault: the token (a secret).")
    namespace: str | None = Field(None, description="vault: the namespace (enterprise).")
    access_key_id: str | None = Field(None, description="aws: the access key id (a secret).")
    secret_access_key: str | None = Field(None, description="aws: the secret access key (a secret).")
    session_token: str | None = Field(None, description="aws: a session token (a secret).")
    region: str | None = Field(None, description="aws: the region (APISIX's default: us-east-1).")
    endpoint_url: str | None = Field(None, pattern=URI_PATTERN, description="aws: another Secrets Manager endpoint.")
    auth_config: GcpAuthConfig | None = Field(None, description="gcp: the service account.")
    ssl_verify: bool | None = Field(None, description="gcp: verify TLS (APISIX's default: true).")
    auth_file: str | None = Field(None, description="gcp: a service account file on the gateway.")

    @model_validator(mode="after")
    def _fits_its_manager(self) -> SecretManager:
        manager = self.id.partition("/")[0]
        allowed, required = MANAGER_FIELDS[manager]
        given = {name for name in self.model_fields_set if name != "id" and getattr(self, name) is not None}
        stray = sorted(given - allowed)
        if stray:
            raise ValueError(f"{', '.join(stray)} not allowed for a {manager} secret manager "
                             f"(it takes {', '.join(sorted(allowed))})")
        missing = [name for name in required if name not in given]
        if missing:
            raise ValueError(f"a {manager} secret manager needs {', '.join(missing)}")
        if manager == "gcp" and ("auth_config" in given) == ("auth_file" in given):
            raise ValueError("a gcp secret manager needs exactly one of auth_config and auth_file")
        return self
