"""List responses of the APISIX emulator: v3 envelope, paging, filters and their quirks.

Why its own module: listing is where clients break on real APISIX (``page_size`` limits with a
plain-text error under a JSON content type, ``"list":{}`` for an empty page, ``total`` counted
after filtering, createdIndex order only when paging) and where the emulator must stay fast with
10,000 objects, so it joins pre-serialised items instead of encoding objects per request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote_plus

from reconciler.sandbox.apisix_resources import ApiError, Entry
from reconciler.sandbox.http import Request

PAGE_SIZE_ERROR = "page_size must be between 10 and 500"


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _search(pattern: str, text: str) -> bool:
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return False


def _keep(entry: Entry, name: str | None, label: str | None, uri: str | None,
          refs: list[tuple[str, str | None]]) -> bool:
    value = entry.plain
    if name is not None:
        current = value.get("name")
        if not _search(name, "nil" if current is None else str(current)):
            return False
    if label is not None:
        labels = value.get("labels")
        if not isinstance(labels, dict) or label not in labels:
            return False
    if uri is not None:
        candidates = [value["uri"]] if isinstance(value.get("uri"), str) else []
        candidates += [u for u in value.get("uris") or [] if isinstance(u, str)]
        if not any(_search(uri, c) for c in candidates):
            return False
    return all(v is not None and value.get(k) == v for k, v in refs)


def _filter_refs(raw: str) -> list[tuple[str, str | None]]:
    """``filter=`` as ``v3_adapter.lua`` ``_filter`` reads it (3.18.0): ``ngx.decode_args``, only
    ``service_id``/``upstream_id``, the last value of a repeated key, and a key without ``=``
    (decoded as Lua ``true``) that no stored string equals."""
    last: dict[str, str | None] = {}
    for part in raw.split("&"):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = unquote_plus(key)
        if key in ("service_id", "upstream_id"):
            last[key] = unquote_plus(value) if sep else None
    return list(last.items())


def page_of(request: Request, segment: str, by_created: Sequence[Entry], by_key: Sequence[Entry],
            ) -> tuple[list[Entry], int, bool]:
    """The entries of the requested page, the total after filtering, and whether the page
    must be encoded as an empty object.  Raises the plain-text 400 on a bad ``page_size``."""
    page, size = _number(request.arg("page")), _number(request.arg("page_size"))
    paging = page is not None and size is not None
    if paging and size is not None and not 10 <= size <= 500:
        raise ApiError(400, PAGE_SIZE_ERROR)
    name, label, uri = request.arg("name"), request.arg("label"), request.arg("uri")
    refs: list[tuple[str, str | None]] = []
    raw_filter = request.arg("filter")
    if raw_filter and segment in ("routes", "stream_routes"):
        refs = _filter_refs(raw_filter)
    filtered = name is not None or label is not None or uri is not None or bool(refs)
    source = by_created if paging else by_key
    items = [e for e in source if _keep(e, name, label, uri, refs)] if filtered else list(source)
    total = len(items)
    as_object = False
    if paging and page is not None and size is not None:
        first = (max(int(page), 1) - 1) * int(size)
        items = items[first:first + int(size)]
        as_object = not items
    elif not items and filtered and segment == "consumers":
        as_object = True
    return items, total, as_object


def render(items: Sequence[Entry], total: int, as_object: bool) -> bytes:
    """The v3 list body from the cached item encodings."""
    if not items:
        return b'{"total":' + str(total).encode() + (b',"list":{}}\n' if as_object else b',"list":[]}\n')
    return b'{"total":' + str(total).encode() + b',"list":[' + b",".join(e.item for e in items) + b"]}\n"
