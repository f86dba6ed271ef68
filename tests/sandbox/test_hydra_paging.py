"""Hydra emulator list paging: ``Link`` rels for every case, ``X-Total-Count``, page sizes."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.http import ServerThread
from reconciler.sandbox.hydra import HydraEmulator


def tok(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": str(offset), "v": 2},
                                               separators=(",", ":")).encode()).decode().rstrip("=")


def link(rel: str, size: int, offset: int, extra: str = "") -> str:
    return f'</admin/clients?{extra}page_size={size}&page_token={tok(offset)}>; rel="{rel}"'


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    emu = HydraEmulator()
    admin, public = emu.servers()
    with ServerThread(admin, public), httpx.Client(base_url=admin.url) as client:
        yield client


@pytest.fixture
def eight(http: httpx.Client) -> httpx.Client:
    for i in range(8):
        assert http.post("/admin/clients", json={"client_id": f"c{i}", "owner": f"o{i % 2}"}).status_code == 201
    return http


def ids(resp: httpx.Response) -> list[str]:
    return [c["client_id"] for c in resp.json()]


def test_token_format_matches_hydra() -> None:
    assert tok(250) == "eyJvZmZzZXQiOiIyNTAiLCJ2IjoyfQ"


def test_zero_clients_quirk_next_always_points_further(http: httpx.Client) -> None:
    resp = http.get("/admin/clients")
    assert resp.content == b"[]\n"
    assert resp.headers["x-total-count"] == "0"
    assert resp.headers["link"] == ",".join([link("first", 250, 0), link("next", 250, 250), link("prev", 250, -250)])


def test_total_within_one_page_gives_only_first_with_total_as_size(eight: httpx.Client) -> None:
    resp = eight.get("/admin/clients")
    assert resp.headers["link"] == link("first", 8, 0)
    assert eight.get("/admin/clients?page_size=8").headers["link"] == link("first", 8, 0)


def test_first_page_has_next_and_last(eight: httpx.Client) -> None:
    resp = eight.get("/admin/clients?page_size=3")
    assert ids(resp) == ["c0", "c1", "c2"]
    assert resp.headers["link"] == ",".join([link("next", 3, 3), link("last", 3, 6)])


def test_middle_page_has_all_four(eight: httpx.Client) -> None:
    resp = eight.get(f"/admin/clients?page_size=2&page_token={tok(4)}")
    assert ids(resp) == ["c4", "c5"]
    assert resp.headers["link"] == ",".join([link("first", 2, 0), link("next", 2, 6), link("prev", 2, 2),
                                             link("last", 2, 6)])


def test_last_page_has_first_and_prev(eight: httpx.Client) -> None:
    resp = eight.get(f"/admin/clients?page_size=3&page_token={tok(6)}")
    assert ids(resp) == ["c6", "c7"]
    assert resp.headers["link"] == ",".join([link("first", 3, 0), link("prev", 3, 3)])


def test_past_the_end_is_empty_with_first_and_prev(eight: httpx.Client) -> None:
    resp = eight.get(f"/admin/clients?page_size=2&page_token={tok(100)}")
    assert resp.json() == []
    assert resp.headers["link"] == ",".join([link("first", 2, 0), link("prev", 2, 4)])


def test_offset_is_floored_to_page_boundary(eight: httpx.Client) -> None:
    assert ids(eight.get(f"/admin/clients?page_size=2&page_token={tok(3)}")) == ["c2", "c3"]


@pytest.mark.parametrize("token", ["garbage", tok(4) + "=", tok(-4),
                                   base64.urlsafe_b64encode(b'{"page":"4","v":1}').decode().rstrip("=")])
def test_bad_token_means_offset_zero(eight: httpx.Client, token: str) -> None:
    resp = eight.get(f"/admin/clients?page_size=2&page_token={token}")
    assert ids(resp) == ["c0", "c1"]
    assert resp.headers["link"] == ",".join([link("next", 2, 2), link("last", 2, 6)])


@pytest.mark.parametrize(("size", "effective"), [("0", 1), ("-3", 1), ("abc", 250), ("5000", 1000)])
def test_page_size_bounds(eight: httpx.Client, size: str, effective: int) -> None:
    resp = eight.get(f"/admin/clients?page_size={size}")
    assert len(resp.json()) == min(effective, 8)
    if effective == 1:
        assert resp.headers["link"] == ",".join([link("next", 1, 1), link("last", 1, 7)])
    else:
        assert resp.headers["link"] == link("first", 8, 0)


def test_filters_keep_unfiltered_total_and_preserve_query(eight: httpx.Client) -> None:
    resp = eight.get("/admin/clients?owner=o1&page_size=2&zz=1")
    assert ids(resp) == ["c1", "c3"]
    assert resp.headers["x-total-count"] == "8"
    assert resp.headers["link"] == (
        f'</admin/clients?owner=o1&page_size=2&page_token={tok(2)}&zz=1>; rel="next",'
        f'</admin/clients?owner=o1&page_size=2&page_token={tok(6)}&zz=1>; rel="last"')


def test_client_name_filter_is_exact(eight: httpx.Client) -> None:
    eight.post("/admin/clients", json={"client_id": "named", "client_name": "Named"})
    assert ids(eight.get("/admin/clients?client_name=Named")) == ["named"]
    assert eight.get("/admin/clients?client_name=named").json() == []


def test_list_ordered_by_client_id(http: httpx.Client) -> None:
    for cid in ["b", "a", "C", "aa"]:
        http.post("/admin/clients", json={"client_id": cid})
    assert ids(http.get("/admin/clients")) == ["C", "a", "aa", "b"]


def test_following_next_until_short_page_reads_everything(eight: httpx.Client) -> None:
    seen: list[str] = []
    url = "/admin/clients?page_size=3"
    while True:
        resp = eight.get(url)
        seen += ids(resp)
        if len(resp.json()) < 3:
            break
        url = resp.links["next"]["url"]
    assert seen == [f"c{i}" for i in range(8)]


def test_ten_thousand_clients_list_at_page_size_1000(http: httpx.Client) -> None:
    emu = HydraEmulator()
    emu.restore({"clients": [{"client": _blank(f"id{i:05d}"), "hash": "unused"} for i in range(10_000)]})
    admin, public = emu.servers()
    with ServerThread(admin, public), httpx.Client(base_url=admin.url) as client:
        pages = [client.get(f"/admin/clients?page_size=1000&page_token={tok(n * 1000)}") for n in range(10)]
    assert sum(len(p.json()) for p in pages) == 10_000
    assert pages[0].headers["x-total-count"] == "10000"
    assert pages[9].headers["link"] == ",".join([link("first", 1000, 0), link("prev", 1000, 8000)])


def _blank(cid: str) -> dict[str, object]:
    from reconciler.sandbox.hydra_model import before_save, empty_client
    from reconciler.sandbox.hydra_validate import validate

    client = empty_client()
    client["client_id"] = cid
    validate(client, v2=True)
    before_save(client)
    return client
