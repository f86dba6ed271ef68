"""Desired APISIX resources, with the Admin API's own checks (3.18, ``schema_def.lua`` and the
per-resource checkers) so that what APISIX would reject is rejected here first, with a position.

Cross-object rules (references between ids, one plugin per global rule) need the whole desired
state and live in ``reconciler.load.resolve``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, PlainValidator, WithJsonSchema, field_validator, model_validator

from reconciler.state.models import closed_sets as cs
from reconciler.state.models.common import USERNAME_PATTERN, Desc, Id, Labels, Name, Strict
from reconciler.state.models.plugins import AUTH_PLUGINS, ConsumerPlugins, Plugins

HOST_PATTERN = r"^\*?[0-9a-zA-Z-._\[\]:]+$"
Host = Annotated[str, Field(pattern=HOST_PATTERN)]
_WEIGHT_HELP = "a weight is an integer >= 0"


def _check_weight(where: str, weight: Any) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
        raise ValueError(f"{where}: {_WEIGHT_HELP}")


def _check_port(where: str, port: Any) -> None:
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"{where}: invalid port {port!r} (1..65535)")


def check_nodes(value: Any) -> Any:
    """Upstream ``nodes``: ``{"host:port": weight}`` or ``[{host, port?, weight, priority?, metadata?}]``."""
    if isinstance(value, dict):
        for address, weight in value.items():
            host, sep, port = str(address).rpartition(":")
            if not sep or not host or not (port.isascii() and port.isdigit()):
                raise ValueError(f"node {address!r} must be 'host:port'")
            _check_port(f"node {address!r}", int(port))
            _check_weight(f"node {address!r}", weight)
        return value
    if isinstance(value, list):
        allowed = {"host", "port", "weight", "priority", "metadata"}
        for i, node in enumerate(value):
            if not isinstance(node, dict):
                raise ValueError(f"node [{i}] must be a mapping {{host, port, weight}}")
            unknown = sorted(set(node) - allowed)
            if unknown:
                raise ValueError(f"node [{i}]: unknown field(s) {', '.join(unknown)}")
            name = node.get("host")
            if not isinstance(name, str) or not name:
                raise ValueError(f"node [{i}]: 'host' (a string) is required")
            if name.count(":") > 1 and not name.startswith("["):
                raise ValueError(f"node [{i}]: IPv6 address must be enclosed with '[' and ']'")
            if "port" in node:
                _check_port(f"node [{i}]", node["port"])
            if "weight" not in node:
                raise ValueError(f"node [{i}]: 'weight' is required")
            _check_weight(f"node [{i}]", node["weight"])
            if "priority" in node and (isinstance(node["priority"], bool) or not isinstance(node["priority"], int)):
                raise ValueError(f"node [{i}]: 'priority' must be an integer")
        return value
    raise ValueError("nodes must be a mapping {'host:port': weight} or a list of {host, port, weight}")


_NODES_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
        {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["host", "weight"],
                "additionalProperties": False,
                "properties": {
                    "host": {"type": "string"},
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                    "weight": {"type": "integer", "minimum": 0},
                    "priority": {"type": "integer"},
                    "metadata": {"type": "object"},
                },
            },
        },
    ],
    "description": "Upstream nodes: {'host:port': weight} or a list of {host, port, weight}.",
}
Nodes = Annotated[Any, PlainValidator(check_nodes), WithJsonSchema(_NODES_SCHEMA)]


class Timeout(Strict):
    """Connect/send/read timeouts in seconds, all required and > 0."""

    connect: float = Field(gt=0)
    send: float = Field(gt=0)
    read: float = Field(gt=0)


class UpstreamBody(Strict):
    """An upstream's fields (shared by ``upstreams`` and inline ``upstream`` of routes and services)."""

    name: Name | None = None
    desc: Desc | None = None
    labels: Labels | None = None
    nodes: Nodes | None = None
    retries: Annotated[int, Field(ge=0)] | None = None
    retry_timeout: Annotated[float, Field(ge=0)] | None = None
    timeout: Timeout | None = None
    tls: dict[str, Any] | None = Field(None, description="{client_cert_id} or {client_cert, client_key}, verify.")
    keepalive_pool: dict[str, Any] | None = None
    type: cs.BalancerType | None = Field(None, description="Load balancer (default roundrobin).")
    checks: dict[str, Any] | None = Field(None, description="Health checks; needs 'active'.")
    hash_on: cs.HashOn | None = None
    key: str | None = Field(None, description="Hash key, required for type chash.")
    scheme: cs.UpstreamScheme | None = None
    discovery_type: str | None = None
    discovery_args: dict[str, Any] | None = None
    pass_host: cs.PassHost | None = None
    upstream_host: str | None = None
    service_name: str | None = None

    _checks = field_validator("checks")(cs.check_health_checks)

    @model_validator(mode="after")
    def _upstream_rules(self) -> UpstreamBody:
        if self.nodes is not None and (self.service_name is not None or self.discovery_type is not None):
            raise ValueError("give either 'nodes' or 'service_name' with 'discovery_type', not both")
        if self.nodes is None and (self.service_name is None or self.discovery_type is None):
            raise ValueError("'nodes' is required (or 'service_name' with 'discovery_type')")
        if self.type == "chash" and self.hash_on != "consumer" and not self.key:
            raise ValueError("missing key: type 'chash' needs 'key' (unless hash_on is 'consumer')")
        if self.pass_host == "rewrite" and not self.upstream_host:
            raise ValueError("`upstream_host` can't be empty when `pass_host` is `rewrite`")
        if self.checks is not None and "active" not in self.checks:
            raise ValueError("checks need 'active'")
        return self


class Upstream(UpstreamBody):
    """``apisix.upstreams[]``."""

    id: Id = Field(description="Upstream id.")


class Route(Strict):
    """``apisix.routes[]``."""

    id: Id = Field(description="Route id.")
    name: Name | None = None
    desc: Desc | None = None
    labels: Labels | None = None
    uri: Annotated[str, Field(min_length=1, max_length=4096)] | None = Field(None, description="Path to match.")
    uris: list[Annotated[str, Field(min_length=1, max_length=4096)]] | None = Field(None, min_length=1)
    priority: int | None = None
    methods: list[cs.Method] | None = None
    host: Host | None = None
    hosts: list[Host] | None = Field(None, min_length=1)
    remote_addr: str | None = None
    remote_addrs: list[str] | None = Field(None, min_length=1)
    timeout: Timeout | None = None
    vars: list[Any] | None = None
    filter_func: Annotated[str, Field(min_length=10, pattern=r"^function")] | None = None
    script: Annotated[str, Field(min_length=10, max_length=102400)] | None = None
    script_id: Id | None = None
    plugins: Plugins | None = None
    plugin_config_id: Id | None = None
    upstream: UpstreamBody | None = None
    service_id: Id | None = None
    upstream_id: Id | None = None
    enable_websocket: bool | None = None
    status: cs.Status | None = None

    @model_validator(mode="after")
    def _route_rules(self) -> Route:
        if self.uri is not None and self.uris is not None:
            raise ValueError("give either 'uri' or 'uris', not both")
        if self.uri is None and self.uris is None:
            raise ValueError("one of 'uri' or 'uris' is required")
        if self.host is not None and self.hosts is not None:
            raise ValueError("only one of host or hosts is allowed")
        if self.remote_addr is not None and self.remote_addrs is not None:
            raise ValueError("only one of remote_addr or remote_addrs is allowed")
        if all(v is None for v in (self.plugins, self.upstream, self.upstream_id, self.service_id, self.script)):
            raise ValueError("a route needs one of plugins, upstream, upstream_id, service_id or script")
        if self.script is not None and (self.plugins is not None or self.plugin_config_id is not None):
            raise ValueError("'script' cannot be combined with 'plugins' or 'plugin_config_id'")
        if self.methods is not None and len(set(self.methods)) != len(self.methods):
            raise ValueError("'methods' must not repeat a method")
        return self


class Service(Strict):
    """``apisix.services[]``."""

    id: Id = Field(description="Service id.")
    name: Name | None = None
    desc: Desc | None = None
    labels: Labels | None = None
    plugins: Plugins | None = None
    upstream: UpstreamBody | None = None
    upstream_id: Id | None = None
    script: str | None = None
    enable_websocket: bool | None = None
    hosts: list[Host] | None = Field(None, min_length=1)


class Credential(Strict):
    """A consumer credential (APISIX 3.11+), declared under its consumer's ``credentials``."""

    id: Id = Field(description="Credential id (unique within the consumer).")
    name: Name | None = None
    desc: Desc | None = None
    labels: Labels | None = None
    plugins: ConsumerPlugins = Field(description="Exactly one auth plugin.")

    @model_validator(mode="after")
    def _one_auth_plugin(self) -> Credential:
        names = set(self.plugins.model_fields_set) | set(self.plugins.model_extra or {})
        names = {ConsumerPlugins.model_fields[n].alias or n if n in ConsumerPlugins.model_fields else n for n in names}
        if len(names) != 1:
            raise ValueError("a credential holds exactly one plugin")
        (name,) = names
        if name not in AUTH_PLUGINS:
            raise ValueError(f"only supports auth type plugins in consumer credential (got {name!r})")
        return self


class Consumer(Strict):
    """``apisix.consumers[]``, keyed by ``username``; ``credentials`` makes them managed."""

    username: str = Field(min_length=1, max_length=256, pattern=USERNAME_PATTERN, description="Consumer name.")
    desc: Desc | None = None
    labels: Labels | None = None
    group_id: Id | None = None
    plugins: ConsumerPlugins | None = None
    credentials: list[Credential] | None = Field(
        None, description="Credentials of this consumer; declaring the list (even empty) manages them."
    )


class ConsumerGroup(Strict):
    """``apisix.consumer_groups[]``."""

    id: Id
    name: Name | None = None
    desc: Desc | None = None
    labels: Labels | None = None
    plugins: Plugins


class PluginConfig(Strict):
    """``apisix.plugin_configs[]``."""

    id: Id
    name: str | None = None
    desc: Desc | None = None
    labels: Labels | None = None
    plugins: Plugins


class GlobalRule(Strict):
    """``apisix.global_rules[]``: only ``id`` and ``plugins`` (no labels, so ownership is by id)."""

    id: Id
    plugins: Plugins


class SSL(Strict):
    """``apisix.ssls[]``; ``key``/``keys`` are sensitive."""

    id: Id
    labels: Labels | None = None
    type: cs.SslType | None = None
    cert: Annotated[str, Field(min_length=128, max_length=65536)] | None = None
    key: Annotated[str, Field(min_length=64, max_length=65536)] | None = None
    certs: list[str] | None = None
    keys: list[str] | None = None
    sni: str | None = None
    snis: list[str] | None = Field(None, min_length=1)
    client: dict[str, Any] | None = None
    status: cs.Status | None = None
    ssl_protocols: list[cs.SslProtocol] | None = None

    @model_validator(mode="after")
    def _server_needs_cert(self) -> SSL:
        if self.type != "client" and (self.cert is None or self.key is None or (self.sni is None and not self.snis)):
            raise ValueError("a server SSL needs 'cert', 'key' and one of 'sni'/'snis'")
        if self.sni is not None and self.snis is not None:
            raise ValueError("give either 'sni' or 'snis', not both")
        if len(self.certs or []) != len(self.keys or []):
            raise ValueError("mismatched number of certs and keys")
        return self


_PLUGIN_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class PluginMetadata(Strict):
    """``apisix.plugin_metadata[]``: ``plugin`` names the plugin; other keys are its metadata."""

    model_config = Strict.model_config | {"extra": "allow"}
    plugin: str = Field(pattern=_PLUGIN_NAME.pattern, description="Plugin name (the object's key).")


class Proto(Strict):
    """``apisix.protos[]``: a protobuf definition for grpc-transcode (``content`` is required)."""

    id: Id
    name: Name | None = None
    desc: Desc | None = None
    labels: Labels | None = None
    content: Annotated[str, Field(min_length=1, max_length=1024 * 1024,
                                  description="The .proto source (compiled by APISIX on write).")]
