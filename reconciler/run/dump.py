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
import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from reconciler.config import Connection, Options
from reconciler.errors import PlanError, ReconcilerError
from reconciler.plan.normalize import (
    apisix_live_view,
    canonical,
    fill_defaults,
    hydra_split_metadata,
    hydra_view,
)
from reconciler.plan.ownership import carries, has_owned_id, object_labels
from reconciler.run.engine import read_live
from reconciler.secrets import Secret, is_reference
from reconciler.state.kinds import Kind
from reconciler.state.live import LiveObject, LiveState
from reconciler.state.models.hydra import OAuth2Client
from reconciler.state.models.sensitive import PLUGIN_SECRETS, SECRET_FIELD_NAMES
from reconciler.state.registry import DEFAULTS_STORED_UNTIL, LEVELS, Ownership, get_path, spec

Scope = Literal["owned", "selector", "all"]
SCHEMA_PATH: Final = Path("schemas") / "desired-state.schema.json"

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
            name = env_name(kind, key, plugin, path, taken)
            dump.secrets.append(DumpedSecret(name, f"{kind.value}.{key}", ".".join(("plugins", plugin, *path)),
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
        name = env_name(kind, key, "", path, taken)
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
            name = env_name(kind, key, "", path, taken)
            dump.secrets.append(DumpedSecret(name, f"{kind.value}.{key}", ".".join(path)))
            dump.notes.append(f"{kind.value}.{key}: the private {'.'.join(path)} cannot be read back; set ${name}")
            if path == s.omitted_secrets[0]:
                _put(body, path, f"${{env:{name}}}")
    for path in s.ciphertext_secrets:
        holder = get_path(body, path[:-1])
        if not isinstance(holder, dict) or path[-1] not in holder:
            continue
        name = env_name(kind, key, "", path, taken)
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


# --- defaults (APISIX ≤3.13) -----------------------------------------------------------------


def _get(value: Any, path: Sequence[str | int]) -> Any:
    for step in path:
        if isinstance(step, int):
            value = value[step] if isinstance(value, list) and step < len(value) else None
        else:
            value = value.get(step) if isinstance(value, dict) else None
    return value


def strip_defaults(kind: Kind, key: str, body: dict[str, Any], schemas: dict[tuple[str, str], Any]) -> dict[str, Any]:
    """``body`` without every value the server would fill back in by itself (top-down, checked)."""
    result = copy.deepcopy(body)

    def visit(path: tuple[str | int, ...]) -> None:
        node = _get(result, path)
        if isinstance(node, list):
            for i in range(len(node)):
                visit((*path, i))
            return
        if not isinstance(node, dict):
            return
        order = list(node)
        for name in order:
            value = node.pop(name)
            refilled = _get(fill_defaults(kind, key, result, schemas), (*path, name))
            if refilled is not None and canonical(refilled) == canonical(value):
                continue
            node[name] = value
            visit((*path, name))
        kept = {k: node[k] for k in order if k in node}
        node.clear()
        node.update(kept)

    visit(())
    return result


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


def _modeline(out_dir: Path) -> str:
    """The yaml-language-server modeline pointing at the nearest ``schemas/desired-state.schema.json``."""
    here = out_dir.resolve()
    for depth, parent in enumerate([here, *here.parents]):
        if (parent / SCHEMA_PATH).is_file():
            return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_PATH.as_posix()}"
    return f"# yaml-language-server: $schema=../{SCHEMA_PATH.as_posix()}"


def _yaml_items(items: list[dict[str, Any]], comments: dict[int, str]) -> list[str]:
    lines: list[str] = []
    for i, item in enumerate(items):
        if i in comments:
            lines.append(f"    # {comments[i]}")
        text = yaml.safe_dump([item], sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
        lines += ["    " + line if line else line for line in text.rstrip("\n").split("\n")]
        lines.append("")
    return lines


def build_dump(live: LiveState, options: Options, scope: Scope, out_dir: Path) -> Dump:
    """Turn live state into desired-state files (pure apart from looking for the schema file)."""
    dump, taken = Dump(), set[str]()
    modeline = _modeline(out_dir)
    creds: dict[str, list[LiveObject]] = {}
    for key, obj in sorted(live.of(Kind.CREDENTIAL).items()):
        if selected(Kind.CREDENTIAL, obj, scope, options):
            creds.setdefault(key.partition("/")[0], []).append(obj)
    for kind in LEVELS:
        if kind is Kind.CREDENTIAL:
            continue
        objects = [o for _k, o in sorted(live.of(kind).items()) if selected(kind, o, scope, options)]
        if not objects:
            continue
        comments: dict[int, str] = {}
        items: list[dict[str, Any]] = []
        for obj in objects:
            if kind is Kind.OAUTH2_CLIENT:
                items.append(client_entry(obj, dump))
                comments[len(items) - 1] = ("client_secret: not readable from Hydra, so left unmanaged "
                                            "(add client_secret: ${env:NAME} to manage it)")
                continue
            entry = apisix_entry(kind, obj, options, live, dump, taken)
            if kind is Kind.CONSUMER and obj.key in creds:
                entry["credentials"] = [apisix_entry(Kind.CREDENTIAL, c, options, live, dump, taken)
                                        for c in creds[obj.key]]
                dump.counts[Kind.CREDENTIAL] = dump.counts.get(Kind.CREDENTIAL, 0) + len(creds[obj.key])
            items.append(entry)
        dump.counts[kind] = len(items)
        system, section = spec(kind).system, spec(kind).section
        header = [modeline, "#", f"# Dumped by `reconcile dump --scope {scope}`: {len(items)} {kind.value} object(s).",
                  "# Secrets are ${env:NAME} placeholders; see secrets.env.example.", f"{system}:", f"  {section}:"]
        dump.files[spec(kind).dump_file] = "\n".join(header + _yaml_items(items, comments)).rstrip("\n") + "\n"
    return dump


def secrets_example(dump: Dump) -> str:
    """``secrets.env.example``: every placeholder name, without values."""
    lines = ["# The environment variables the dumped desired state reads (values left out).", ""]
    for secret in dump.secrets:
        lines.append(f"# {secret.address}: {secret.path}")
        lines.append(f"{secret.name}=")
    return "\n".join(lines) + "\n"


def write_dump(dump: Dump, out_dir: Path) -> list[Path]:
    """Write the files (and ``secrets.env.example`` when there are secrets); returns the paths."""
    files = dict(dump.files)
    if dump.secrets:
        files["secrets.env.example"] = secrets_example(dump)
    written: list[Path] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (out_dir / name).write_text(text)
            written.append(out_dir / name)
    except OSError as exc:
        raise ReconcilerError(f"cannot write the dump to {out_dir}: {exc.strerror or exc}") from exc
    return written


# --- reading ----------------------------------------------------------------------------------


def dump_live(conn: Connection, options: Options, *, scope: Scope, systems: frozenset[str], out_dir: Path) -> Dump:
    """Read the servers and build the dump (not yet written)."""
    if scope == "selector" and not options.selector:
        raise PlanError("--scope selector needs at least one --selector key=value")
    live = asyncio.run(read_live(conn, systems))
    if live.incomplete:
        why = "; ".join(f"{k.value}: {v}" for k, v in sorted(live.incomplete.items()))
        raise PlanError(f"live state could not be read completely ({why}); nothing was dumped")
    return build_dump(live, options, scope, out_dir)


__all__ = ["Dump", "DumpedSecret", "build_dump", "dump_live", "env_name", "secrets_example", "write_dump"]
