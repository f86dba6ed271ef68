"""APISIX emulator: list paging and filters, authentication roles, and fault effects (spec §2, §3.2-§3.3)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.apisix_resources import KINDS
from reconciler.sandbox.http import ServerThread

ADMIN = "edd1c9f034335f136f87ad84b625c8f1"
VIEWER = "4054f7cf07e344346cd3f287985e76a2"
ROUTE = {"uri": "/a", "plugins": {}}


@pytest.fixture
def emu() -> ApisixEmulator:
    return ApisixEmulator()


@pytest.fixture
def url(emu: ApisixEmulator) -> Iterator[str]:
    with ServerThread(emu.server()) as thread:
        yield thread.servers[0].url + "/apisix/admin"


@pytest.fixture
def client(url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=url, headers={"X-API-KEY": ADMIN}) as c:
        yield c


def ids(response: httpx.Response) -> list[str]:
    return [item["value"]["id"] for item in response.json()["list"]]


def test_list_without_paging_is_key_ordered(client: httpx.Client) -> None:
    for rid in ("2", "10", "1"):
        client.put(f"/routes/{rid}", json=ROUTE)
    body = client.get("/routes").json()
    assert body["total"] == 3
    assert ids(client.get("/routes")) == ["1", "10", "2"]
    assert set(body["list"][0]) == {"key", "value", "createdIndex", "modifiedIndex"}


def test_paging_orders_by_created_index_and_slices(client: httpx.Client) -> None:
    for n in range(25):
        client.put(f"/routes/r{24 - n:02d}", json=ROUTE)
    first = client.get("/routes", params={"page": 1, "page_size": 10})
    assert first.json()["total"] == 25
    assert ids(first) == [f"r{24 - n:02d}" for n in range(10)]
    third = client.get("/routes", params={"page": 3, "page_size": 10})
    assert len(ids(third)) == 5


def test_page_past_the_end_is_an_empty_object(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    response = client.get("/routes", params={"page": 5, "page_size": 10})
    assert response.text == '{"total":1,"list":{}}\n'


def test_page_below_one_is_the_first(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    assert ids(client.get("/routes", params={"page": 0, "page_size": 10})) == ["1"]


@pytest.mark.parametrize("size", ["9", "501", "0"])
def test_page_size_bounds_give_plain_text(client: httpx.Client, size: str) -> None:
    response = client.get("/routes", params={"page": 1, "page_size": size})
    assert response.status_code == 400
    assert response.text == "page_size must be between 10 and 500"
    assert response.headers["content-type"] == "application/json"


def test_paging_needs_both_numeric_params(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    assert client.get("/routes", params={"page_size": 5}).status_code == 200
    assert client.get("/routes", params={"page": "x", "page_size": 5}).status_code == 200


def test_name_label_uri_filters_and_total_after_filtering(client: httpx.Client) -> None:
    client.put("/routes/1", json={**ROUTE, "name": "alpha-api", "labels": {"team": "a"}})
    client.put("/routes/2", json={"uris": ["/b", "/api/v2"], "plugins": {}, "name": "beta", "labels": {"env": "x"}})
    client.put("/routes/3", json={"uri": "/api/v1", "plugins": {}})
    assert ids(client.get("/routes", params={"name": "^alp"})) == ["1"]
    assert ids(client.get("/routes", params={"label": "team"})) == ["1"]
    assert ids(client.get("/routes", params={"uri": "api"})) == ["2", "3"]
    assert client.get("/routes", params={"uri": "api", "name": "beta"}).json()["total"] == 1
    paged = client.get("/routes", params={"uri": "api", "page": 1, "page_size": 10}).json()
    assert paged["total"] == 2
    assert client.get("/routes", params={"label": ""}).json()["total"] == 0


def test_filter_reference_is_exact_string(client: httpx.Client) -> None:
    client.put("/services/1", json={})
    client.put("/routes/a", json={"uri": "/a", "service_id": "1"})
    client.put("/routes/b", json={"uri": "/b", "service_id": 1})
    assert ids(client.get("/routes", params={"filter": "service_id=1"})) == ["a"]
    assert client.get("/routes", params={"filter": "name=x"}).json()["total"] == 2


def test_consumer_list_emptied_by_filter_is_object(client: httpx.Client) -> None:
    client.put("/consumers", json={"username": "jack"})
    assert client.get("/consumers", params={"name": "zzz"}).text == '{"total":0,"list":{}}\n'


def test_listing_ten_thousand_routes(emu: ApisixEmulator, client: httpx.Client) -> None:
    for n in range(10_000):
        emu._store(KINDS["routes"], f"/apisix/routes/{n}", {"id": str(n), "uri": "/x", "plugins": {}})
    seen = 0
    for page in range(1, 21):
        body = client.get("/routes", params={"page": page, "page_size": 500}).json()
        assert body["total"] == 10_000
        seen += len(body["list"])
    assert seen == 10_000


@pytest.mark.parametrize(("headers", "params", "cookies", "reason"), [
    ({}, {}, {}, "missing apikey"),
    ({"X-API-KEY": "nope"}, {}, {}, "wrong apikey"),
])
def test_401_body(url: str, headers: dict[str, str], params: dict[str, str], cookies: dict[str, str],
                  reason: str) -> None:
    response = httpx.get(url + "/routes", headers=headers, params=params, cookies=cookies)
    assert response.status_code == 401
    assert response.json() == {"error_msg": "failed to check token", "description": reason}
    assert "x-api-version" not in response.headers


def test_query_and_cookie_tokens(url: str) -> None:
    assert httpx.get(url + "/routes", params={"api_key": ADMIN}).status_code == 200
    assert httpx.get(url + "/routes", cookies={"x_api_key": ADMIN}).status_code == 200


def test_viewer_role_is_get_only(url: str) -> None:
    assert httpx.get(url + "/routes", headers={"X-API-KEY": VIEWER}).status_code == 200
    response = httpx.put(url + "/routes/1", headers={"X-API-KEY": VIEWER}, json=ROUTE)
    assert response.status_code == 401
    assert response.json() == {"error_msg": "failed to check token",
                               "description": "invalid method for role viewer"}


def test_head_and_options_need_no_key(url: str) -> None:
    assert httpx.head(url).status_code == 200
    preflight = httpx.options(url + "/routes")
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-methods"] == "POST, GET, PUT, OPTIONS, DELETE, PATCH"
    assert preflight.headers["content-type"] == "text/plain"


def test_old_versions_have_no_description() -> None:
    with ServerThread(ApisixEmulator("3.9.0").server()) as thread:
        response = httpx.get(thread.servers[0].url + "/apisix/admin/routes")
    assert response.json() == {"error_msg": "failed to check token"}


def test_no_admin_key_means_no_check() -> None:
    emu = ApisixEmulator()
    emu.admin_key = None
    with ServerThread(emu.server()) as thread:
        assert httpx.get(thread.servers[0].url + "/apisix/admin/routes").status_code == 200


def test_in_use_fault_on_delete(emu: ApisixEmulator, client: httpx.Client) -> None:
    client.put("/upstreams/1", json={"nodes": {}})
    emu.faults.add("in_use", method="DELETE", path="/apisix/admin/upstreams", times=1)
    first = client.delete("/upstreams/1")
    assert first.status_code == 400
    assert first.json() == {"error_msg": "can not delete this upstream, route [x] is still using it now"}
    assert client.get("/upstreams/1").status_code == 200
    assert client.delete("/upstreams/1").status_code == 200
    assert emu.faults.counts["in_use"] == 1


def test_truncate_fault_keeps_total(emu: ApisixEmulator, client: httpx.Client) -> None:
    for n in range(12):
        client.put(f"/routes/{n}", json=ROUTE)
    emu.faults.add("truncate", method="GET", path="/apisix/admin/routes", times=1)
    body = client.get("/routes", params={"page": 1, "page_size": 500}).json()
    assert (body["total"], len(body["list"])) == (12, 11)
    assert len(client.get("/routes").json()["list"]) == 12
    assert emu.faults.counts["truncate"] == 1


def test_status_fault_over_control_api(url: str, client: httpx.Client) -> None:
    base = url.removesuffix("/apisix/admin")
    added = httpx.post(base + "/__sandbox/faults", json={"effect": "status", "status": 429, "retry_after": 1,
                                                          "nth": 1, "path": "/apisix/admin/routes"})
    assert added.status_code == 201
    response = client.get("/routes")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "1"
    assert client.get("/routes").status_code == 200
