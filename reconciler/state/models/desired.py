"""The root of one desired-state file: ``hydra:`` and/or ``apisix:`` sections.

The loader validates each file against ``DesiredStateFile`` (so pydantic's error locations
are paths in that file), and ``reconciler.schema_gen`` publishes its JSON Schema for editors.
Each list field is named by its kind's ``section`` in ``reconciler.state.registry``, which ties
it to its kind and key field; a test checks that the two agree.
"""

from __future__ import annotations

from pydantic import ConfigDict, Field

from reconciler.state.models.apisix import (
    SSL,
    Consumer,
    ConsumerGroup,
    GlobalRule,
    PluginConfig,
    PluginMetadata,
    Proto,
    Route,
    Service,
    Upstream,
)
from reconciler.state.models.common import Strict
from reconciler.state.models.hydra import OAuth2Client
from reconciler.state.models.secret_managers import SecretManager


class HydraSection(Strict):
    """``hydra:``: the issuer (to derive discovery URLs) and the OAuth2 clients."""

    issuer: str | None = Field(
        None, pattern=r"^https?://", description="Public issuer URL of Hydra, e.g. http://127.0.0.1:4444/."
    )
    clients: list[OAuth2Client] = Field(default_factory=list, description="OAuth2 clients, keyed by client_id.")


class ApisixSection(Strict):
    """``apisix:``: Admin API resources, each a list keyed by ``id`` (consumers: ``username``)."""

    upstreams: list[Upstream] = Field(default_factory=list)
    services: list[Service] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    consumers: list[Consumer] = Field(default_factory=list, description="Consumers, keyed by username.")
    consumer_groups: list[ConsumerGroup] = Field(default_factory=list)
    plugin_configs: list[PluginConfig] = Field(default_factory=list)
    global_rules: list[GlobalRule] = Field(default_factory=list)
    ssls: list[SSL] = Field(default_factory=list)
    plugin_metadata: list[PluginMetadata] = Field(default_factory=list, description="Keyed by plugin name.")
    secrets: list[SecretManager] = Field(default_factory=list, description="Secret managers, keyed by <manager>/<id>.")
    protos: list[Proto] = Field(default_factory=list, description="Protobuf definitions for grpc-transcode.")


class DesiredStateFile(Strict):
    """One YAML file of the desired state.  Files of a directory are merged.

    Top-level keys starting with ``x-`` are ignored (the loader drops them before validation),
    so a file can hold YAML anchors to reuse with ``*alias`` and ``<<:`` merge keys.
    """

    model_config = ConfigDict(
        title="reconcile desired state",
        json_schema_extra={"patternProperties": {"^x-": {"description": "Ignored: a place for YAML anchors."}}},
    )
    hydra: HydraSection | None = Field(None, description="Ory Hydra: OAuth2 clients.")
    apisix: ApisixSection | None = Field(None, description="Apache APISIX Admin API resources.")
