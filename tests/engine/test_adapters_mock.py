"""Unit tests of the adapters' request shapes with ``httpx.MockTransport`` (one module at a time).

The same behaviours are exercised end to end against the emulators in the other engine tests;
here the server is a plain function, so paging edge cases and retry decisions can be pinned.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from reconciler.errors import AdminAPIError
from reconciler.run.adapters.apisix import ApisixAdapter
from reconciler.run.adapters.http import AdminClient, RetryPolicy, make_client
from reconciler.run.adapters.hydra import HydraAdapter
from reconciler.state.kinds import Kind

Handler = Callable[[httpx.Request], httpx.Response]


def _transport(handler: Handler, sleeps: list[float], **kw: Any) -> AdminClient:
    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    client = make_client(timeout=5, transport=httpx.MockTransport(handler))
    return AdminClient(client, "http://server", retry=RetryPolicy(attempts=4, sleep=sleep), **kw)


def _clients(first: int, count: int) -> list[dict[str, Any]]:
    return [{"client_id": f"c{i:05d}", "updated_at": "2026-01-01T00:00:00Z"} for i in range(first, first + count)]


def test_hydra_finds_rel_next_among_other_links_and_stops_without_one() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/version":
            return httpx.Response(200, json={"version": "v2.3.0"})
        first = '</admin/clients?page_size=2&page_token=a>; rel="first"'
        if request.url.params.get("page_token") is None:
            return httpx.Response(200, json=_clients(0, 1000),
                                  headers={"Link": first + ',</admin/clients?page_token=b>; rel="next"'})
        return httpx.Response(200, json=_clients(1000, 1000), headers={"Link": first})  # full page, no next

    result = asyncio.run(HydraAdapter(_transport(handler, [])).list(Kind.OAUTH2_CLIENT))
    assert len(result.objects) == 2000
    assert seen[2:] == ["http://server/admin/clients?page_token=b"]


def test_hydra_follows_next_and_stops_on_a_short_page() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == "/version":
            return httpx.Response(200, json={"version": "v2.3.0"})
        token = request.url.params.get("page_token")
        page = _clients(0, 1000) if token is None else _clients(1000, 3)
        # A next link even on the short last page: Hydra v2 sends one forever.
        return httpx.Response(200, json=page, headers={"Link": '</admin/clients?page_token=n>; rel="next"',
                                                       "X-Total-Count": "1003"})

    sleeps: list[float] = []
    adapter = HydraAdapter(_transport(handler, sleeps))
    result = asyncio.run(adapter.list(Kind.OAUTH2_CLIENT))
    assert len(result.objects) == 1003 and result.complete
    assert seen[1] == "http://server/admin/clients?page_size=1000"
    assert seen[2] == "http://server/admin/clients?page_token=n"
    assert len(seen) == 3


def test_hydra_short_count_marks_the_list_incomplete() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/version":
            return httpx.Response(200, json={"version": "v2.3.0"})
        return httpx.Response(200, json=_clients(0, 2), headers={"X-Total-Count": "3"})

    result = asyncio.run(HydraAdapter(_transport(handler, [])).list(Kind.OAUTH2_CLIENT))
    assert not result.complete and "server counts 3" in result.problem


def test_hydra_v1_pages_by_offset_and_never_patches() -> None:
    methods: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append((request.method, request.url.path))
        if request.url.path == "/version":
            return httpx.Response(200, json={"version": "v1.10.6"})
        if request.method == "GET":
            offset = int(request.url.params["offset"])
            return httpx.Response(200, json=_clients(offset, 500 if offset == 0 else 1))
        return httpx.Response(200, json=json.loads(request.content))

    adapter = HydraAdapter(_transport(handler, []))
    assert len(asyncio.run(adapter.list(Kind.OAUTH2_CLIENT)).objects) == 501
    asyncio.run(adapter.update(Kind.OAUTH2_CLIENT, "c1", {"scope": "x"}))
    assert ("PUT", "/clients/c1") in methods and not any(m == "PATCH" for m, _ in methods)


def test_hydra_post_after_a_503_checks_with_a_get_before_retrying() -> None:
    calls: list[str] = []
    stored: dict[str, Any] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.method)
        if request.method == "POST":
            stored.update(json.loads(request.content))  # it lands, but the answer is lost
            return httpx.Response(503, json={"error": "temporarily_unavailable"})
        if request.method == "GET":
            return httpx.Response(200, json=stored) if stored else httpx.Response(404, json={"error": "not_found"})
        return httpx.Response(200, json=json.loads(request.content))

    sleeps: list[float] = []
    adapter = HydraAdapter(_transport(handler, sleeps))
    adapter.prefix = "/admin/clients"
    asyncio.run(adapter.create(Kind.OAUTH2_CLIENT, "web", {"scope": "openid"}))
    assert calls == ["POST", "GET", "PUT"]  # never a second POST, which would answer 409


def test_apisix_pages_at_500_and_accepts_an_empty_object_page() -> None:
    pages: list[dict[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/routes") and request.url.params.get("page_size") == "10":
            return httpx.Response(200, json={"total": 0, "list": {}}, headers={"Server": "APISIX/3.18.0"})
        pages.append(dict(request.url.params))
        page = int(request.url.params["page"])
        items = [{"key": f"/apisix/upstreams/u{page}-{i}", "value": {"id": f"u{page}-{i}"}, "modifiedIndex": 1}
                 for i in range(500 if page == 1 else 2)]
        return httpx.Response(200, json={"total": 502, "list": items})

    adapter = ApisixAdapter(_transport(handler, []))
    asyncio.run(adapter.detect())
    result = asyncio.run(adapter.list(Kind.UPSTREAM))
    assert len(result.objects) == 502 and result.complete
    assert pages == [{"page": "1", "page_size": "500"}, {"page": "2", "page_size": "500"}]


def test_retry_honours_retry_after_and_gives_up_on_a_plain_400() -> None:
    answers = [httpx.Response(429, headers={"Retry-After": "1.5"}, json={"error_msg": "slow down"}),
               httpx.Response(503, json={"error_msg": "busy"}), httpx.Response(200, json={})]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0) if request.method == "PUT" else httpx.Response(400, json={"error_msg": "bad"})

    sleeps: list[float] = []
    transport = _transport(handler, sleeps)
    asyncio.run(transport.request("PUT", "/apisix/admin/routes/r", body={}))
    assert sleeps[0] == 1.5 and len(sleeps) == 2
    with pytest.raises(AdminAPIError, match="bad"):
        asyncio.run(transport.request("DELETE", "/apisix/admin/routes/r"))
    assert len(sleeps) == 2


def test_apisix_delete_retries_only_the_still_using_it_400() -> None:
    answers = [httpx.Response(400, json={"error_msg": "can not delete this upstream, route [r] is still using it now"}),
               httpx.Response(200, json={"deleted": "1"})]
    sleeps: list[float] = []
    adapter = ApisixAdapter(_transport(lambda request: answers.pop(0), sleeps))
    asyncio.run(adapter.delete(Kind.UPSTREAM, "u"))
    assert answers == [] and len(sleeps) == 1


def test_plugin_schemas_are_read_at_once_and_each_only_once() -> None:
    in_flight, most, paths = [0], [0], []

    async def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        in_flight[0] += 1
        most[0] = max(most[0], in_flight[0])
        await asyncio.sleep(0.05)  # a schema GET that takes a while: the others must not wait for it
        in_flight[0] -= 1
        return httpx.Response(200, json={"type": "object"})

    async def run() -> list[Any]:
        client = make_client(timeout=5, transport=httpx.MockTransport(handler))
        adapter = ApisixAdapter(AdminClient(client, "http://server"))
        names = ["cors", "limit-count", "cors", "proxy-rewrite", "cors"]
        return await asyncio.gather(*(adapter.plugin_schema(name) for name in names))

    schemas = asyncio.run(run())
    assert schemas == [{"type": "object"}] * 5
    assert sorted(paths) == ["/apisix/admin/schema/plugins/cors", "/apisix/admin/schema/plugins/limit-count",
                             "/apisix/admin/schema/plugins/proxy-rewrite"]
    assert most[0] == 3


@pytest.mark.parametrize("path", ["/apisix/admin/routes/rt-00001", "/admin/clients/app_1.x~y", "/apisix/admin/routes/",
                                  "/admin/clients/has space", "/admin/clients/ümlaut", "/admin/clients/a%2Fb",
                                  "/apisix/admin/routes/../upstreams/u", "/admin/clients/x?y=1", "/admin/clients/a:b"])
@pytest.mark.parametrize("base", ["http://server", "https://server:8443/prefix", "http://u:p@server:80/"])
def test_a_request_url_is_what_httpx_would_make_of_the_string(base: str, path: str) -> None:
    transport = AdminClient(make_client(timeout=5, transport=httpx.MockTransport(lambda r: httpx.Response(200))), base)
    made = httpx.Request("GET", transport.url(path))
    parsed = httpx.Request("GET", transport.base_url + path)
    assert str(made.url) == str(parsed.url)
    assert made.url.raw_path == parsed.url.raw_path and made.url.netloc == parsed.url.netloc
    assert made.headers["host"] == parsed.headers["host"]
