"""Real Ory Hydra basics the reconciler relies on: paging over many clients, and secrets that
really authenticate at the token endpoint (and stop working once rotated)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest

from reconciler.sandbox.realhydra import RealHydra

from .tokens import request_token, secret_works

pytestmark = pytest.mark.real_hydra

N_CLIENTS = 1100
LINK = re.compile(r'<([^>]*)>;\s*rel="([a-z]+)"')


def links(response: httpx.Response) -> dict[str, str]:
    """``Link`` header as {rel: url}."""
    return {rel: url for url, rel in LINK.findall(response.headers.get("link", ""))}


def list_all(admin_url: str, page_size: int) -> tuple[list[str], int]:
    """Follow ``rel="next"`` until a short or empty page; returns (ids in order, pages read)."""
    ids: list[str] = []
    pages = 0
    url = f"{admin_url}/admin/clients?page_size={page_size}"
    with httpx.Client(timeout=30) as client:
        while True:
            response = client.get(url)
            assert response.status_code == 200, response.text
            assert int(response.headers["x-total-count"]) == N_CLIENTS
            page = response.json()
            pages += 1
            ids.extend(c["client_id"] for c in page)
            nxt = links(response).get("next")
            if len(page) < page_size or nxt is None:
                return ids, pages
            url = urljoin(admin_url + "/", nxt)


@pytest.fixture(scope="module")
def crowded_hydra(hydra_binary: Path) -> Iterator[RealHydra]:
    """Real Hydra holding 1,100 clients, created through the admin API by 8 concurrent workers."""
    with RealHydra(hydra_binary) as hydra:
        expected = [f"bulk-{i:05d}" for i in range(N_CLIENTS)]

        def create(chunk: list[str]) -> list[int]:
            with httpx.Client(base_url=hydra.admin_url, timeout=60) as client:
                return [client.post("/admin/clients", json={"client_id": cid, "client_name": cid,
                                                            "owner": "bulk" if cid.endswith("7") else ""}
                                    ).status_code for cid in chunk]

        chunks = [expected[i::8] for i in range(8)]
        with ThreadPoolExecutor(8) as pool:
            statuses = [s for part in pool.map(create, chunks) for s in part]
        assert statuses == [201] * N_CLIENTS
        yield hydra


@pytest.mark.parametrize("page_size", [250, 500, 1000, 7])
def test_every_client_is_listed_once_in_id_order(crowded_hydra: RealHydra, page_size: int) -> None:
    ids, pages = list_all(crowded_hydra.admin_url, page_size)
    assert ids == sorted(f"bulk-{i:05d}" for i in range(N_CLIENTS))
    assert pages == -(-N_CLIENTS // page_size)


def test_page_size_is_capped_at_1000(crowded_hydra: RealHydra) -> None:
    response = httpx.get(f"{crowded_hydra.admin_url}/admin/clients?page_size=5000", timeout=30)
    assert response.status_code == 200
    assert len(response.json()) == 1000
    assert set(links(response)) == {"next", "last"}


def test_default_page_is_250_with_next_and_last(crowded_hydra: RealHydra) -> None:
    response = httpx.get(f"{crowded_hydra.admin_url}/admin/clients", timeout=30)
    assert len(response.json()) == 250
    assert set(links(response)) == {"next", "last"}


def test_filter_keeps_unfiltered_total(crowded_hydra: RealHydra) -> None:
    response = httpx.get(f"{crowded_hydra.admin_url}/admin/clients?owner=bulk&page_size=1000", timeout=30)
    assert len(response.json()) == N_CLIENTS // 10
    assert all(c["owner"] == "bulk" for c in response.json())
    assert response.headers["x-total-count"] == str(N_CLIENTS)


def test_secret_authenticates_and_a_wrong_one_fails(real_hydra: RealHydra) -> None:
    created = httpx.post(f"{real_hydra.admin_url}/admin/clients", json={
        "client_id": "svc-a", "client_secret": "s3cret-one/with:odd&chars",
        "grant_types": ["client_credentials"], "scope": "read"}, timeout=30)
    assert created.status_code == 201, created.text
    assert secret_works(real_hydra.public_url, "svc-a", "s3cret-one/with:odd&chars")
    assert not secret_works(real_hydra.public_url, "svc-a", "s3cret-one/with:odd&chars-wrong")
    assert not secret_works(real_hydra.public_url, "nobody", "s3cret-one/with:odd&chars")
    token = request_token(real_hydra.public_url, "svc-a", "s3cret-one/with:odd&chars", scope="read").json()
    assert token["scope"] == "read"


def test_rotated_secret_works_and_the_old_one_fails(real_hydra: RealHydra) -> None:
    body = {"client_id": "svc-b", "client_secret": "first-secret", "grant_types": ["client_credentials"]}
    assert httpx.post(f"{real_hydra.admin_url}/admin/clients", json=body, timeout=30).status_code == 201
    assert secret_works(real_hydra.public_url, "svc-b", "first-secret")
    put = httpx.put(f"{real_hydra.admin_url}/admin/clients/svc-b",
                    json={**body, "client_secret": "second-secret"}, timeout=30)
    assert put.status_code == 200 and put.json()["client_secret"] == "second-secret"
    assert secret_works(real_hydra.public_url, "svc-b", "second-secret")
    assert not secret_works(real_hydra.public_url, "svc-b", "first-secret")
    # PUT without a secret keeps the current one.
    keep = httpx.put(f"{real_hydra.admin_url}/admin/clients/svc-b",
                     json={"client_id": "svc-b", "grant_types": ["client_credentials"]}, timeout=30)
    assert keep.status_code == 200 and "client_secret" not in keep.json()
    assert secret_works(real_hydra.public_url, "svc-b", "second-secret")


def test_client_secret_post_is_refused_for_a_basic_client(real_hydra: RealHydra) -> None:
    body = {"client_id": "svc-c", "client_secret": "basic-only", "grant_types": ["client_credentials"]}
    assert httpx.post(f"{real_hydra.admin_url}/admin/clients", json=body, timeout=30).status_code == 201
    response = request_token(real_hydra.public_url, "svc-c", "basic-only", method="client_secret_post")
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"
