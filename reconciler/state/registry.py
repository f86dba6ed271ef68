"""The kind registry: one frozen ``KindSpec`` per kind, holding every fact the code needs about it.

Kong's decK keeps a kind's knowledge in one file per kind and Kubernetes in one registry of
resource types; a fact written in two places (a reference, a secret path, a dump file name)
drifts apart.  So every per-kind table the pipeline uses is a view derived here: the order of
kinds (``LEVELS``), the systems, the admin paths, which kinds carry labels, the YAML sections,
references, core defaults, secret paths and dump files.  Code elsewhere asks ``spec(kind)``
instead of testing ``kind is Kind.X`` for any of these facts.

Adding a kind takes exactly this:

1. a member of ``Kind`` in ``reconciler.state.kinds``;
2. its model in ``reconciler.state.models`` (``apisix.py`` or ``hydra.py``);
3. a list field for its section in ``ApisixSection`` (or ``HydraSection``) in ``models/desired.py``;
4. one ``KindSpec`` row below, in level order (``tests/engine/test_registry.py`` checks that the
   row, the enum member and the section field agree);
5. its resource in the sandbox emulator (``reconciler/sandbox/``), with a source for its behaviour;
6. ``reconcile schema --out schemas/`` and a section in ``docs/desired-state.md``.

Nothing else in ``load``, ``plan``, ``run`` or ``report`` names a kind for these facts.  Rules that
are about one kind's *behaviour* (the Hydra client's metadata marker, a consumer's credentials
living under it) stay with that behaviour and read their kind from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from pydantic import BaseModel

from reconciler.state.core_defaults import CORE, Schema
from reconciler.state.kinds import Kind
from reconciler.state.models import apisix as m
from reconciler.state.models.hydra import OAuth2Client
from reconciler.state.models.secret_managers import SecretManager
from reconciler.state.models.sensitive import mark_plugin_secrets, wrap_path

Path = tuple[str, ...]


class Ownership(StrEnum):
    """How a live object is recognised as ours (see ``reconciler.plan.ownership``)."""

    #: It carries every ownership label (APISIX ``labels``, Hydra ``metadata.reconcile.labels``).
    LABELS = "labels"
    #: It has no room for labels; its own id starts with the configured prefix.
    ID_PREFIX = "id prefix"
    #: It has no room for any marker; it is ours only while declared, and never pruned.
    DECLARED = "declared"


@dataclass(frozen=True)
class Reference:
    """``path`` inside a body names an object of ``target`` (which must exist first).

    ``checked_on_load``: the loader insists the target is declared too.  A client SSL named by
    an upstream's ``tls.client_cert_id`` may be managed elsewhere, so that one is not checked.
    """

    path: Path
    target: Kind
    checked_on_load: bool = True


@dataclass(frozen=True)
class KindSpec:
    """Everything the pipeline knows about one kind.  Rows are in level order (see ``LEVELS``)."""

    kind: Kind
    #: ``"hydra"`` or ``"apisix"``: which adapter reads and writes it.
    system: str
    #: The YAML section (``apisix.<section>``); credentials are nested in their consumer instead.
    section: str
    #: The pydantic model of one entry of that section.
    model: type[BaseModel]
    #: The field of an entry that names it (and is left out of the body sent).
    key_field: str
    #: The admin path segment under ``/apisix/admin`` (Hydra's adapter chooses its own path).
    admin_path: str
    #: The singular noun used in messages ("global rule").
    noun: str
    ownership: Ownership = Ownership.LABELS
    #: For keys ``"<parent key>/<own id>"``: the kind of the parent (a credential's consumer).
    parent: Kind | None = None
    references: tuple[Reference, ...] = ()
    #: The fill schema of the core defaults APISIX stored up to ``DEFAULTS_STORED_UNTIL``.
    core_defaults: Schema | None = None
    #: Which plugin schema (``main``, ``consumer``, ``metadata``) validates its plugins.
    plugin_schema: str = "main"
    #: Whether its ``plugins`` may hold an openid-connect plugin linked to a Hydra client.
    links_clients: bool = False
    #: Paths of secret values, wrapped in ``Secret`` when loaded and masked when read back.
    secret_paths: tuple[Path, ...] = ()
    #: Secret paths GET never returns (spec §6): the desired value stands in when absent live.
    omitted_secrets: tuple[Path, ...] = ()
    #: Secret paths GET returns only as ciphertext (spec §6): the desired value stands in.
    ciphertext_secrets: tuple[Path, ...] = ()
    #: The file ``reconcile dump`` writes its entries to.
    dump_file: str = ""
    #: Whether its list is paged (``page``/``page_size``).
    paged: bool = True
    #: The first APISIX version that serves it (None: every version the tool supports).
    since: tuple[int, int] | None = None
    #: Keys are ``"<scope>/<id>"`` (a secret's ``<manager>/<id>``); an id prefix is judged on ``<id>``.
    id_scoped: bool = False
    #: The field of a stored (live) object that holds its own id (consumers have no ``id``).
    stored_key: str = "id"

    @property
    def labelled(self) -> bool:
        """Whether its objects carry ``labels`` (and so our ownership marker)."""
        return self.ownership is Ownership.LABELS

    def prefixed_id(self, key: str) -> str:
        """The part of a key an ownership prefix is judged on (all of it, unless it has a scope)."""
        return key.partition("/")[2] if self.id_scoped and "/" in key else key

    def own_id(self, key: str) -> str:
        """The object's own id: the key without its parent part."""
        return key.partition("/")[2] if self.parent is not None else key


#: An inline upstream's mTLS private key (route and service), the upstream's own at ``tls``.
_TLS_KEY: Final[Path] = ("tls", "client_key")
_INLINE_TLS_KEY: Final[Path] = ("upstream", *_TLS_KEY)

#: grpc-transcode names a proto (APISIX refuses to delete a proto in use, spec §4.7).  A proto
#: may be managed elsewhere, so the loader does not insist that it is declared.
_PROTO_REF: Final = Reference(("plugins", "grpc-transcode", "proto_id"), Kind.PROTO, checked_on_load=False)

#: Every kind, in level order: created and updated top-down, deleted bottom-up.
SPECS: Final[tuple[KindSpec, ...]] = (
    KindSpec(Kind.OAUTH2_CLIENT, "hydra", "clients", OAuth2Client, "client_id", "clients", "OAuth2 client",
             secret_paths=(("client_secret",),), dump_file="hydra-clients.yaml"),
    KindSpec(Kind.SECRET, "apisix", "secrets", SecretManager, "id", "secrets", "secret manager",
             ownership=Ownership.ID_PREFIX, id_scoped=True, core_defaults=CORE["secret"],
             secret_paths=(("token",), ("access_key_id",), ("secret_access_key",), ("session_token",),
                           ("auth_config", "private_key")),
             dump_file="apisix-secrets.yaml"),
    KindSpec(Kind.PLUGIN_METADATA, "apisix", "plugin_metadata", m.PluginMetadata, "plugin", "plugin_metadata",
             "plugin metadata", ownership=Ownership.DECLARED, plugin_schema="metadata",
             dump_file="apisix-plugin-metadata.yaml", paged=False),
    KindSpec(Kind.SSL, "apisix", "ssls", m.SSL, "id", "ssls", "ssl", core_defaults=CORE["ssl"],
             secret_paths=(("key",), ("keys",)), omitted_secrets=(("key",), ("keys",)),
             dump_file="apisix-ssls.yaml"),
    KindSpec(Kind.PROTO, "apisix", "protos", m.Proto, "id", "protos", "proto", dump_file="apisix-protos.yaml"),
    KindSpec(Kind.UPSTREAM, "apisix", "upstreams", m.Upstream, "id", "upstreams", "upstream",
             references=(Reference(("tls", "client_cert_id"), Kind.SSL, checked_on_load=False),),
             core_defaults=CORE["upstream"], secret_paths=(_TLS_KEY,), ciphertext_secrets=(_TLS_KEY,),
             dump_file="apisix-upstreams.yaml"),
    KindSpec(Kind.CONSUMER_GROUP, "apisix", "consumer_groups", m.ConsumerGroup, "id", "consumer_groups",
             "consumer group", dump_file="apisix-consumer-groups.yaml", links_clients=True),
    KindSpec(Kind.PLUGIN_CONFIG, "apisix", "plugin_configs", m.PluginConfig, "id", "plugin_configs",
             "plugin config", dump_file="apisix-plugin-configs.yaml", links_clients=True),
    KindSpec(Kind.SERVICE, "apisix", "services", m.Service, "id", "services", "service",
             references=(Reference(("upstream_id",), Kind.UPSTREAM), _PROTO_REF), core_defaults=CORE["service"],
             secret_paths=(_INLINE_TLS_KEY,), ciphertext_secrets=(_INLINE_TLS_KEY,),
             dump_file="apisix-services.yaml", links_clients=True),
    KindSpec(Kind.CONSUMER, "apisix", "consumers", m.Consumer, "username", "consumers", "consumer",
             references=(Reference(("group_id",), Kind.CONSUMER_GROUP),), plugin_schema="consumer",
             dump_file="apisix-consumers.yaml", stored_key="username"),
    KindSpec(Kind.CREDENTIAL, "apisix", "credentials", m.Credential, "id", "credentials", "credential",
             parent=Kind.CONSUMER, plugin_schema="consumer", since=(3, 11)),
    KindSpec(Kind.ROUTE, "apisix", "routes", m.Route, "id", "routes", "route",
             references=(Reference(("upstream_id",), Kind.UPSTREAM), Reference(("service_id",), Kind.SERVICE),
                         Reference(("plugin_config_id",), Kind.PLUGIN_CONFIG), _PROTO_REF),
             core_defaults=CORE["route"], secret_paths=(_INLINE_TLS_KEY,), ciphertext_secrets=(_INLINE_TLS_KEY,),
             dump_file="apisix-routes.yaml", links_clients=True),
    KindSpec(Kind.GLOBAL_RULE, "apisix", "global_rules", m.GlobalRule, "id", "global_rules", "global rule",
             ownership=Ownership.ID_PREFIX, dump_file="apisix-global-rules.yaml", links_clients=True),
)

#: APISIX up to this version stored the defaults it filled in (spec §5.3; 3.14 stopped, PR #12603).
DEFAULTS_STORED_UNTIL: Final = (3, 13)

# --- views ------------------------------------------------------------------------------------

SPEC: Final[dict[Kind, KindSpec]] = {s.kind: s for s in SPECS}
LEVELS: Final[tuple[Kind, ...]] = tuple(s.kind for s in SPECS)
LEVEL_OF: Final[dict[Kind, int]] = {k: i for i, k in enumerate(LEVELS)}
HYDRA_KINDS: Final[frozenset[Kind]] = frozenset(s.kind for s in SPECS if s.system == "hydra")
APISIX_KINDS: Final[frozenset[Kind]] = frozenset(s.kind for s in SPECS if s.system == "apisix")
#: Kinds whose objects carry ``labels`` (and so an ownership marker).
LABELLED: Final[frozenset[Kind]] = frozenset(s.kind for s in SPECS if s.labelled)
#: The kinds declared in a section of their own (not nested in a parent), in level order.
SECTIONED: Final[tuple[KindSpec, ...]] = tuple(s for s in SPECS if s.parent is None)


def spec(kind: Kind) -> KindSpec:
    """The spec of ``kind``."""
    return SPEC[kind]


def child_kind(parent: Kind) -> KindSpec | None:
    """The kind nested in ``parent``'s entries (a consumer's credentials), if any."""
    return next((s for s in SPECS if s.parent is parent), None)


def references(kind: Kind, key: str, body: dict[str, Any]) -> list[tuple[Kind, str]]:
    """The objects ``body`` needs to exist: ids it refers to, its parent, its OAuth2 client."""
    s = SPEC[kind]
    refs: list[tuple[Kind, str]] = []
    for ref in s.references:
        value = get_path(body, ref.path)
        if value is not None:
            refs.append((ref.target, str(value)))
    if s.parent is not None:
        refs.append((s.parent, key.partition("/")[0]))
    plugins = body.get("plugins")
    if isinstance(plugins, dict):
        oidc = plugins.get("openid-connect")
        if isinstance(oidc, dict) and isinstance(oidc.get("client_id"), str):
            refs.append((Kind.OAUTH2_CLIENT, oidc["client_id"]))
    return refs


def get_path(body: Any, path: Path) -> Any:
    """The value at ``path`` inside nested dicts, or None."""
    for step in path:
        if not isinstance(body, dict):
            return None
        body = body.get(step)
    return body


def mark_secrets(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """Wrap, in place, every secret of an object body (its kind's paths and its plugins'); return it."""
    for path in SPEC[kind].secret_paths:
        wrap_path(body, path)
    mark_plugin_secrets(body.get("plugins"))
    return body


__all__ = ["APISIX_KINDS", "DEFAULTS_STORED_UNTIL", "HYDRA_KINDS", "LABELLED", "LEVELS", "LEVEL_OF", "SECTIONED",
           "SPEC", "SPECS", "KindSpec", "Ownership", "Reference", "child_kind", "get_path", "mark_secrets",
           "references", "spec"]
