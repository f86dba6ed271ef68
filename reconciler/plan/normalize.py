"""Normalisation: make a desired body and a live body comparable, so that a fresh apply re-plans
as all no-ops.  Pure functions only.

Hydra (spec §2, "Drift rules"): server-owned fields are dropped; ``null``, ``[]`` and absent
lists are one thing, as are ``""`` and absent strings and ``false`` and absent booleans; the
server's defaults are applied to the desired side; ``scope`` and the list fields compare as sets;
lifespans compare as durations; CORS origins lose a trailing slash; our own ``metadata`` entry
(ownership labels and the secret fingerprint) is split off and judged separately.

APISIX (spec §5.5): ``id``, timestamps and the consumer ``username`` are dropped; a live value
that is only the schema default the server would have filled in (≤3.13, or objects written by
it) is ignored when the desired side does not mention the key; server-generated secrets
(openid-connect ``session`` and jwt-auth ``secret`` on ≤3.13) are ignored when the desired side
does not declare them; live strings at secret positions are wrapped in ``Secret`` so that they
compare by value and never print.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

from reconciler.config import HYDRA_METADATA_KEY
from reconciler.plan import defaults
from reconciler.secrets import Secret, is_reference
from reconciler.state.kinds import Kind
from reconciler.state.models.durations import parse_duration
from reconciler.state.models.hydra import LIFESPANS
from reconciler.state.models.sensitive import SECRET_FIELD_NAMES
from reconciler.state.registry import Path, get_path, spec

# --- canonical equality -----------------------------------------------------------------


def _reveal(value: object) -> str:
    if isinstance(value, Secret):
        return value.reveal()
    raise TypeError(f"not JSON: {type(value).__name__}")


def canonical(value: Any) -> str:
    """A canonical JSON text of ``value``, for equality only (never shown anywhere).

    A ``Secret`` takes part by its value, so a desired secret equals the same plain string read
    back from the server.  A whole-number float equals the integer: APISIX encodes JSON with Lua
    cjson, which returns a ``2.0`` it was sent as ``2``.
    """
    text = _dumps(value)
    if not _WHOLE_FLOAT.search(text):  # the common case: no number such as 2.0 in the text
        return text
    return _dumps(_whole_floats_as_ints(value))


def same_json(a: Any, b: Any) -> bool:
    """``canonical(a) == canonical(b)``, faster: whole-number floats are only looked for when the
    plain texts differ (the planner's common case is two equal texts)."""
    ta, tb = _dumps(a), _dumps(b)
    if ta == tb:
        return True
    if _WHOLE_FLOAT.search(ta) or _WHOLE_FLOAT.search(tb):
        return _dumps(_whole_floats_as_ints(a)) == _dumps(_whole_floats_as_ints(b))
    return False


def _dumps(value: Any) -> str:
    try:  # orjson: a dozen times faster than json, and canonical is the planner's inner loop
        return orjson.dumps(value, default=_reveal, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # e.g. an integer beyond 64 bits, or a non-string key
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_reveal)


#: A JSON number ending in ``.0`` (``2.0,`` ``2.0}`` ``2.0]``); IP addresses inside strings never
#: match, since a digit follows their dots.  Other text that matches only costs the slow path.
_WHOLE_FLOAT = re.compile(r"[0-9]\.0[,}\]]|[0-9]\.0$|[0-9]e[+-]?[0-9]")


def _whole_floats_as_ints(value: Any) -> Any:
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, dict):
        return {k: _whole_floats_as_ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_floats_as_ints(v) for v in value]
    return value


# --- Hydra ------------------------------------------------------------------------------

HYDRA_IGNORED = frozenset({
    "client_id", "client_secret", "created_at", "updated_at", "client_secret_expires_at",
    "registration_access_token", "registration_client_uri",
})
HYDRA_SET_LISTS = frozenset({
    "redirect_uris", "grant_types", "response_types", "audience", "allowed_cors_origins", "contacts",
    "request_uris", "post_logout_redirect_uris",
})
HYDRA_FALSE_BOOLS = frozenset({
    "frontchannel_logout_session_required", "backchannel_logout_session_required", "skip_consent",
    "skip_logout_consent",
})
HYDRA_DEFAULTS: dict[str, Any] = {
    "token_endpoint_auth_method": "client_secret_basic",
    "subject_type": "public",
    "userinfo_signed_response_alg": "none",
}
HYDRA_DEFAULT_SCOPE = "offline_access offline openid"


def go_duration_seconds(text: str) -> float | None:
    """Seconds in a Go duration string such as ``1h0m0s`` or ``90m``; None if it is not one.

    The one Go-duration parser of the tool is ``state.models.durations`` (the sandbox keeps its
    own, as an independent oracle); a live ``0s`` compares as zero seconds.
    """
    try:
        return parse_duration(text, positive=False) / 1e9
    except ValueError:
        return None


def hydra_split_metadata(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the user's metadata, our entry) from a client body; either may be empty."""
    metadata = body.get("metadata")
    if not isinstance(metadata, dict):
        return ({} if metadata in (None, {}) else {"": metadata}), {}
    ours = metadata.get(HYDRA_METADATA_KEY)
    user = {k: v for k, v in metadata.items() if k != HYDRA_METADATA_KEY}
    return user, ours if isinstance(ours, dict) else {}


def hydra_view(body: dict[str, Any]) -> dict[str, Any]:
    """The comparable form of a client (desired or live): only values that differ from defaults."""
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name in HYDRA_IGNORED or name == "metadata":
            continue
        if name in HYDRA_SET_LISTS:
            items = [v.rstrip("/") if name == "allowed_cors_origins" and isinstance(v, str) else v
                     for v in (value or [])]
            if items:
                out[name] = sorted(set(items), key=str)
        elif name in HYDRA_FALSE_BOOLS:
            if value:
                out[name] = True
        elif name in LIFESPANS:
            if value not in (None, ""):
                seconds = go_duration_seconds(str(value))
                out[name] = seconds if seconds is not None else value
        elif name == "scope":
            words = sorted(set(str(value or "").split()))
            out[name] = " ".join(words)
        elif name == "jwks":
            if value and value != {"keys": []}:
                out[name] = value
        elif name == "access_token_strategy":
            if value:
                out[name] = str(value).lower()
        elif value in (None, "", [], {}):
            continue
        else:
            out[name] = value
    out.setdefault("scope", " ".join(sorted(HYDRA_DEFAULT_SCOPE.split())))
    for name, default in HYDRA_DEFAULTS.items():
        if out.get(name) == default:
            del out[name]
    user_metadata, _ours = hydra_split_metadata(body)
    if user_metadata:
        out["metadata"] = user_metadata
    return out


# --- APISIX -----------------------------------------------------------------------------

SERVER_FIELDS = frozenset({"create_time", "update_time"})
SENSITIVE_NAMES = SECRET_FIELD_NAMES
KEYED_SECRET_PLUGINS = frozenset({"key-auth", "csrf"})
Schemas = dict[tuple[str, str], dict[str, Any] | None]


def apisix_live_view(kind: Kind, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """A live APISIX object without server-owned fields (id, username, timestamps)."""
    out = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
    s = spec(kind)
    if s.stored_key != "id":  # a consumer's username
        out.pop(s.stored_key, None)
    elif "id" in out and str(out["id"]) == s.own_id(key):
        del out["id"]
    return out


def apisix_desired_view(kind: Kind, body: dict[str, Any], ownership: dict[str, str]) -> dict[str, Any]:
    """The body we send: the desired body plus our ownership labels on labelled kinds."""
    if not spec(kind).labelled:
        return dict(body)
    labels = dict(body.get("labels") or {})
    labels.update(ownership)
    return {**body, "labels": labels}


def schema_type(kind: Kind) -> str:
    """Which plugin schema validates plugins on this kind."""
    return spec(kind).plugin_schema


def fill_defaults(kind: Kind, key: str, body: dict[str, Any], schemas: Schemas) -> dict[str, Any]:
    """What a ≤3.13 server would store for ``body``: core and plugin defaults filled in."""
    core = spec(kind).core_defaults
    out = defaults.fill(core, body) if core else dict(body)
    if kind is Kind.PLUGIN_METADATA:
        return dict(defaults.fill(schemas.get((key, "metadata")), out))
    plugins = out.get("plugins")
    if isinstance(plugins, dict):
        stype = schema_type(kind)
        out["plugins"] = {name: defaults.fill(schemas.get((name, stype)), conf) if isinstance(conf, dict) else conf
                          for name, conf in plugins.items()}
    return out


def _strip(live: Any, desired: Any, filled: Any) -> Any:
    """``live`` without keys the desired side lacks and whose value is only the filled default."""
    if not isinstance(live, dict) or not isinstance(desired, dict):
        if isinstance(live, list) and isinstance(desired, list) and isinstance(filled, list) \
                and len(live) == len(desired) == len(filled):
            return [_strip(a, b, c) for a, b, c in zip(live, desired, filled, strict=True)]
        return live
    filled = filled if isinstance(filled, dict) else {}
    out: dict[str, Any] = {}
    for name, value in live.items():
        if name not in desired:
            if name in filled and same_json(filled[name], value):
                continue
            out[name] = value
        else:
            out[name] = _strip(value, desired[name], filled.get(name))
    return out


def _drop_generated(kind: Kind, live: dict[str, Any], desired: dict[str, Any]) -> None:
    """Ignore secrets a ≤3.13 server invents when the desired side does not declare them."""
    live_plugins, want = live.get("plugins"), desired.get("plugins") or {}
    if not isinstance(live_plugins, dict):
        return
    oidc, oidc_want = live_plugins.get("openid-connect"), want.get("openid-connect")
    if isinstance(oidc, dict) and isinstance(oidc_want, dict) and "session" not in oidc_want:
        session = oidc.get("session")
        if isinstance(session, dict) and set(session) <= {"secret"}:
            live_plugins["openid-connect"] = {k: v for k, v in oidc.items() if k != "session"}
    jwt, jwt_want = live_plugins.get("jwt-auth"), want.get("jwt-auth")
    if kind in (Kind.CONSUMER, Kind.CREDENTIAL) and isinstance(jwt, dict) and isinstance(jwt_want, dict) \
            and "secret" not in jwt_want:
        live_plugins["jwt-auth"] = {k: v for k, v in jwt.items() if k != "secret"}


def secretize(value: Any, desired: Any, plugin: str | None = None, name: str = "") -> Any:
    """``value`` (live) with strings at secret positions wrapped in ``Secret``.

    A position is secret when the desired side holds a ``Secret`` there, or when its field name
    is a known secret inside a plugin config (``key`` only for key-auth and csrf).
    """
    if isinstance(value, str):
        sensitive = isinstance(desired, Secret) or (plugin is not None and (
            name in SENSITIVE_NAMES or (name == "key" and plugin in KEYED_SECRET_PLUGINS)))
        if is_reference(value) and not isinstance(desired, Secret):
            return value  # "$secret://..." names a secret; it is not one
        return Secret(value) if sensitive else value
    if isinstance(value, dict):
        want = desired if isinstance(desired, dict) else {}
        out: dict[str, Any] = {}
        for k, v in value.items():
            if plugin is None and name == "plugins":
                out[k] = secretize(v, want.get(k), k, k)
            else:
                out[k] = secretize(v, want.get(k), plugin, k)
        return out
    if isinstance(value, list):
        want_list = desired if isinstance(desired, list) else []
        return [secretize(v, want_list[i] if i < len(want_list) else None, plugin, name)
                for i, v in enumerate(value)]
    return value


def _set_path(body: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """A copy of ``body`` with ``value`` at ``path`` (copying only the dicts on the way)."""
    head, *rest = path
    if not rest:
        return {**body, head: value}
    inner = body.get(head)
    return {**body, head: _set_path(inner if isinstance(inner, dict) else {}, tuple(rest), value)}


def _with_unreadable_secrets(kind: Kind, desired: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """``live`` with the secrets the server never shows in plaintext replaced by the desired ones.

    An SSL's ``key``/``keys`` are left out of GET, and an upstream's ``tls.client_key`` (inline
    ones too) comes back as ciphertext (spec §6): neither can ever equal the desired value, so
    neither can be drift-checked.  The kind's spec lists the paths.
    """
    s = spec(kind)
    for path in s.omitted_secrets:
        want = get_path(desired, path)
        holder = get_path(live, path[:-1]) if len(path) > 1 else live
        if want is not None and isinstance(holder, dict) and path[-1] not in holder:
            live = _set_path(live, path, want)
    for path in s.ciphertext_secrets:
        want, have = get_path(desired, path), get_path(live, path)
        if want is not None and have is not None:
            live = _set_path(live, path, want)
    return live


def apisix_compare(kind: Kind, key: str, desired: dict[str, Any], live: dict[str, Any],
                   schemas: Schemas) -> tuple[dict[str, Any], bool]:
    """(the live view made comparable with ``desired``, whether the two are equal).

    Both inputs come from the view functions.  Fast path: when they are equal as they stand,
    nothing else is done.  Otherwise defaults the server would have filled, and secrets it would
    have generated, are dropped from ``live``, and live strings at secret positions are wrapped
    in ``Secret`` so that a diff can show the change without the value.
    """
    live = _with_unreadable_secrets(kind, desired, live)
    if same_json(live, desired):
        return desired, True
    live = dict(live)
    _drop_generated(kind, live, desired)
    filled = fill_defaults(kind, key, desired, schemas)
    if same_json(live, filled):  # stored by a server that fills defaults (≤3.13)
        return desired, True
    stripped = dict(_strip(live, desired, filled))
    return secretize(stripped, desired, None, ""), same_json(stripped, desired)


def plugin_names(body: dict[str, Any]) -> set[str]:
    """The plugin names an APISIX body uses."""
    plugins = body.get("plugins")
    return set(plugins) if isinstance(plugins, dict) else set()
