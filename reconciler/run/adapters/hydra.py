"""The Ory Hydra admin API for OAuth2 clients (v2.x at ``/admin/clients``, v1.10 at ``/clients``).

Reading follows Hydra's paging exactly as the spec (§5) warns: follow ``Link: rel="next"`` but
stop on a short or empty page, because with zero clients, or with filters, ``next`` never ends.
A list is complete only when the number read matches ``X-Total-Count``.  Writes use POST to
create and PUT to replace, never PATCH: v1.10's PATCH corrupts the secret.  A POST is not
retried blindly: after an ambiguous failure a GET decides whether it already happened.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urljoin

import httpx

from reconciler.errors import (
    AdminAPIError,
    Conflict,
    ConnectError,
    NotFound,
    PlanError,
    RateLimited,
    ServerError,
)
from reconciler.run.adapters.http import AdminClient, json_body, unexpected
from reconciler.state.kinds import Kind
from reconciler.state.live import ListResult, LiveObject, ServerInfo

PAGE_SIZE_V2 = 1000
PAGE_SIZE_V1 = 500
MAX_PAGES = 100_000


def concurrent_update(exc: AdminAPIError) -> bool:
    """Hydra's answer when its database refused a transaction that raced another one (seen on
    real Hydra with SQLite under concurrent deletes): a 400 whose words say so.  Nothing was
    written, so the request is safe to send again."""
    return exc.status == 400 and "concurrent update" in exc.server_message


class HydraAdapter:
    """Lists, reads and writes OAuth2 clients on one Hydra admin endpoint."""

    def __init__(self, client: AdminClient) -> None:
        self.t = client
        self.info: ServerInfo | None = None
        self.prefix = "/admin/clients"

    @property
    def v1(self) -> bool:
        """True when the server is Hydra 1.x."""
        return self.prefix == "/clients"

    async def detect(self) -> ServerInfo:
        """Read ``/version``; fall back to probing the two client paths."""
        version = ""
        try:
            response = await self.t.request("GET", "/version")
            version = str(response.json().get("version", ""))
        except ConnectError:
            raise  # no answer at all: probing other paths would only wait as long again
        except (AdminAPIError, ValueError, AttributeError):
            version = ""
        if version:
            info = ServerInfo("hydra", version.lstrip("v"))
            self.prefix = "/clients" if not info.at_least(2) else "/admin/clients"
        else:
            info = await self._probe()
        self.info = info
        return info

    async def _probe(self) -> ServerInfo:
        """The version from which client path answers, when ``/version`` gave none."""
        if self.t.base_url.endswith("/admin"):
            # ``/admin`` + ``/clients`` is v2's list: probing would take a v2 server for v1.
            raise PlanError("the Hydra admin URL ends with /admin and has no /version there; give the admin "
                            "server's root URL, without /admin (this tool adds /admin/clients itself)")
        try:
            await self.t.request("GET", "/admin/clients", params={"page_size": 1})
            return ServerInfo("hydra", "2", "detected by probing /admin/clients")
        except NotFound:
            pass
        try:
            await self.t.request("GET", "/clients", params={"limit": 1})
        except NotFound:
            raise PlanError(f"no Hydra admin API at {self.t.base_url}: /version, /admin/clients and /clients "
                            f"all answered 404") from None
        self.prefix = "/clients"
        return ServerInfo("hydra", "1", "detected by probing /clients")

    def _path(self, key: str) -> str:
        segment = quote(key, safe="")
        if segment in {".", ".."}:
            # Dot-segments: httpx resolves them away (".." -> the parent path, "." -> the list),
            # so encode them; Hydra decodes %2E back into the id.
            segment = segment.replace(".", "%2E")
        return f"{self.prefix}/{segment}"

    async def list(self, kind: Kind, scope: frozenset[str] | None = None) -> ListResult:
        """Every client, page by page."""
        if self.info is None:
            await self.detect()
        result = ListResult()
        total: int | None = None
        if self.v1:
            offset = 0
            for _ in range(MAX_PAGES):
                response = await self.t.request("GET", self.prefix,
                                                params={"limit": PAGE_SIZE_V1, "offset": offset})
                total = _total(response.headers.get("x-total-count"))
                page = _page(response)
                _add(result, page)
                if len(page) < PAGE_SIZE_V1:
                    break
                offset += PAGE_SIZE_V1
        else:
            url: str | None = f"{self.prefix}?page_size={PAGE_SIZE_V2}"
            for _ in range(MAX_PAGES):
                assert url is not None
                response = await self.t.request("GET", url)
                total = _total(response.headers.get("x-total-count"))
                page = _page(response)
                _add(result, page)
                link = response.links.get("next", {}).get("url")  # httpx parses the Link header
                if len(page) < PAGE_SIZE_V2 or link is None:
                    break
                url = urljoin(self.t.base_url + "/", link.lstrip("/"))
                if httpx.URL(url).copy_with(path="/", query=None, fragment=None) != httpx.URL(self.t.origin + "/"):
                    # Following it would send our requests (and any credential) to another server.
                    raise AdminAPIError(f"the next page is at another origin ({_origin(url)}); refused, the list "
                                        f"must stay on {self.t.origin}", status=response.status_code, method="GET",
                                        url=self.t.origin + self.prefix)
        if total is not None and len(result.objects) != total:
            result.complete = False
            result.problem = f"read {len(result.objects)} OAuth2 clients but the server counts {total}"
        return result

    async def get(self, kind: Kind, key: str) -> LiveObject | None:
        """One client, or None (v1 answers 401 for an unknown id)."""
        try:
            response = await self.t.request("GET", self._path(key))
        except NotFound:
            return None
        except AdminAPIError as exc:
            if self.v1 and exc.status == 401:
                return None
            raise
        body = json_body(response)
        if not isinstance(body, dict):
            raise unexpected(response, "an OAuth2 client")
        return LiveObject(kind, key, body, str(body.get("updated_at", "")))

    async def create(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        """POST the client.  After an ambiguous failure, a GET decides before any retry."""
        payload = {"client_id": key, **body}
        attempts = self.t.retry.attempts
        for attempt in range(1, attempts + 1):
            try:
                await self.t.request("POST", self.prefix, body=payload, retry=False)
                return
            except RateLimited as exc:
                if attempt == attempts:
                    raise
                await self.t.retry.sleep(self.t.retry.delay(attempt, exc.retry_after))
            except Conflict:
                if attempt > 1:
                    return  # an earlier attempt landed after all
                raise
            except (ConnectError, ServerError):
                if attempt == attempts:
                    raise
                await self.t.retry.sleep(self.t.retry.delay(attempt))
                if await self.get(kind, key) is not None:
                    # The POST landed before the connection broke.  Its secret is the one we sent,
                    # but re-PUT to be certain the stored object is exactly the desired one.
                    await self.update(kind, key, body)
                    return
            except AdminAPIError as exc:
                if not concurrent_update(exc) or attempt == attempts:
                    raise
                # The transaction was rolled back: nothing was written, so the POST is safe to repeat.
                await self.t.retry.sleep(self.t.retry.delay(attempt))

    async def update(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        """PUT the whole client (never PATCH)."""
        await self.t.request("PUT", self._path(key), body={"client_id": key, **body}, retry_if=concurrent_update)

    async def delete(self, kind: Kind, key: str) -> None:
        """DELETE the client; one that is already gone counts as deleted."""
        try:
            await self.t.request("DELETE", self._path(key), retry_if=concurrent_update)
        except NotFound:
            return


def _page(response: httpx.Response) -> list[dict[str, Any]]:
    page = json_body(response) or []
    if not isinstance(page, list) or not all(isinstance(item, dict) for item in page):
        raise unexpected(response, "a list of OAuth2 clients")
    return page


def _add(result: ListResult, page: list[dict[str, Any]]) -> None:
    for item in page:
        key = str(item.get("client_id", ""))
        result.objects[key] = LiveObject(Kind.OAUTH2_CLIENT, key, item, str(item.get("updated_at", "")))


def _origin(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.scheme}://{parsed.netloc.decode()}"


def _total(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None
