"""A realistic desired state at a chosen scale, deterministic from a seed.

Benchmarks on toy data flatter every tool: a route with no plugins diffs in no time, and a
state with no cross-references never exercises resolution.  So this generator builds what a
real edge looks like: routes with 2 to 4 plugins, openid-connect on a share of them naming a
Hydra client with ``client:``, upstreams with 1 to 5 nodes, services, key-auth consumers, and
Hydra clients of three sorts (web, service, public) with redirect URIs and metadata.  Secrets
come from ``${env:...}`` as they would in production.

Each object is kept in two forms: ``desired`` (the YAML the user writes, with references and
variables) and ``wire`` (the admin-API body with everything resolved), which is what the naive
baseline sends.  ``variants.py`` derives the edited states of the scenarios from a base state;
``layout.py`` writes them to disk.
"""

from __future__ import annotations

import copy
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any, Final

#: The kinds this generator produces, in dependency (create) order.
KINDS: Final[tuple[str, ...]] = ("client", "upstream", "service", "consumer", "route")

OWNER_LABEL: Final[tuple[str, str]] = ("managed-by", "reconcile")
ISSUER: Final = "https://auth.bench.example"
SESSION_ENV: Final = "BENCH_OIDC_SESSION_SECRET"
TEAMS: Final[tuple[str, ...]] = ("payments", "identity", "search", "catalog", "checkout", "media", "ops")
METHODS: Final[tuple[str, ...]] = ("GET", "POST", "PUT", "DELETE", "PATCH")


@dataclass(frozen=True)
class Scale:
    """How many objects of each kind, and how many objects the write scenarios change."""

    name: str
    routes: int
    upstreams: int
    services: int
    consumers: int
    clients: int
    changes: int

    @property
    def total(self) -> int:
        """Every object of the base state."""
        return self.routes + self.upstreams + self.services + self.consumers + self.clients


SCALES: Final[dict[str, Scale]] = {
    "large": Scale("large", routes=10_000, upstreams=2_000, services=1_000, consumers=5_000, clients=10_000,
                   changes=1_000),
    "small": Scale("small", routes=1_000, upstreams=200, services=100, consumers=500, clients=1_000,
                   changes=100),
}


def tiny(routes: int = 20) -> Scale:
    """A very small scale for smoke tests, in the same proportions as the real ones."""
    return Scale("tiny", routes=routes, upstreams=max(2, routes // 5), services=max(1, routes // 10),
                 consumers=max(2, routes // 2), clients=max(4, routes), changes=max(2, routes // 4))


@dataclass
class Obj:
    """One object in its two forms.  ``key`` is the id, username or client_id."""

    kind: str
    key: str
    desired: dict[str, Any]
    wire: dict[str, Any]


@dataclass
class DesiredSet:
    """A whole generated desired state: objects by kind and key, plus the env its secrets need."""

    scale: Scale
    seed: int
    objects: dict[str, dict[str, Obj]] = field(default_factory=lambda: {k: {} for k in KINDS})
    env: dict[str, str] = field(default_factory=dict)

    def add(self, obj: Obj) -> None:
        """Insert or replace one object."""
        self.objects[obj.kind][obj.key] = obj

    def count(self) -> int:
        """Number of objects."""
        return sum(len(v) for v in self.objects.values())

    def copy(self) -> DesiredSet:
        """A deep copy, for variants."""
        return DesiredSet(self.scale, self.seed, copy.deepcopy(self.objects), dict(self.env))

    def ordered(self) -> list[Obj]:
        """Every object in create order (kind level, then key)."""
        return [obj for kind in KINDS for _, obj in sorted(self.objects[kind].items())]


def secret_value(seed: int, name: str) -> str:
    """A deterministic 32-character secret for ``name``."""
    return hashlib.sha256(f"{seed}:{name}".encode()).hexdigest()[:32]


def _rng(seed: int, kind: str, index: int) -> random.Random:
    return random.Random(f"{seed}:{kind}:{index}")


def _labels(rng: random.Random, team: str) -> dict[str, str]:
    return {"team": team, "env": rng.choice(("prod", "staging")), "tier": rng.choice(("gold", "silver"))}


def _owned(labels: dict[str, str]) -> dict[str, str]:
    return {**labels, OWNER_LABEL[0]: OWNER_LABEL[1]}


def client_id(index: int) -> str:
    """The id of Hydra client number ``index``."""
    return f"app-{index:05d}"


def web_clients(scale: Scale) -> int:
    """How many clients are confidential web clients that routes may log in with."""
    return max(1, scale.clients // 20)


def make_client(ds: DesiredSet, index: int) -> Obj:
    """Hydra client ``index``: web (login for routes), service (client_credentials) or public."""
    rng = _rng(ds.seed, "client", index)
    key = client_id(index)
    team = rng.choice(TEAMS)
    web = index < web_clients(ds.scale)
    sort = "web" if web else rng.choices(("web", "service", "public"), weights=(4, 3, 3))[0]
    host = f"{key}.{team}.example.com"
    desired: dict[str, Any] = {
        "client_id": key,
        "client_name": f"{team} {sort} application {index}",
        "scope": "openid offline profile email",
        "owner": team,
        "metadata": {"team": team, "cost_center": f"cc-{rng.randint(1000, 9999)}",
                     "contact": f"{team}@example.com", "kind": sort},
    }
    if sort == "service":
        desired |= {"grant_types": ["client_credentials"], "token_endpoint_auth_method": "client_secret_basic",
                    "audience": [f"https://api.example.com/{team}"]}
    else:
        uris = [f"https://{host}/callback", f"https://{host}/oauth2/callback", f"https://{host}/silent-renew"]
        desired |= {"redirect_uris": uris[: rng.randint(1, 3)], "response_types": ["code"],
                    "grant_types": ["authorization_code", "refresh_token"],
                    "token_endpoint_auth_method": "client_secret_basic" if sort == "web" else "none"}
    wire = copy.deepcopy(desired)
    if sort != "public":
        env = f"BENCH_CLIENT_SECRET_{index:05d}"
        ds.env[env] = secret_value(ds.seed, env)
        desired["client_secret"] = f"${{env:{env}}}"
        wire["client_secret"] = ds.env[env]
    return Obj("client", key, desired, wire)


def make_upstream(ds: DesiredSet, index: int) -> Obj:
    """Upstream ``index`` with 1 to 5 weighted nodes."""
    rng = _rng(ds.seed, "upstream", index)
    team = rng.choice(TEAMS)
    nodes = [{"host": f"10.{index // 250 % 250}.{index % 250}.{n + 10}", "port": rng.choice((80, 8080, 9000)),
              "weight": rng.randint(1, 100)} for n in range(rng.randint(1, 5))]
    desired: dict[str, Any] = {"id": f"up-{index:05d}", "name": f"{team}-backend-{index}",
                               "type": rng.choice(("roundrobin", "roundrobin", "least_conn")),
                               "nodes": nodes, "labels": _labels(rng, team)}
    if rng.random() < 0.5:
        desired["timeout"] = {"connect": 3, "send": 10, "read": rng.choice((10, 30, 60))}
    if rng.random() < 0.3:
        desired["retries"] = rng.randint(1, 3)
    if rng.random() < 0.2:
        desired["keepalive_pool"] = {"size": 64, "idle_timeout": 30, "requests": 500}
    return _apisix_obj("upstream", desired["id"], desired)


def make_service(ds: DesiredSet, index: int) -> Obj:
    """Service ``index`` in front of one upstream, sometimes with a rate limit."""
    rng = _rng(ds.seed, "service", index)
    team = rng.choice(TEAMS)
    desired: dict[str, Any] = {"id": f"svc-{index:05d}", "name": f"{team}-service-{index}",
                               "desc": f"{team} service {index}",
                               "upstream_id": f"up-{index % ds.scale.upstreams:05d}",
                               "labels": _labels(rng, team)}
    if rng.random() < 0.4:
        desired["plugins"] = {"limit-count": {"count": rng.choice((1000, 5000)), "time_window": 60,
                                              "rejected_code": 429, "key_type": "var", "key": "remote_addr",
                                              "policy": "local"}}
    return _apisix_obj("service", desired["id"], desired)


def make_consumer(ds: DesiredSet, index: int) -> Obj:
    """Consumer ``index`` with a key-auth key from the environment."""
    rng = _rng(ds.seed, "consumer", index)
    team = rng.choice(TEAMS)
    username = f"user_{index:05d}"
    env = f"BENCH_CONSUMER_KEY_{index:05d}"
    ds.env[env] = secret_value(ds.seed, env)
    desired: dict[str, Any] = {"username": username, "desc": f"{team} partner {index}",
                               "labels": _labels(rng, team),
                               "plugins": {"key-auth": {"key": f"${{env:{env}}}"}}}
    wire = copy.deepcopy(desired)
    wire["labels"] = _owned(wire["labels"])
    wire["plugins"]["key-auth"]["key"] = ds.env[env]
    return Obj("consumer", username, desired, wire)


_EXTRA_PLUGINS: Final[tuple[str, ...]] = (
    "proxy-rewrite", "limit-count", "cors", "request-id", "prometheus", "ip-restriction")


def _extra_plugin(name: str, rng: random.Random, index: int, team: str) -> dict[str, Any]:
    if name == "proxy-rewrite":
        return {"regex_uri": [f"^/api/{team}/v[0-9]+/(.*)", "/$1"],
                "headers": {"set": {"X-Team": team, "X-Route": str(index)}}}
    if name == "limit-count":
        return {"count": rng.choice((100, 500, 1000, 5000)), "time_window": rng.choice((1, 60, 3600)),
                "rejected_code": 429, "key_type": "var", "key": "remote_addr", "policy": "local"}
    if name == "cors":
        return {"allow_origins": f"https://{team}.example.com", "allow_methods": "GET,POST,PUT",
                "allow_headers": "Authorization,Content-Type", "max_age": 3600, "allow_credential": True}
    if name == "request-id":
        return {"header_name": "X-Request-Id", "include_in_response": True}
    if name == "prometheus":
        return {"prefer_name": True}
    return {"whitelist": ["10.0.0.0/8", "192.168.0.0/16", f"172.{16 + index % 16}.0.0/16"]}


def make_route(ds: DesiredSet, index: int) -> Obj:
    """Route ``index`` with 2 to 4 plugins; about a fifth log users in through a Hydra client."""
    rng = _rng(ds.seed, "route", index)
    team = rng.choice(TEAMS)
    scale = ds.scale
    desired: dict[str, Any] = {"id": f"rt-{index:05d}", "name": f"{team}-route-{index}",
                               "uri": f"/api/{team}/v{rng.randint(1, 3)}/res{index}/*",
                               "methods": sorted(rng.sample(METHODS, rng.randint(1, 3))),
                               "labels": _labels(rng, team)}
    if rng.random() < 0.3:
        desired["hosts"] = [f"{team}.example.com", f"api.{team}.example.com"]
    if rng.random() < 0.7:
        desired["service_id"] = f"svc-{rng.randrange(scale.services):05d}"
    else:
        desired["upstream_id"] = f"up-{rng.randrange(scale.upstreams):05d}"
    wanted = rng.randint(2, 4)
    plugins: dict[str, Any] = {}
    wire_plugins: dict[str, Any] = {}
    auth = rng.random()
    if auth < 0.2:
        conf, resolved = _oidc(ds, rng)
        plugins["openid-connect"], wire_plugins["openid-connect"] = conf, resolved
    elif auth < 0.5:
        plugins["key-auth"] = {"header": "X-API-Key", "hide_credentials": True}
    for name in rng.sample(_EXTRA_PLUGINS, wanted - len(plugins)):
        plugins[name] = _extra_plugin(name, rng, index, team)
    desired["plugins"] = plugins
    obj = _apisix_obj("route", desired["id"], desired)
    obj.wire["plugins"].update(copy.deepcopy(wire_plugins))
    return obj


def _oidc(ds: DesiredSet, rng: random.Random) -> tuple[dict[str, Any], dict[str, Any]]:
    """An openid-connect config naming a web client, and its resolved admin-API form."""
    index = rng.randrange(web_clients(ds.scale))
    client = ds.objects["client"].get(client_id(index)) or make_client(ds, index)
    conf: dict[str, Any] = {"client": client.key, "scope": "openid profile",
                            "token_endpoint_auth_method": "client_secret_basic"}
    if rng.random() < 0.6:
        conf["bearer_only"] = True
    else:
        ds.env[SESSION_ENV] = secret_value(ds.seed, SESSION_ENV)
        conf |= {"bearer_only": False, "redirect_uri": client.desired["redirect_uris"][0],
                 "session": {"secret": f"${{env:{SESSION_ENV}}}"}}
    resolved = {k: v for k, v in conf.items() if k != "client"}
    resolved |= {"client_id": client.key, "client_secret": client.wire["client_secret"],
                 "discovery": f"{ISSUER}/.well-known/openid-configuration"}
    if "session" in resolved:
        resolved["session"] = {"secret": ds.env[SESSION_ENV]}
    return conf, resolved


def _apisix_obj(kind: str, key: str, desired: dict[str, Any]) -> Obj:
    wire = copy.deepcopy(desired)
    wire["labels"] = _owned(wire.get("labels", {}))
    return Obj(kind, key, desired, wire)


MAKERS: Final = {"client": make_client, "upstream": make_upstream, "service": make_service,
                 "consumer": make_consumer, "route": make_route}


def counts(scale: Scale) -> dict[str, int]:
    """Objects per kind at ``scale``."""
    return {"client": scale.clients, "upstream": scale.upstreams, "service": scale.services,
            "consumer": scale.consumers, "route": scale.routes}


def generate(scale: Scale, seed: int = 7) -> DesiredSet:
    """The base desired state at ``scale``; the same seed always gives the same state."""
    ds = DesiredSet(scale, seed)
    for kind in KINDS:
        maker = MAKERS[kind]
        for index in range(counts(scale)[kind]):
            ds.add(maker(ds, index))
    return ds
