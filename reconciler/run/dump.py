"""``reconcile dump``: live state written back as desired-state YAML, so a gateway that predates
Git can be brought under it.

The output must round-trip (dump, then plan, gives no changes), so it is built from the same
normalisation the planner uses: server-owned fields go (``apisix_live_view``), Hydra's defaults
and empty values go (``hydra_view`` decides which fields matter), and on APISIX ≤3.13, which
stored every schema default it filled in, a value is dropped when the server would fill the same
value back (``fill_defaults`` with the live plugin schemas).  Our ownership labels and Hydra
``metadata.reconcile`` are removed, since every apply adds them.  Secrets never reach the files:
each becomes a ``${env:NAME}`` placeholder with a deterministic name, and Hydra client secrets,
which Hydra never returns, are left out (unmanaged) with a comment.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from reconciler.config import Connection, Options
from reconciler.errors import PlanError
from reconciler.plan.normalize import (
    apisix_live_view,
    hydra_split_metadata,
    hydra_view,
)
from reconciler.plan.ownership import carries, has_owned_id, object_labels
from reconciler.run import dump_links
from reconciler.run.dump_defaults import strip_defaults
from reconciler.run.dump_files import modeline_for, render_file, secrets_example, write_dump
from reconciler.run.dump_like import Like
from reconciler.run.engine import read_live
from reconciler.secrets import Secret, is_reference
from reconciler.state.kinds import Kind
from reconciler.state.live import LiveObject, LiveState
from reconciler.state.models.hydra import OAuth2Client
from reconciler.state.models.sensitive import PLUGIN_SECRETS, SECRET_FIELD_NAMES
from reconciler.state.registry import DEFAULTS_STORED_UNTIL, LEVELS, Ownership, child_kind, get_path, spec

Scope = Literal["owned", "selector", "all"]

_ABBREV: Final[dict[str, str]] = {"openid-connect": "OIDC"}


@dataclass(frozen=True)
class DumpedSecret:
    """One secret replaced by ``${env:name}``.  ``value`` is None when it cannot be read back."""

    name: str
    address: str
    path: str
    value: Secret | None = None


@dataclass
class Dump:
    """What ``dump`` produced: file name -> YAML text, the placeholders, and notes for the user."""

    files: dict[str, str] = field(default_factory=dict)
    secrets: list[DumpedSecret] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    counts: dict[Kind, int] = field(default_factory=dict)
    #: Secret names to reuse, by (address, path): from ``--like`` (``dump_like``).
    names: dict[tuple[str, str], str] = field(default_factory=dict)


# --- selection --------------------------------------------------------------------------------


def selected(kind: Kind, obj: LiveObject, scope: Scope, options: Options) -> bool:
    """Whether ``obj`` belongs in a dump of ``scope``."""
    if scope == "all":
        return True
    rule = spec(kind).ownership
    if rule is Ownership.DECLARED:  # ours only when declared: nothing to recognise it by
        return False
    if rule is Ownership.ID_PREFIX:
        return has_owned_id(kind, obj.key, options)
    wanted = options.ownership_labels if scope == "owned" else options.selector
    return carries(object_labels(kind, obj.body), wanted)


# --- secrets ----------------------------------------------------------------------------------


def env_name(kind: Kind, key: str, plugin: str, path: Sequence[str], taken: set[str]) -> str:
    """A deterministic, unique environment variable name for one secret."""
    words = ["RECONCILE", kind.value, key.replace("/", "_"), _ABBREV.get(plugin, plugin), *path]
    base = re.sub(r"_+", "_", re.sub(r"[^A-Z0-9]", "_", "_".join(words).upper())).strip("_")
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _name(dump: Dump, kind: Kind, key: str, plugin: str, path: Sequence[str], dotted: str, taken: set[str]) -> str:
    """The name ``--like`` gives this secret's place, else a new ``env_name``."""
    wanted = dump.names.get((f"{kind.value}.{key}", dotted))
    return wanted if wanted else env_name(kind, key, plugin, path, taken)


def _placeholders(kind: Kind, key: str, body: dict[str, Any], dump: Dump, taken: set[str]) -> None:
    """Replace every plugin secret in ``body`` (in place) by a placeholder, recording it."""
    plugins = body.get("plugins")
    if not isinstance(plugins, dict):
        return
    for plugin in sorted(plugins):
        config = plugins[plugin]
        named = [(k,) for k in sorted(config) if k in SECRET_FIELD_NAMES] if isinstance(config, dict) else []
        for path in dict.fromkeys([*PLUGIN_SECRETS.get(plugin, ()), *named]):
            node: Any = plugins[plugin]
            for step in path[:-1]:
                node = node.get(step) if isinstance(node, dict) else None
            if not isinstance(node, dict) or not isinstance(node.get(path[-1]), str) or is_reference(node[path[-1]]):
                continue
            dotted = ".".join(("plugins", plugin, *path))
            name = _name(dump, kind, key, plugin, path, dotted, taken)
            dump.secrets.append(DumpedSecret(name, f"{kind.value}.{key}", dotted,
                                             Secret(node[path[-1]])))
            node[path[-1]] = f"${{env:{name}}}"


def _kind_placeholders(kind: Kind, key: str, body: dict[str, Any], dump: Dump, taken: set[str]) -> None:
    """Replace the kind's own readable secrets (a vault token, aws keys) by placeholders, in place."""
    s = spec(kind)
    for path in s.secret_paths:
        if path in s.omitted_secrets or path in s.ciphertext_secrets:
            continue  # handled by _unreadable_placeholders
        value = get_path(body, path)
        if not isinstance(value, str) or is_reference(value):
            continue
        name = _name(dump, kind, key, "", path, ".".join(path), taken)
        dump.secrets.append(DumpedSecret(name, f"{kind.value}.{key}", ".".join(path), Secret(value)))
        _put(body, path, f"${{env:{name}}}")


def _unreadable_placeholders(kind: Kind, key: str, body: dict[str, Any], dump: Dump, taken: set[str]) -> None:
    """Secrets the server never shows in plaintext (the kind's spec lists them, spec §6).

    An SSL's ``key``/``keys`` are left out of GET: the key gets a placeholder, and both a note.
    An upstream's ``tls.client_key`` (inline ones too) reads back only as ciphertext: dumping it
    would put the key in Git (the default keyring is public) and applying it would send
    ciphertext as the key, so a placeholder takes its place.
    """
    s = spec(kind)
    for path in s.omitted_secrets:
        if get_path(body, path) is None:
            name = _name(dump, kind, key, "", path, ".".join(path), taken)
            dump.secrets.append(DumpedSecret(name, f"{kind.value}.{key}", ".".join(path)))
            dump.notes.append(f"{kind.value}.{key}: the private {'.'.join(path)} cannot be read back; set ${name}")
            if path == s.omitted_secrets[0]:
                _put(body, path, f"${{env:{name}}}")
    for path in s.ciphertext_secrets:
        holder = get_path(body, path[:-1])
        if not isinstance(holder, dict) or path[-1] not in holder:
            continue
        name = _name(dump, kind, key, "", path, ".".join(path), taken)
        dump.secrets.append(DumpedSecret(name, f"{kind.value}.{key}", ".".join(path)))
        dump.notes.append(f"{kind.value}.{key}: the TLS client key reads back only encrypted; set ${name}")
        _put(body, path, f"${{env:{name}}}")


def _put(body: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set ``value`` at ``path`` in place, copying the dicts on the way (they may be shared)."""
    node = body
    for step in path[:-1]:
        node[step] = dict(node[step])
        node = node[step]
    node[path[-1]] = value


# --- entries ----------------------------------------------------------------------------------

_CLIENT_FIELDS: Final = frozenset(OAuth2Client.model_fields)


def client_entry(obj: LiveObject, dump: Dump) -> dict[str, Any]:
    """A Hydra client as a desired-state entry: only fields that differ from Hydra's defaults."""
    view = hydra_view(obj.body)
    entry: dict[str, Any] = {"client_id": obj.key}
    for name, value in obj.body.items():
        if name in view and name not in ("metadata", "client_id"):
            if name in _CLIENT_FIELDS:
                entry[name] = value
            else:
                dump.notes.append(f"oauth2_client.{obj.key}: field {name!r} is not supported and was left out")
    user_metadata, _ours = hydra_split_metadata(obj.body)
    if user_metadata:
        entry["metadata"] = user_metadata
    return entry


def apisix_entry(kind: Kind, obj: LiveObject, options: Options, live: LiveState, dump: Dump,
                 taken: set[str]) -> dict[str, Any]:
    """An APISIX object as a desired-state entry (without its credentials)."""
    body = apisix_live_view(kind, obj.key, obj.body)
    if "apisix" in live.servers and not live.servers["apisix"].at_least(DEFAULTS_STORED_UNTIL[0],
                                                                        DEFAULTS_STORED_UNTIL[1] + 1):
        body = strip_defaults(kind, obj.key, body, live.schemas)
    labels = {k: v for k, v in (body.get("labels") or {}).items() if options.ownership_labels.get(k) != v}
    body.pop("labels", None)
    if labels:
        body["labels"] = labels
    _placeholders(kind, obj.key, body, dump, taken)
    _kind_placeholders(kind, obj.key, body, dump, taken)
    _unreadable_placeholders(kind, obj.key, body, dump, taken)
    return {spec(kind).key_field: spec(kind).own_id(obj.key), **body}


# --- building ---------------------------------------------------------------------------------


def _collect(live: LiveState, options: Options, scope: Scope, dump: Dump, taken: set[str]) -> tuple[
        dict[Kind, list[dict[str, Any]]], dict[Kind, list[LiveObject]]]:
    """Every selected object as a desired-state entry, by kind (a child kind inside its parent)."""
    entries: dict[Kind, list[dict[str, Any]]] = {}
    objects: dict[Kind, list[LiveObject]] = {}
    for kind in LEVELS:
        if spec(kind).parent is not None:  # written inside its parent's entry
            continue
        child = child_kind(kind)
        nested: dict[str, list[LiveObject]] = {}
        if child is not None:
            for key, obj in sorted(live.of(child.kind).items()):
                if selected(child.kind, obj, scope, options):
                    nested.setdefault(key.partition("/")[0], []).append(obj)
        chosen = [o for _k, o in sorted(live.of(kind).items()) if selected(kind, o, scope, options)]
        items: list[dict[str, Any]] = []
        for obj in chosen:
            if kind is Kind.OAUTH2_CLIENT:
                items.append(client_entry(obj, dump))
                continue
            entry = apisix_entry(kind, obj, options, live, dump, taken)
            if child is not None and obj.key in nested:
                entry[child.section] = [apisix_entry(child.kind, c, options, live, dump, taken)
                                        for c in nested[obj.key]]
                dump.counts[child.kind] = dump.counts.get(child.kind, 0) + len(nested[obj.key])
            items.append(entry)
        if items:
            entries[kind], objects[kind] = items, chosen
            dump.counts[kind] = len(items)
    return entries, objects


def _link(entries: dict[Kind, list[dict[str, Any]]], dump: Dump, taken: set[str], issuer: str | None) -> str | None:
    """Rebuild ``client:`` links (``dump_links``); the issuer they use, or None when nothing linked."""
    clients = {e["client_id"] for e in entries.get(Kind.OAUTH2_CLIENT, [])}
    issuer = issuer or dump_links.issuer_of(entries, clients)
    if issuer is None:
        return None
    values: dict[str, Any] = {s.name: s.value for s in dump.secrets}
    known = set(values)

    def client_secret_name(client_id: str) -> str:
        return _name(dump, Kind.OAUTH2_CLIENT, client_id, "", ("client_secret",), "client_secret", taken)

    linked = dump_links.link_clients(entries, issuer, values, client_secret_name)
    if not linked:
        return None
    dump.secrets = [s for s in dump.secrets if s.name in values]
    for name in values.keys() - known:
        client_id = next(c for c in clients if f"${{env:{name}}}" == _client(entries, c).get("client_secret"))
        dump.secrets.append(DumpedSecret(name, f"oauth2_client.{client_id}", "client_secret", values[name]))
    return issuer


def _client(entries: dict[Kind, list[dict[str, Any]]], client_id: str) -> dict[str, Any]:
    return next(e for e in entries.get(Kind.OAUTH2_CLIENT, []) if e["client_id"] == client_id)


def build_dump(live: LiveState, options: Options, scope: Scope, out_dir: Path, like: Like | None = None,
               links: bool = True) -> Dump:
    """Turn live state into desired-state files (pure apart from looking for the schema file).

    ``like`` gives the files and secret names of an existing desired state; ``links`` rebuilds
    openid-connect ``client:`` links and ``hydra.issuer`` (``dump_links``).
    """
    dump, taken = Dump(names=dict(like.names) if like else {}), set[str]()
    taken.update(dump.names.values())
    entries, objects = _collect(live, options, scope, dump, taken)
    issuer = _link(entries, dump, taken, like.issuer if like else None) if links else None
    if issuer is None and like is not None and Kind.OAUTH2_CLIENT in entries:
        issuer = like.issuer
    files: dict[str, list[tuple[Kind, list[dict[str, Any]], dict[int, str]]]] = {}
    for kind, items in entries.items():
        for obj, entry in zip(objects[kind], items, strict=True):
            name = like.files.get((kind, obj.key), spec(kind).dump_file) if like else spec(kind).dump_file
            parts = files.setdefault(name, [])
            if not parts or parts[-1][0] is not kind:
                parts.append((kind, [], {}))
            if kind is Kind.OAUTH2_CLIENT and "client_secret" not in entry:
                parts[-1][2][len(parts[-1][1])] = ("client_secret: not readable from Hydra, so left unmanaged "
                                                   "(add client_secret: ${env:NAME} to manage it)")
            parts[-1][1].append(entry)
    for name, parts in files.items():
        dump.files[name] = render_file(parts, scope, modeline_for((out_dir / name).parent), issuer)
    return dump


# --- reading ----------------------------------------------------------------------------------


def dump_live(conn: Connection, options: Options, *, scope: Scope, systems: frozenset[str], out_dir: Path,
              like: Like | None = None) -> Dump:
    """Read the servers and build the dump (not yet written)."""
    if scope == "selector" and not options.selector:
        raise PlanError("--scope selector needs at least one --selector key=value")
    live = asyncio.run(read_live(conn, systems))
    if live.incomplete:
        why = "; ".join(f"{k.value}: {v}" for k, v in sorted(live.incomplete.items()))
        raise PlanError(f"live state could not be read completely ({why}); nothing was dumped")
    dump = build_dump(live, options, scope, out_dir, like)
    problem = loads_offline(dump)
    if problem is not None:
        # The loader's checks have the last word on a rebuilt link: keep the literals instead.
        dump = build_dump(live, options, scope, out_dir, like, links=False)
        dump.notes.append(f"openid-connect plugins kept their literal client_id/client_secret/discovery: "
                          f"linked, the dump would not load ({problem})")
    return dump


def loads_offline(dump: Dump) -> str | None:
    """None when the dump's files load as a desired state (values not needed), else the first problem."""
    import tempfile

    from reconciler.errors import DesiredStateError
    from reconciler.load.loader import load_state

    with tempfile.TemporaryDirectory() as tmp:
        for name, text in dump.files.items():
            (Path(tmp) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / name).write_text(text)
        try:
            load_state(Path(tmp), env={}, require_values=False)
        except DesiredStateError as exc:
            first = exc.problems[0] if exc.problems else None
            return f"{first.path}: {first.message}" if first else "invalid"
    return None


__all__ = ["Dump", "DumpedSecret", "build_dump", "dump_live", "env_name", "loads_offline", "secrets_example",
           "write_dump"]
