"""The OAuth2 client document of the Hydra emulator: decoding, validation and rendering.

Hydra's behaviour lives in its Go types: a body is decoded into a ``Client`` struct (unknown
keys dropped, keys matched case-insensitively, type errors worded by ``encoding/json``), the
validator fills defaults and checks fields in a fixed order (the first failure wins), and the
struct is marshalled back in field-declaration order with Go's ``omitempty`` rules.  A create or
update response shows ``null`` for list fields that were not sent while a later GET shows
``[]``, so rendering knows which of the two forms it produces.  Everything here is pure: the
emulator in ``hydra.py`` owns state, time and randomness and passes them in; the validator
lives in ``hydra_validate.py``.

A client is held as a plain dict of Python values keyed by JSON field name: strings, lists of
strings (``None`` for a list that was not sent), ``metadata`` as compacted raw JSON text,
``jwks`` as a parsed object, and lifespans as integer nanoseconds or ``None``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from reconciler.sandbox.hydra_json import (
    GoJSONError,
    check_time,
    compact,
    dumps,
    format_duration,
    kind_of,
    parse_duration,
    scan_object,
)
from reconciler.sandbox.hydra_jwk import JWKError, parse_key
from reconciler.state.models.hydra import LIFESPANS

# (JSON name, kind, omitempty, v2 only), in Go struct order, which is the response key order.
FIELDS: tuple[tuple[str, str, bool, bool], ...] = (
    ("client_id", "str", False, False),
    ("client_name", "str", False, False),
    ("client_secret", "secret", True, False),
    ("redirect_uris", "list", False, False),
    ("grant_types", "list", False, False),
    ("response_types", "list", False, False),
    ("scope", "str", False, False),
    ("audience", "list", False, False),
    ("owner", "str", False, False),
    ("policy_uri", "str", False, False),
    ("allowed_cors_origins", "list", False, False),
    ("tos_uri", "str", False, False),
    ("client_uri", "str", False, False),
    ("logo_uri", "str", False, False),
    ("contacts", "list", False, False),
    ("client_secret_expires_at", "int", False, False),
    ("subject_type", "str", False, False),
    ("sector_identifier_uri", "str", True, False),
    ("jwks_uri", "str", True, False),
    ("jwks", "jwks", True, False),
    ("token_endpoint_auth_method", "str", True, False),
    ("token_endpoint_auth_signing_alg", "str", True, False),
    ("request_uris", "list", True, False),
    ("request_object_signing_alg", "str", True, False),
    ("userinfo_signed_response_alg", "str", True, False),
    ("created_at", "time", False, False),
    ("updated_at", "time", False, False),
    ("frontchannel_logout_uri", "str", True, False),
    ("frontchannel_logout_session_required", "bool", True, False),
    ("post_logout_redirect_uris", "list", True, False),
    ("backchannel_logout_uri", "str", True, False),
    ("backchannel_logout_session_required", "bool", True, False),
    ("metadata", "raw", True, False),
    ("registration_access_token", "secret", True, True),
    ("registration_client_uri", "secret", True, True),
    ("access_token_strategy", "str", True, True),
    ("skip_consent", "bool", False, True),
    ("skip_logout_consent", "nbool", False, True),
    *((name, "dur", False, True) for name in LIFESPANS),
)
_KIND = {name: kind for name, kind, _, _ in FIELDS}
_GO_TYPE = {"str": "string", "secret": "string", "list": "sqlxx.StringSliceJSONFormat", "int": "int",
            "bool": "bool", "jwks": "x.JoseJSONWebKeySet"}
_INT = re.compile(r"-?(0|[1-9][0-9]*)$")

META_PREFIX = ("The value of one of the Client Metadata fields is invalid and the server has rejected "
               "this request. Note that an Authorization Server MAY choose to substitute a valid value "
               "for any requested parameter of a Client's Metadata.")


@dataclass(frozen=True)
class ClientError(Exception):
    """A client that Hydra refuses: status and the two fields of the error body."""

    status: int
    error: str
    description: str


def decode_error(message: str) -> ClientError:
    """The 400 Hydra answers when a body does not decode (quotes become single quotes)."""
    return ClientError(400, "The request was malformed or contained invalid parameters",
                       ("Unable to decode the request body: " + message).replace('"', "'"))


def metadata_error(hint: str) -> ClientError:
    """An ``invalid_client_metadata`` 400 with the fixed prefix and ``hint``."""
    text = f"{META_PREFIX} {hint}" if hint else META_PREFIX
    return ClientError(400, "invalid_client_metadata", text.replace('"', "'"))


def empty_client() -> dict[str, Any]:
    """A zero-valued client, as Go's ``client.Client{}``."""
    out: dict[str, Any] = {}
    for name, kind, _, _ in FIELDS:
        if kind in ("str", "secret"):
            out[name] = ""
        elif kind == "int":
            out[name] = 0
        elif kind == "bool":
            out[name] = False
        else:
            out[name] = None
    return out


def _field_for(key: str, names: dict[str, str]) -> str | None:
    if key in _KIND:
        return key
    return names.get(key.lower())


def decode(body: bytes, *, struct: str = "Client", v2: bool = True,
           base: dict[str, Any] | None = None) -> dict[str, Any]:
    """Decode a request body into a client dict as Go's decoder fills a struct.

    The struct is a zero client, or a copy of ``base`` (PATCH decodes the patched document
    over the current client, so a removed key keeps its old value).  ``struct`` is ``Client``
    for client bodies and ``Lifespans`` for the lifespans endpoint, which only decodes the ten
    lifespan fields.  Raises ``ClientError`` (400).
    """
    try:
        kind, members = scan_object(body)
    except GoJSONError as exc:
        raise decode_error(str(exc)) from None
    go_value = "client.Client" if struct == "Client" else "client.Lifespans"
    if kind not in ("object", "null"):
        raise decode_error(f"json: cannot unmarshal {kind} into Go value of type {go_value}")
    allowed = {n for n, _, _, only2 in FIELDS if (v2 or not only2)}
    if struct != "Client":
        allowed = set(LIFESPANS)
    names = {n.lower(): n for n in allowed}
    client = dict(base) if base is not None else empty_client()
    saved: ClientError | None = None
    for key, raw in members:
        name = _field_for(key, names)
        if name is None or name not in allowed:
            continue
        try:
            _assign(client, name, raw, struct)
        except _TypeMismatch as exc:
            saved = saved or decode_error(str(exc))
    if saved is not None:
        raise saved
    return client


class _TypeMismatch(Exception):
    """A Go ``UnmarshalTypeError``: remembered, decoding goes on, the first one is reported."""


def _mismatch(what: str, struct: str, name: str, go_type: str) -> _TypeMismatch:
    return _TypeMismatch(f"json: cannot unmarshal {what} into Go struct field {struct}.{name} of type {go_type}")


def _assign(client: dict[str, Any], name: str, raw: str, struct: str) -> None:
    kind = _KIND[name]
    jkind = kind_of(raw)
    if kind == "raw":
        client[name] = compact(raw)
        return
    if kind == "dur":
        if jkind == "null":
            client[name] = None
            return
        if jkind != "string":
            path = f"Client.Lifespans.{name}" if struct == "Client" else f"Lifespans.{name}"
            raise decode_error(f"json: cannot unmarshal {jkind} into Go struct field {path} of type string")
        try:
            client[name] = parse_duration(_clean(json.loads(raw)))
        except ValueError as exc:
            raise decode_error(str(exc)) from None
        return
    if jkind == "null":
        if kind in ("list", "jwks", "nbool"):
            client[name] = None
        return
    value = _clean(json.loads(raw))
    if kind in ("str", "secret"):
        if jkind != "string":
            raise _mismatch(jkind, struct, name, "string")
        client[name] = value
    elif kind == "list":
        if jkind != "array":
            raise _mismatch(jkind, struct, name, _GO_TYPE["list"])
        value = ["" if v is None else v for v in value]  # null leaves a Go string at its zero value
        bad = next((v for v in value if not isinstance(v, str)), _Missing)
        if bad is not _Missing:
            client[name] = [v for v in value if isinstance(v, str)]
            raise _mismatch(kind_of(json.dumps(bad)), struct, name, "string")
        client[name] = value
    elif kind == "int":
        if jkind != "number":
            raise _mismatch(jkind, struct, name, "int")
        if not _INT.match(raw.strip()) or not -(2**63) <= int(raw) < 2**63:
            raise _mismatch(f"number {raw.strip()}", struct, name, "int")
        client[name] = int(raw)
    elif kind == "bool":
        if jkind != "bool":
            raise _mismatch(jkind, struct, name, "bool")
        client[name] = value
    elif kind == "nbool":
        if jkind != "bool":
            raise decode_error(f"json: cannot unmarshal {jkind} into Go value of type bool")
        client[name] = value
    elif kind == "time":
        if jkind != "string":
            raise decode_error("Time.UnmarshalJSON: input is not a JSON string")
        try:
            check_time(value)
        except ValueError as exc:
            raise decode_error(str(exc)) from None
        client[name] = value
    elif kind == "jwks":
        if jkind != "object":
            raise _mismatch(jkind, struct, name, _GO_TYPE["jwks"])
        if "keys" not in value:
            client[name] = {}
        elif value["keys"] is None:
            client[name] = {"keys": None}
        elif not isinstance(value["keys"], list):
            raise _mismatch(kind_of(json.dumps(value["keys"])), struct, name + ".keys", "[]jose.JSONWebKey")
        else:
            try:
                client[name] = {"keys": [parse_key(key) for key in value["keys"]]}
            except JWKError as exc:
                raise decode_error(str(exc)) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _clean(value: Any) -> Any:
    """Replace lone UTF-16 surrogates (from ``\\ud800`` escapes) with U+FFFD, as Go's decoder does."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value) if _SURROGATE.search(value) else value
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    return value


class _MissingType:
    pass


_Missing = _MissingType()


def before_save(client: dict[str, Any]) -> None:
    """What Hydra's ``BeforeSave`` hook fills in: ``[]`` and ``{}`` for unset values."""
    if client["audience"] is None:
        client["audience"] = []
    if client["allowed_cors_origins"] is None:
        client["allowed_cors_origins"] = []
    if client["metadata"] is None:
        client["metadata"] = "{}"
    if client["jwks"] is None:
        client["jwks"] = {}


def stored(client: dict[str, Any], *, v2: bool) -> dict[str, Any]:
    """The client as read back from the database: lists never nil (v1 splits on ``|``)."""
    out = dict(client)
    out["client_secret"] = ""
    out["registration_access_token"] = ""
    out["registration_client_uri"] = ""
    for name, kind, _, _ in FIELDS:
        if kind == "list":
            values = out[name] or []
            if not v2:
                values = [part for value in values for part in value.split("|")]
            out[name] = list(values)
    return out


def render(client: dict[str, Any], *, v2: bool) -> str:
    """Marshal ``client`` as Hydra does, in struct order and with ``omitempty`` applied."""
    parts: list[str] = []
    for name, kind, omitempty, only2 in FIELDS:
        if only2 and not v2:
            continue
        value = client[name]
        if omitempty and not value and not (kind == "jwks" and value is not None):
            continue
        if kind == "raw":
            text = value
        elif kind == "dur":
            text = "null" if value is None else f'"{format_duration(value)}"'
        else:
            text = dumps(value)
        parts.append(f'"{name}":{text}')
    return "{" + ",".join(parts) + "}"
