"""The names of the resource kinds the tool manages, and the shape the loader hands the engine.

What the pipeline knows about each kind (its order, admin path, section, ownership rule,
references, defaults, secret paths, dump file) is in ``reconciler.state.registry``; this module
only names the kinds, so that the models can use the names without importing the registry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """A kind of managed object.  The value is used in plan output and plan files."""

    OAUTH2_CLIENT = "oauth2_client"
    PLUGIN_METADATA = "plugin_metadata"
    SSL = "ssl"
    UPSTREAM = "upstream"
    CONSUMER_GROUP = "consumer_group"
    PLUGIN_CONFIG = "plugin_config"
    SERVICE = "service"
    CONSUMER = "consumer"
    CREDENTIAL = "credential"
    ROUTE = "route"
    GLOBAL_RULE = "global_rule"
    SECRET = "secret"
    PROTO = "proto"


@dataclass(frozen=True)
class DesiredObject:
    """One object as the desired state wants it, ready to send.

    ``key`` is the object's identity: the id for most APISIX kinds, the username for consumers,
    ``"<username>/<id>"`` for credentials, the plugin name for plugin_metadata and the
    ``client_id`` for OAuth2 clients.  ``body`` is the admin-API payload *without* the key field
    and without any ownership marker; secret values in it are ``reconciler.secrets.Secret``.
    ``source`` is ``"file:line"`` for messages.
    """

    kind: Kind
    key: str
    body: dict[str, Any]
    source: str = ""


@dataclass(repr=False)
class ResolvedState:
    """The desired state after loading, merging, variable and cross-reference resolution.

    ``systems`` names the systems the desired state declares (``"hydra"``, ``"apisix"``): a
    system not declared is neither read nor touched.  ``managed_credentials`` lists the consumers
    whose ``credentials`` are declared (and so read, diffed and pruned); the credentials of other
    consumers are left alone.
    """

    objects: dict[Kind, dict[str, DesiredObject]] = field(default_factory=dict)
    systems: frozenset[str] = frozenset()
    managed_credentials: frozenset[str] = frozenset()
    hydra_issuer: str | None = None
    #: Set when the state came from, or went into, the local load cache: which entry, and which
    #: secret values it holds (``"<inputs digest>:<secrets key>"``).
    cache_token: str | None = None

    def __repr__(self) -> str:  # compact: a full repr of 28,000 objects takes a second
        counts = {k.value: len(v) for k, v in self.objects.items() if v}
        return f"ResolvedState({counts}, systems={sorted(self.systems)})"

    def of(self, kind: Kind) -> dict[str, DesiredObject]:
        """The desired objects of one kind, by key (empty when none are declared)."""
        return self.objects.get(kind, {})
