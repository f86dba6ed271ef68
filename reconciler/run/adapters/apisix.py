"""The Apache APISIX Admin API (3.x, v3 envelopes; v2 envelopes read too).

Reads page at the maximum (``page_size=500``): the first page tells the total, the rest are
fetched concurrently, and a kind is complete only when the items read match ``total`` (an
empty page may be encoded as ``{}``).  Writes are full PUTs, never PATCH, which double-encrypts
secrets before 3.18.  Deletes retry APISIX's transient "still using it" 400, which comes from
its reference check reading a cache that lags a just-deleted referrer.  Write responses are
ignored: they show ciphertext for encrypted fields, while GET shows plaintext (spec §6).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import httpx

from reconciler.errors import AdminAPIError, NotFound, Unauthorized
from reconciler.run.adapters.http import AdminClient, json_body, unexpected
from reconciler.state.kinds import Kind
from reconciler.state.live import ListResult, LiveObject, ServerInfo
from reconciler.state.registry import spec

ADMIN = "/apisix/admin"
PAGE_SIZE = 500


def _in_use(exc: AdminAPIError) -> bool:
    return exc.status == 400 and "is still using it" in exc.server_message


class ApisixAdapter:
    """Lists, reads and writes APISIX resources; caches plugin schemas for one run."""

    def __init__(self, client: AdminClient) -> None:
        self.t = client
        self.info: ServerInfo | None = None
        self.envelope = "v3"
        self._schemas: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._schema_lock = asyncio.Lock()

    async def detect(self) -> ServerInfo:
        """Read the version from the ``Server: APISIX/x.y.z`` header of a cheap list call."""
        try:
            response = await self.t.request("GET", f"{ADMIN}/routes", params={"page": 1, "page_size": 10})
        except Unauthorized as exc:  # the first call of a run: say which setting to fix
            given = "X-API-KEY" in self.t.headers
            hint = "the APISIX admin key was refused" if given else "no APISIX admin key was given"
            raise Unauthorized(f"{exc.server_message} ({hint}; set APISIX_ADMIN_KEY or --apisix-admin-key-file)",
                               status=exc.status, method=exc.method, url=exc.url) from exc
        self._note_envelope(response)
        server = response.headers.get("server", "")
        version = server.split("/", 1)[1] if server.lower().startswith("apisix/") else ""
        self.info = ServerInfo("apisix", version or "unknown",
                               "" if version else f"no APISIX version in Server header {server!r}")
        return self.info

    def _note_envelope(self, response: httpx.Response) -> None:
        if response.headers.get("x-api-version", "").lower() == "v2":
            self.envelope = "v2"

    @staticmethod
    def _key(kind: Kind, value: dict[str, Any], owner: str = "") -> str:
        own = str(value.get(spec(kind).stored_key, ""))
        return f"{owner}/{own}" if spec(kind).parent is not None else own

    def _items(self, response: httpx.Response) -> tuple[list[dict[str, Any]], int | None]:
        """(items, total) from a list answer in either envelope."""
        body = json_body(response)
        if isinstance(body, dict) and "list" in body:
            items = body.get("list") or []
            if isinstance(items, dict):  # APISIX encodes an empty page as {}
                items = list(items.values())
            total = body.get("total")
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items) or not (
                total is None or (isinstance(total, int) and not isinstance(total, bool))
            ):
                raise unexpected(response, "an APISIX Admin API list of objects")
            return items, total
        if isinstance(body, dict) and isinstance(body.get("node"), dict):  # v2 envelope
            nodes = body["node"].get("nodes") or []
            if not isinstance(nodes, list) or not all(isinstance(i, dict) for i in nodes):
                raise unexpected(response, "an APISIX Admin API list of objects")
            return nodes, len(nodes)
        raise unexpected(response, "an APISIX Admin API list")

    async def _list_path(self, kind: Kind, path: str, result: ListResult, owner: str = "") -> None:
        paged = spec(kind).paged and self.envelope == "v3"
        params = {"page": 1, "page_size": PAGE_SIZE} if paged else None
        try:
            response = await self.t.request("GET", path, params=params)
        except NotFound:
            if spec(kind).parent is not None:
                return  # the credentials of a consumer that does not exist (yet)
            raise  # taking it for an empty list would plan a create (a PUT) over what exists
        self._note_envelope(response)
        items, total = self._items(response)
        pages = [items]
        if paged and total is not None and total > PAGE_SIZE:
            rest = await asyncio.gather(*(
                self.t.request("GET", path, params={"page": n, "page_size": PAGE_SIZE})
                for n in range(2, math.ceil(total / PAGE_SIZE) + 1)
            ))
            pages.extend(self._items(r)[0] for r in rest)
        count = 0
        for page in pages:
            for item in page:
                value = item.get("value")
                if not isinstance(value, dict):
                    continue
                count += 1
                key = self._key(kind, value, owner)
                result.objects[key] = LiveObject(kind, key, value, str(item.get("modifiedIndex", "")))
        if total is not None and count != total:
            result.complete = False
            result.problem = f"read {count} of {total} {kind.value} objects at {path}"

    async def list(self, kind: Kind, scope: frozenset[str] | None = None) -> ListResult:
        """Every object of ``kind``; credentials only for the consumers in ``scope``."""
        if self.info is None:
            await self.detect()
        result = ListResult()
        parent = spec(kind).parent
        if parent is not None:
            await asyncio.gather(*(
                self._list_path(kind, f"{ADMIN}/{spec(parent).admin_path}/{user}/{spec(kind).admin_path}", result,
                                owner=user)
                for user in sorted(scope or ())
            ))
        else:
            await self._list_path(kind, f"{ADMIN}/{spec(kind).admin_path}", result)
        return result

    @staticmethod
    def _path(kind: Kind, key: str) -> str:
        parent = spec(kind).parent
        if parent is not None:
            user, _, own = key.partition("/")
            return f"{ADMIN}/{spec(parent).admin_path}/{user}/{spec(kind).admin_path}/{own}"
        return f"{ADMIN}/{spec(kind).admin_path}/{key}"

    async def get(self, kind: Kind, key: str) -> LiveObject | None:
        """One object, or None."""
        try:
            response = await self.t.request("GET", self._path(kind, key))
        except NotFound:
            return None
        body = json_body(response)
        if not isinstance(body, dict):
            raise unexpected(response, "an APISIX object")
        node = body.get("node", body) if self.envelope == "v2" else body
        if not isinstance(node, dict):
            raise unexpected(response, "an APISIX object")
        value = node.get("value")
        if not isinstance(value, dict):
            return None
        return LiveObject(kind, key, value, str(body.get("modifiedIndex", "")))

    async def create(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        """Create by PUT (APISIX's PUT creates or replaces)."""
        await self.update(kind, key, body)

    async def update(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        """A full PUT of ``body`` at the object's path."""
        if kind is Kind.CONSUMER:
            await self.t.request("PUT", f"{ADMIN}/consumers", body={"username": key, **body})
            return
        await self.t.request("PUT", self._path(kind, key), body=body)

    async def delete(self, kind: Kind, key: str) -> None:
        """DELETE; retry the transient "still using it" 400; an object already gone is deleted."""
        try:
            await self.t.request("DELETE", self._path(kind, key), retry_if=_in_use)
        except NotFound:
            return

    async def validate_config(self, config: dict[str, Any]) -> tuple[int, Any]:
        """``POST /configs/validate`` (3.17+): the status (200 or 400) and the JSON body.  Any other
        answer raises ``AdminAPIError``; a non-JSON body raises too."""
        response = await self.t.request("POST", f"{ADMIN}/configs/validate", body=config,
                                        answers=frozenset({400}))
        return response.status_code, json_body(response)

    async def plugin_schema(self, name: str, schema_type: str = "main") -> dict[str, Any] | None:
        """The live schema of a plugin (``main``, ``consumer`` or ``metadata``), cached per run."""
        cache_key = (name, schema_type)
        if cache_key in self._schemas:
            return self._schemas[cache_key]
        async with self._schema_lock:
            if cache_key in self._schemas:
                return self._schemas[cache_key]
            params = {"schema_type": schema_type} if schema_type != "main" else None
            try:
                response = await self.t.request("GET", f"{ADMIN}/schema/plugins/{name}", params=params)
                schema = json_body(response)
                self._schemas[cache_key] = schema if isinstance(schema, dict) else None
            except AdminAPIError as exc:
                if exc.status not in (400, 404):
                    raise
                self._schemas[cache_key] = None
            return self._schemas[cache_key]
