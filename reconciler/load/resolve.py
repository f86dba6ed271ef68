"""Validated files -> ``ResolvedState``: merging, duplicate ids, references and Hydra clients.

This is where the desired state is checked as a whole: ids declared twice (across files too),
references to objects that are not declared, and the cross-system link that makes this tool
worth having: an openid-connect plugin naming a Hydra client (``client: <client_id>``) is
checked against that client (redirect URI, scopes, grant types, auth method, discovery) and
then filled with its id, secret and discovery URL, so the two systems cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import DesiredStateError, Problem
from reconciler.load.fastyaml import NeedPositions
from reconciler.load.variables import is_unresolved
from reconciler.load.yamlfile import ParsedFile, dotted, find_node, position
from reconciler.secrets import Secret
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState
from reconciler.state.models.durations import normalize_duration
from reconciler.state.models.hydra import LIFESPANS
from reconciler.state.registry import LEVELS, SECTIONED, SPECS, child_kind, get_path, mark_secrets, spec


@dataclass
class Entry:
    """One declared object: where it is and what the user wrote (secrets already wrapped)."""

    kind: Kind
    key: str
    raw: dict[str, Any]
    file: ParsedFile
    loc: tuple[str | int, ...]

    def problem(self, sub: Sequence[str | int], message: str) -> Problem:
        """A problem at ``sub`` inside this object (at the deepest part of it that exists)."""
        if self.file.root is None:
            raise NeedPositions  # read without positions: the loader reads every file again

        node, _, followed = find_node(self.file.root, (*self.loc, *sub))
        line, column = position(node)
        path = [*followed, *list(sub)[len(followed) - len(self.loc) :]]
        return Problem(self.file.display, line, column, dotted(path), message)

    @property
    def source(self) -> str:
        """``file:line`` of the object."""
        if self.file.root is None:
            line = (self.file.item_lines or {}).get(self.loc)
            if line is None:
                raise NeedPositions
            return f"{self.file.display}:{line}"
        node, _, _ = find_node(self.file.root, self.loc)
        return f"{self.file.display}:{position(node)[0]}"


def _plain(value: Any) -> Any:
    return value.reveal() if isinstance(value, Secret) else value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _items(data: Any, system: str, section: str) -> list[Any]:
    """The list ``data[system][section]``, or [] when the file is too broken to have one."""
    part = data.get(system) if isinstance(data, dict) else None
    return _list(part.get(section)) if isinstance(part, dict) else []


def collect(files: Iterable[ParsedFile]) -> tuple[dict[Kind, dict[str, Entry]], list[Problem]]:
    """Every declared object by kind and key; a key declared twice is a problem naming both places."""
    entries: dict[Kind, dict[str, Entry]] = {}
    problems: list[Problem] = []

    def add(entry: Entry, key_field: str) -> None:
        seen = entries.setdefault(entry.kind, {})
        if entry.key in seen:
            first = seen[entry.key]
            message = f"duplicate {entry.kind.value} {entry.key!r} (first declared at {first.source})"
            problems.append(entry.problem([key_field], message))
        else:
            seen[entry.key] = entry

    for parsed in files:
        if not isinstance(parsed.data, dict):
            continue
        for s in SECTIONED:
            child = child_kind(s.kind)
            for i, raw in enumerate(_items(parsed.data, s.system, s.section)):
                if not isinstance(raw, dict) or s.key_field not in raw:
                    continue
                entry = Entry(s.kind, str(_plain(raw[s.key_field])), raw, parsed, (s.system, s.section, i))
                add(entry, s.key_field)
                if child is None:
                    continue
                for j, sub in enumerate(_list(raw.get(child.section))):
                    if not isinstance(sub, dict) or child.key_field not in sub:
                        continue
                    key = f"{entry.key}/{_plain(sub[child.key_field])}"
                    add(Entry(child.kind, key, sub, parsed, (*entry.loc, child.section, j)), child.key_field)
    return entries, problems


def check_references(entries: dict[Kind, dict[str, Entry]]) -> list[Problem]:
    """Ids that point at objects not declared in the desired state."""
    problems = []
    for s in SPECS:
        for ref in s.references:
            if not ref.checked_on_load:
                continue
            declared = entries.get(ref.target, {})
            for entry in entries.get(s.kind, {}).values():
                value = get_path(entry.raw, ref.path)
                if value is not None and str(_plain(value)) not in declared:
                    known = ", ".join(sorted(declared)) or "none declared"
                    problems.append(entry.problem(list(ref.path),
                                                  f"unknown {ref.target.value} {_plain(value)!r} (known: {known})"))
    rules: dict[str, Entry] = {}
    for entry in entries.get(Kind.GLOBAL_RULE, {}).values():
        plugins = entry.raw.get("plugins")
        for name in plugins if isinstance(plugins, dict) else {}:
            if name in rules:
                first = rules[name]
                message = f"plugin {name!r} is already in global rule {first.key!r} (APISIX 3.15+ allows one)"
                problems.append(entry.problem(["plugins", name], message))
            else:
                rules[name] = entry
    return problems


def issuer_of(files: Iterable[ParsedFile]) -> tuple[str | None, list[Problem]]:
    """The declared ``hydra.issuer`` (files must agree)."""
    found: tuple[str, ParsedFile] | None = None
    problems = []
    for parsed in files:
        hydra = parsed.data.get("hydra") if isinstance(parsed.data, dict) else None
        if not isinstance(hydra, dict) or not isinstance(hydra.get("issuer"), str | Secret):
            continue
        issuer = str(_plain(hydra["issuer"]))
        if found is None:
            found = (issuer, parsed)
        elif found[0] != issuer:
            if parsed.root is None:
                raise NeedPositions
            node, _, _ = find_node(parsed.root, ("hydra", "issuer"))
            line, column = position(node)
            message = f"hydra.issuer {issuer!r} differs from {found[0]!r} declared in {found[1].display}"
            problems.append(Problem(parsed.display, line, column, "hydra.issuer", message))
    return (found[0] if found else None), problems


def _words(value: Any) -> list[str]:
    value = _plain(value)
    return value.split() if isinstance(value, str) else [str(_plain(v)) for v in value]


def link_client(
    entry: Entry, plugin_path: list[str | int], conf: dict[str, Any], clients: dict[str, Entry], issuer: str | None
) -> list[Problem]:
    """Check an openid-connect ``client:`` reference and fill ``conf`` from the Hydra client."""
    name = str(_plain(conf["client"]))
    target = clients.get(name)
    if target is None:
        known = ", ".join(sorted(clients)) or "none declared"
        return [entry.problem([*plugin_path, "client"], f"unknown Hydra client {name!r} (known: {known})")]
    client = target.raw
    problems = []
    bearer_only = bool(conf.get("bearer_only", False))
    redirect = conf.get("redirect_uri")
    redirects = [_plain(u) for u in client.get("redirect_uris") or []]
    if redirect is not None and _plain(redirect) not in redirects:
        listed = ", ".join(redirects) or "none"
        message = f"redirect_uri {_plain(redirect)!r} is not among Hydra client {name!r} redirect_uris ({listed})"
        problems.append(entry.problem([*plugin_path, "redirect_uri"], message))
    elif redirect is None and not bearer_only:
        message = (
            f"redirect_uri is required for browser login: Hydra client {name!r} only redirects to its redirect_uris"
        )
        problems.append(entry.problem(plugin_path, message))
    client_scope = set(_words(client["scope"]))
    missing = [w for w in _words(conf.get("scope", "openid")) if w not in client_scope]
    if missing:
        at = [*plugin_path, "scope"] if "scope" in conf else plugin_path
        allowed = " ".join(sorted(client_scope))
        message = f"scope {' '.join(missing)!r} not allowed by Hydra client {name!r} (scope {allowed!r})"
        problems.append(entry.problem(at, message))
    grants = [_plain(g) for g in client.get("grant_types") or []]
    if not bearer_only and grants and "authorization_code" not in grants:
        message = f"Hydra client {name!r} does not allow grant type authorization_code, needed for browser login"
        problems.append(entry.problem([*plugin_path, "client"], message))
    responses = [_plain(r) for r in client.get("response_types") or []]
    if not bearer_only and responses and not any("code" in r.split() for r in responses):
        message = f"Hydra client {name!r} does not allow response type 'code', needed for browser login"
        problems.append(entry.problem([*plugin_path, "client"], message))
    ours = _plain(conf.get("token_endpoint_auth_method", "client_secret_basic"))
    theirs = _plain(client.get("token_endpoint_auth_method", "client_secret_basic"))
    if ours != theirs:
        at = [*plugin_path, "token_endpoint_auth_method"] if "token_endpoint_auth_method" in conf else plugin_path
        message = f"token_endpoint_auth_method {ours!r} differs from Hydra client {name!r} ({theirs!r})"
        problems.append(entry.problem(at, message))
    secret = client.get("client_secret")
    if secret is None and ours in ("client_secret_basic", "client_secret_post"):
        message = f"Hydra client {name!r} declares no client_secret to give the plugin"
        problems.append(entry.problem([*plugin_path, "client"], message))
    discovery = conf.get("discovery")
    if discovery is None and issuer is None:
        message = "discovery is not given and no hydra.issuer is declared to derive it from"
        problems.append(entry.problem([*plugin_path, "client"], message))
    if problems:
        return problems
    del conf["client"]
    conf["client_id"] = target.key
    if secret is not None:
        conf["client_secret"] = Secret(secret)
    if discovery is None:
        assert issuer is not None
        conf["discovery"] = issuer.rstrip("/") + "/.well-known/openid-configuration"
    return []


def client_body(raw: dict[str, Any]) -> dict[str, Any]:
    """Hydra JSON of a client as written: no client_id, scope joined, lifespans normalised.

    Bodies share nested values with the loaded data, which is built fresh for every object
    (aliases included) and not used after resolution, so nothing else sees the changes.
    """
    body = {k: v for k, v in raw.items() if k != "client_id"}
    if isinstance(body["scope"], list):
        body["scope"] = " ".join(_plain(w) for w in body["scope"])
    for name in LIFESPANS:
        value = body.get(name)
        if is_unresolved(value):
            continue  # offline validate: no value to normalise
        if isinstance(value, Secret):
            body[name] = Secret(normalize_duration(value.reveal()))
        elif isinstance(value, str):
            body[name] = normalize_duration(value)
    return mark_secrets(Kind.OAUTH2_CLIENT, body)


def apisix_body(entry: Entry) -> dict[str, Any]:
    """The Admin API object: the user's data minus the key field (and a consumer's credentials)."""
    child = child_kind(entry.kind)
    drop = {spec(entry.kind).key_field, *((child.section,) if child is not None else ())}
    body = {k: v for k, v in entry.raw.items() if k not in drop}
    return mark_secrets(entry.kind, body)


def resolve(files: Sequence[ParsedFile], prior: Sequence[Problem] = ()) -> ResolvedState:
    """Merge validated files into a ``ResolvedState``; raise ``DesiredStateError`` with every problem.

    ``prior`` are the problems loading found.  With some, the whole-state checks still run (so
    one run reports everything), but an object too broken to resolve is skipped quietly: its
    own problems are already reported.
    """
    entries, problems = collect(files)
    problems = [*prior, *problems]
    issuer, issuer_problems = issuer_of(files)
    problems += issuer_problems + check_references(entries)
    clients = entries.get(Kind.OAUTH2_CLIENT, {})
    objects: dict[Kind, dict[str, Any]] = {}
    for kind in LEVELS:
        by_key = entries.get(kind)
        if not by_key:
            continue
        out = objects.setdefault(kind, {})
        for key, entry in by_key.items():
            try:
                body = client_body(entry.raw) if kind is Kind.OAUTH2_CLIENT else apisix_body(entry)
                plugins = body.get("plugins")
                if spec(kind).links_clients and isinstance(plugins, dict):
                    conf = plugins.get("openid-connect")
                    if isinstance(conf, dict) and "client" in conf:
                        problems += link_client(entry, ["plugins", "openid-connect"], conf, clients, issuer)
            except (KeyError, TypeError, ValueError, AttributeError):
                if not prior:
                    raise
                continue
            out[key] = DesiredObject(kind, key, body, entry.source)
    if problems:
        raise DesiredStateError(sort_problems(problems))
    systems = frozenset(
        system
        for parsed in files
        if isinstance(parsed.data, dict)
        for system in ("hydra", "apisix")
        if system in parsed.data
    )
    managed = frozenset(e.key for e in entries.get(Kind.CONSUMER, {}).values() if "credentials" in e.raw)
    return ResolvedState(objects=objects, systems=systems, managed_credentials=managed, hydra_issuer=issuer)


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Problems in file order, without repeats."""
    return sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.path, p.message))
