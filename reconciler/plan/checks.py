"""Which login checks ``reconcile verify`` runs, decided from the desired and the live state alone.

Equal configuration is not a working login, so verify sends real requests; but *what* to
prove is a pure question, kept here with no I/O so that tests need only plain dicts:

* every declared Hydra client with a secret: the secret in Git authenticates at the token
  endpoint (a client whose ``token_endpoint_auth_method`` is ``none`` is skipped, and said);
* every declared object carrying ``openid-connect`` (routes, services, plugin configs, consumer
  groups, global rules): the plugin *as APISIX's GET returns it* loads its discovery document,
  authenticates, and asks for a registered redirect URI and allowed scopes;
* with a gateway: the authorization-code flow for each route whose login is a browser login,
  tokens on ``bearer_only`` routes, and declared keys on ``key-auth`` routes.

Secrets travel as ``Secret`` and outcomes carry only masked server answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.secrets import Secret
from reconciler.state.kinds import Kind, ResolvedState
from reconciler.state.live import LiveState

OIDC = "openid-connect"
KEY_AUTH = "key-auth"
#: Kinds whose objects may carry an openid-connect plugin (in this order in the output).
OIDC_KINDS: tuple[Kind, ...] = (Kind.ROUTE, Kind.SERVICE, Kind.PLUGIN_CONFIG, Kind.CONSUMER_GROUP,
                                Kind.GLOBAL_RULE)


class What(StrEnum):
    """The kind of proof a check gives."""

    CLIENT_SECRET = "client_secret"
    OIDC_PLUGIN = "openid_connect"
    LOGIN_FLOW = "login_flow"
    BEARER_ONLY = "bearer_only"
    KEY_AUTH = "key_auth"


class Status(StrEnum):
    """How a check ended."""

    PASS = "pass"
    FAIL = "fail"
    SKIP = "skip"


@dataclass(frozen=True)
class Check:
    """One proof to run against ``kind``/``key`` (declared at ``source``); ``params`` may hold ``Secret``."""

    kind: Kind
    key: str
    source: str
    what: What
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """``KIND.KEY``, as ``--only`` takes it."""
        return f"{self.kind.value}.{self.key}"


@dataclass(frozen=True)
class Outcome:
    """What one check found.  ``step`` names the step that failed (or the last one run);
    ``answer`` is the server's answer to it, secrets masked; ``seconds`` its duration."""

    check: Check
    status: Status
    step: str = ""
    message: str = ""
    answer: str = ""
    seconds: float = 0.0


@dataclass
class VerifyReport:
    """Every outcome of one run, in check order, and notes on the clean-up."""

    outcomes: list[Outcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return all(o.status is not Status.FAIL for o in self.outcomes)

    def count(self, status: Status) -> int:
        """How many outcomes have ``status``."""
        return sum(1 for o in self.outcomes if o.status is status)


def words(value: Any) -> list[str]:
    """A space-separated scope (or a list of scopes) as a list."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return str(value or "").split()


def scope_allowed(allowed: list[str], scope: str) -> bool:
    """Hydra's default ``wildcard`` strategy: exact, or ``foo.*`` granting ``foo.bar`` and deeper."""
    if scope in allowed:
        return True
    return any(p.endswith(".*") and scope.startswith(p[:-1]) and len(scope) > len(p) - 1 for p in allowed)


def _secret(value: Any) -> Secret | None:
    if isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value)
    return None


def client_checks(desired: ResolvedState, live: LiveState) -> list[Check]:
    """One secret check per declared Hydra client (``none`` clients become a skip-check)."""
    checks = []
    for key, obj in sorted(desired.of(Kind.OAUTH2_CLIENT).items()):
        params = {"auth_method": _auth_method(obj.body), "secret": _secret(obj.body.get("client_secret")),
                  "grant_types": words(obj.body.get("grant_types")),
                  "present": key in live.of(Kind.OAUTH2_CLIENT) or Kind.OAUTH2_CLIENT not in live.read}
        checks.append(Check(Kind.OAUTH2_CLIENT, key, obj.source, What.CLIENT_SECRET, params))
    return checks


def oidc_conf(body: dict[str, Any]) -> dict[str, Any] | None:
    """The openid-connect configuration of a live or desired object, if it has one."""
    plugins = body.get("plugins")
    conf = plugins.get(OIDC) if isinstance(plugins, dict) else None
    return conf if isinstance(conf, dict) else None


def plugin_checks(desired: ResolvedState, live: LiveState) -> list[Check]:
    """One check per declared object with openid-connect, with the plugin as APISIX returns it."""
    checks = []
    clients = live.of(Kind.OAUTH2_CLIENT)
    for kind in OIDC_KINDS:
        for key, obj in sorted(desired.of(kind).items()):
            if oidc_conf(obj.body) is None:
                continue
            have = live.of(kind).get(key)
            conf = oidc_conf(have.body) if have is not None else None
            params: dict[str, Any] = {"present": have is not None, "has_plugin": conf is not None}
            if conf is not None:
                params.update(_oidc_params(conf))
                client = clients.get(params["client_id"])
                params.update({
                    "redirect_uri": str(conf.get("redirect_uri") or ""),
                    "bearer_only": bool(conf.get("bearer_only", False)),
                    "client": _client_facts(client.body) if client is not None else None,
                    "hydra_read": Kind.OAUTH2_CLIENT in live.read,
                })
            checks.append(Check(kind, key, obj.source, What.OIDC_PLUGIN, params))
    return checks


def _auth_method(body: dict[str, Any]) -> str:
    """``token_endpoint_auth_method`` of a Hydra client or an openid-connect plugin (both default to basic)."""
    return str(body.get("token_endpoint_auth_method") or "client_secret_basic")


def _oidc_params(conf: dict[str, Any]) -> dict[str, Any]:
    """What every check of an openid-connect plugin needs from its configuration."""
    return {"client_id": str(conf.get("client_id") or ""), "secret": _secret(conf.get("client_secret")),
            "discovery": str(conf.get("discovery") or ""), "auth_method": _auth_method(conf),
            "scopes": words(conf.get("scope") or "openid")}


def _client_facts(body: dict[str, Any]) -> dict[str, Any]:
    return {"redirect_uris": [str(u) for u in body.get("redirect_uris") or []],
            "scopes": words(body.get("scope")), "grant_types": words(body.get("grant_types")),
            "auth_method": _auth_method(body)}


def route_path(body: dict[str, Any]) -> str | None:
    """A request path the route matches: its first ``uri`` (a trailing ``*`` dropped)."""
    uris = body.get("uris") or ([body["uri"]] if body.get("uri") else [])
    if not uris:
        return None
    path = str(uris[0])
    return path[:-1] if path.endswith("*") else path


def route_host(body: dict[str, Any]) -> str | None:
    """The Host header a request needs to match the route (None: any host)."""
    hosts = body.get("hosts") or ([body["host"]] if body.get("host") else [])
    return str(hosts[0]).replace("*.", "verify.") if hosts else None


def _effective_plugins(live: LiveState, route: dict[str, Any]) -> dict[str, Any]:
    """A route's plugins merged as APISIX does: service < plugin config < route."""
    merged: dict[str, Any] = {}
    for kind, field_name in ((Kind.SERVICE, "service_id"), (Kind.PLUGIN_CONFIG, "plugin_config_id")):
        ref = route.get(field_name)
        parent = live.of(kind).get(str(ref)) if ref is not None else None
        if parent is not None and isinstance(parent.body.get("plugins"), dict):
            merged.update(parent.body["plugins"])
    merged.update(route.get("plugins") or {})
    return merged


def gateway_checks(desired: ResolvedState, live: LiveState) -> list[Check]:
    """Checks through the gateway for each declared route that is live."""
    checks: list[Check] = []
    for key, obj in sorted(desired.of(Kind.ROUTE).items()):
        have = live.of(Kind.ROUTE).get(key)
        if have is None:
            continue
        plugins = _effective_plugins(live, have.body)
        base = {"path": route_path(have.body), "host": route_host(have.body),
                "methods": [str(m) for m in have.body.get("methods") or []]}
        conf = plugins.get(OIDC)
        if isinstance(conf, dict):
            what = What.BEARER_ONLY if conf.get("bearer_only") else What.LOGIN_FLOW
            checks.append(Check(Kind.ROUTE, key, obj.source, what, {**base, **_oidc_params(conf)}))
        key_conf = plugins.get(KEY_AUTH)
        if isinstance(key_conf, dict):
            params = {**base, "header": str(key_conf.get("header") or "apikey"), "key": _declared_key(desired)}
            checks.append(Check(Kind.ROUTE, key, obj.source, What.KEY_AUTH, params))
    return checks


def _declared_key(desired: ResolvedState) -> Secret | None:
    """The first key-auth key the desired state declares, on a consumer or a credential."""
    for kind in (Kind.CONSUMER, Kind.CREDENTIAL):
        for _key, obj in sorted(desired.of(kind).items()):
            plugins = obj.body.get("plugins")
            conf = plugins.get(KEY_AUTH) if isinstance(plugins, dict) else None
            if isinstance(conf, dict) and conf.get("key"):
                return _secret(conf["key"])
    return None


def select(checks: list[Check], only: str | None) -> list[Check]:
    """The checks of one ``KIND.KEY`` (all when ``only`` is None); ``ValueError`` names the choices."""
    if only is None:
        return checks
    chosen = [c for c in checks if c.name == only]
    if not chosen:
        names = sorted({c.name for c in checks})
        raise ValueError(f"--only {only}: no such object to verify; choose one of: {', '.join(names) or 'none'}")
    return chosen


def plan_checks(desired: ResolvedState, live: LiveState, *, gateway: bool, only: str | None = None) -> list[Check]:
    """Every check to run, in output order: clients, plugins, then the gateway's."""
    checks = client_checks(desired, live) + plugin_checks(desired, live)
    if gateway:
        checks += gateway_checks(desired, live)
    return select(checks, only)
