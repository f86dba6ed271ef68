"""List paging of the Hydra emulator: query parsing and the ``Link`` header, quirks included.

Reconcilers break on paging more than on anything else: Hydra 2.x takes ``page_size`` and an
opaque ``page_token`` (base64url of ``{"offset":"N","v":2}``), silently reads a bad token as
offset 0, floors the offset to a page boundary, counts every client in ``X-Total-Count`` even
when a filter is set, and with zero clients emits a ``next`` link that never ends.  Hydra 1.10
takes ``limit`` and ``offset`` instead.  Both build ``Link`` as comma-joined entries whose URL
is the request path with its query re-encoded in sorted key order.  This module reproduces
that exactly, with no state of its own.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from urllib.parse import quote_plus

V2_DEFAULT, V2_MAX = 250, 1000
V1_DEFAULT, V1_MAX = 100, 500
_GO_INT = re.compile(r"[+-]?[0-9]+$")


@dataclass(frozen=True)
class Page:
    """Where a list request reads: ``offset`` (already floored) and page ``size``.

    ``link_offset`` is the offset the ``Link`` header is computed from.  ``size`` is 0 only
    for a v1 request with ``limit=0``, which real Hydra 1.10 cannot serve.
    """

    offset: int
    size: int
    link_offset: int


def _go_int(text: str | None) -> int | None:
    if text is None or not _GO_INT.match(text):
        return None
    return int(text)


def encode_token(offset: int) -> str:
    """The v2 page token for ``offset``."""
    raw = json.dumps({"offset": str(offset), "v": 2}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> int:
    """The offset in a v2 page token; anything undecodable is offset 0, as in Hydra."""
    if "=" in token or not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        return 0
    if not isinstance(data, dict):
        return 0
    value = data.get("offset")
    if isinstance(value, bool):
        return 0
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        m = re.match(r"\s*[+-]?[0-9]+", value)
        return int(m.group()) if m else 0
    return 0


def parse_v2(query: dict[str, list[str]]) -> Page:
    """Read ``page_size`` (default 250, 1..1000) and ``page_token`` from a v2 list query."""
    size = _go_int(_first(query, "page_size"))
    if size is None:
        size = V2_DEFAULT
    size = max(1, min(size, V2_MAX))
    token = _first(query, "page_token")
    offset = max(0, decode_token(token)) if token else 0
    offset = offset // size * size
    return Page(offset, size, offset)


def parse_v1(query: dict[str, list[str]]) -> Page:
    """Read ``limit`` (default 100, capped at 500) and ``offset`` from a v1 list query."""
    limit = _go_int(_first(query, "limit") or None)
    limit = V1_DEFAULT if limit is None else min(limit, V1_MAX)
    limit = max(limit, 0)
    offset = _go_int(_first(query, "offset") or None)
    offset = max(offset or 0, 0)
    floored = offset // limit * limit if limit else offset
    return Page(floored, limit, offset)


def _first(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _url(path: str, query: dict[str, list[str]], params: dict[str, str]) -> str:
    merged = {k: list(v) for k, v in query.items()}
    for key, value in params.items():
        merged[key] = [value]
    encoded = "&".join(f"{quote_plus(k)}={quote_plus(v)}" for k in sorted(merged) for v in merged[k])
    return f"{path}?{encoded}" if encoded else path


def link_header(path: str, query: dict[str, list[str]], total: int, size: int, offset: int,
                *, v2: bool) -> str:
    """The ``Link`` header value for a list response (ory/x ``pagination`` rules)."""
    size = max(size, 1)

    def link(rel: str, limit: int, at: int) -> str:
        if v2:
            params = {"page_size": str(limit), "page_token": encode_token(at)}
        else:
            params = {"limit": str(limit), "offset": str(at)}
        return f'<{_url(path, query, params)}>; rel="{rel}"'

    last = total - size if total % size == 0 else total // size * size
    if offset >= last:
        if total == 0:
            return ",".join([link("first", size, 0),
                             link("next", size, (offset // size + 1) * size),
                             link("prev", size, (offset // size - 1) * size)])
        if total < size or (v2 and total == size):
            return link("first", total, 0)
        return ",".join([link("first", size, 0), link("prev", size, last - size)])
    if offset < size:
        return ",".join([link("next", size, size), link("last", size, last)])
    return ",".join([link("first", size, 0),
                     link("next", size, (offset // size + 1) * size),
                     link("prev", size, (offset // size - 1) * size),
                     link("last", size, last)])
