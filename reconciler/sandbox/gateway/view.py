"""What the data plane sees of the Admin API's store: routes merged with services and plugin configs.

Why a separate view: APISIX's data plane never reads etcd per request; it keeps a merged copy
that is rebuilt when etcd changes.  ``StoreView`` does the same with the emulator's store: it
is rebuilt when the store's global revision moves, so an admin write takes effect on the next
request and unchanged state costs nothing.  The merge rules are APISIX 3.18's
(``shared/spec/apisix-data-plane.md`` §1.4-1.5): ``apisix/plugin_config.lua: merge()`` adds
only the plugins a route lacks; ``apisix/plugin.lua: merge_service_route()`` lets route plugins,
``upstream`` (which drops the service's ``upstream_id``), ``upstream_id``, ``timeout`` and
``hosts`` override the service.  Values are the decrypted ones the Admin API's GET shows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from reconciler.sandbox.apisix_store import ApisixStore

Conf = dict[str, Any]
#: Added to every plugin config: the key of the object that holds it (``/apisix/routes/r``...).
#: limit-count keys its counters by it, as APISIX 3.18 does with ``conf._meta.parent.resource_key``.
RESOURCE = "__resource"


def _marked(plugins: dict[str, Any], resource: str) -> dict[str, Any]:
    return {name: {**conf, RESOURCE: resource} if isinstance(conf, dict) else conf
            for name, conf in plugins.items()}


@dataclass
class ResolvedRoute:
    """One route as the data plane runs it.

    ``broken`` is the status APISIX answers instead of proxying when a reference dangles
    (plugin_config missing → 503, service missing → 404).  ``order`` is the configuration order.
    """

    id: str
    conf: Conf
    plugins: dict[str, Conf]
    paths: list[str]
    hosts: list[str]
    order: int
    version: int
    broken: int = 0


@dataclass
class Consumer:
    """A consumer with the plugins of its group merged under its own (consumer wins,
    [A] ``plugin.lua: merge_consumer_route()``); a dangling ``group_id`` makes APISIX answer 503."""

    username: str
    conf: Conf
    plugins: dict[str, Conf]
    credentials: list[tuple[str, dict[str, Conf]]] = field(default_factory=list)
    group_missing: bool = False


@dataclass
class StoreView:
    """The merged state at one store revision."""

    revision: int
    routes: list[ResolvedRoute]
    upstreams: dict[str, Conf]
    consumers: dict[str, Consumer]
    global_plugins: dict[str, Conf]


def _plain(store: ApisixStore, segment: str) -> list[tuple[str, int, Conf]]:
    entries = sorted(store.data[segment].items())
    return [(key, entry.modified, copy.deepcopy(entry.plain)) for key, entry in entries]


def _merge_route(store: ApisixStore, route_id: str, order: int, modified: int, conf: Conf) -> ResolvedRoute:
    plugins: dict[str, Conf] = _marked(conf.get("plugins") or {}, f"/apisix/routes/{route_id}")
    broken = 0
    version = modified
    pc_id = conf.get("plugin_config_id")
    if pc_id is not None:
        pc = store.data["plugin_configs"].get(str(pc_id))
        if pc is None:
            broken = 503
        else:
            version += pc.modified
            for name, pconf in _marked(pc.plain.get("plugins") or {}, f"/apisix/plugin_configs/{pc_id}").items():
                plugins.setdefault(name, copy.deepcopy(pconf))
    merged = dict(conf)
    service_hosts: list[str] | None = None
    service_id = conf.get("service_id")
    if service_id is not None:
        service = store.data["services"].get(str(service_id))
        if service is None:
            broken = broken or 404
        else:
            version += service.modified
            service_hosts = service.plain.get("hosts")
            merged = copy.deepcopy(service.plain)
            for name, sconf in _marked(merged.get("plugins") or {}, f"/apisix/services/{service_id}").items():
                plugins.setdefault(name, sconf)
            if "upstream" in conf:
                merged.pop("upstream_id", None)
            for key, value in conf.items():
                if key != "plugins":
                    merged[key] = value
    merged["plugins"] = plugins
    paths = list(conf.get("uris") or ([conf["uri"]] if conf.get("uri") else []))
    # ``radixtree_host_uri.lua: push_host_router()``: the route's hosts, else its host, else the service's hosts.
    own = conf.get("hosts") or ([conf["host"]] if conf.get("host") else None)
    hosts = list(own if own is not None else (service_hosts or []))
    return ResolvedRoute(route_id, merged, plugins, paths, hosts, order, version, broken)


def _consumers(store: ApisixStore) -> dict[str, Consumer]:
    groups = {key: entry.plain for key, entry in store.data["consumer_groups"].items()}
    out: dict[str, Consumer] = {}
    for username, _modified, conf in _plain(store, "consumers"):
        plugins: dict[str, Conf] = {}
        group = groups.get(str(conf.get("group_id"))) if conf.get("group_id") is not None else None
        if group is not None:
            plugins.update(_marked(copy.deepcopy(group.get("plugins") or {}),
                                   f"/apisix/consumer_groups/{conf['group_id']}"))
        plugins.update(_marked(conf.get("plugins") or {}, f"/apisix/consumers/{username}"))
        out[username] = Consumer(username, conf, plugins,
                                 group_missing=conf.get("group_id") is not None and group is None)
    for key, _modified, conf in _plain(store, "credentials"):
        username, _, cred_id = key.partition("/credentials/")
        if username in out:
            out[username].credentials.append((cred_id, conf.get("plugins") or {}))
    return out


def _global_plugins(store: ApisixStore) -> dict[str, Conf]:
    """One plugin set from every global rule; a plugin in two rules is dropped (``merge_global_rules``)."""
    seen: dict[str, int] = {}
    merged: dict[str, Conf] = {}
    for key, _modified, conf in _plain(store, "global_rules"):
        for name, pconf in _marked(conf.get("plugins") or {}, f"/apisix/global_rules/{key}").items():
            seen[name] = seen.get(name, 0) + 1
            merged[name] = pconf
    return {name: pconf for name, pconf in merged.items() if seen[name] == 1}


def build_view(store: ApisixStore) -> StoreView:
    """Merge the store's current objects into what the data plane runs."""
    routes = [
        _merge_route(store, key, order, modified, conf)
        for order, (key, modified, conf) in enumerate(_plain(store, "routes"))
        if conf.get("status", 1) != 0
    ]
    upstreams = {key: conf for key, _m, conf in _plain(store, "upstreams")}
    return StoreView(store.revision, routes, upstreams, _consumers(store), _global_plugins(store))


class LiveView:
    """``build_view`` cached per store revision, so every admin write shows on the next request."""

    def __init__(self, store: ApisixStore) -> None:
        self.store = store
        self._view: StoreView | None = None
        self._key: tuple[int, int] = (-1, 0)

    def current(self) -> StoreView:
        """The view of the store as it is now (``?ttl=`` leases that ran out are dropped first)."""
        store = self.store
        if store._expiry:  # the same expiry the Admin API applies before each request
            store._expire()
        key = (store.revision, id(store.data))  # a restored snapshot replaces ``data`` wholesale
        if self._view is None or self._key != key:
            self._view, self._key = build_view(store), key
        return self._view
