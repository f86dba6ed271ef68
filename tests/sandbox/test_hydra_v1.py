"""The Hydra emulator in v1.10.6 mode: ``/clients``, limit/offset paging, v1 errors and PATCH bug."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.http import ServerThread
from reconciler.sandbox.hydra import HydraEmulator

V2_ONLY = {"registration_access_token", "registration_client_uri", "access_token_strategy", "skip_consent",
           "skip_logout_consent", "client_credentials_grant_access_token_lifespan"}
UNRECOGNIZABLE = b'{"error":"error","error_description":"The error is unrecognizable"}\n'


@pytest.fixture
def emu() -> HydraEmulator:
    return HydraEmulator("1.10.6")


@pytest.fixture
def http(emu: HydraEmulator) -> Iterator[httpx.Client]:
    admin, public = emu.servers()
    with ServerThread(admin, public), httpx.Client(base_url=admin.url) as client:
        client.public_url = public.url  # type: ignore[attr-defined]
        yield client


def test_v1_serves_clients_without_admin_prefix(http: httpx.Client) -> None:
    resp = http.post("/clients", json={"client_id": "a", "client_secret": "secret123"})
    assert resp.status_code == 201
    assert resp.headers["location"] == "/clients/a"
    assert not V2_ONLY & set(resp.json())
    assert resp.json()["client_secret"] == "secret123"
    assert not V2_ONLY & set(http.get("/clients/a").json())
    assert http.get("/admin/clients").status_code == 404


def test_v1_version(http: httpx.Client) -> None:
    assert http.get("/version").content == b'{"version":"v1.10.6"}\n'


def test_v1_unknown_get_is_401(http: httpx.Client) -> None:
    resp = http.get("/clients/nope")
    assert resp.status_code == 401
    assert resp.json() == {"error": "The request could not be authorized",
                           "error_description": "The requested OAuth 2.0 client does not exist or you did not "
                                                "provide the necessary credentials"}
    assert http.delete("/clients/nope").status_code == 404
    assert http.put("/clients/nope", json={}).status_code == 404


@pytest.mark.parametrize("raw", [b"{bad", b'{"grant_types":"x"}', b""])
def test_v1_undecodable_body_is_500(http: httpx.Client, raw: bytes) -> None:
    resp = http.post("/clients", content=raw)
    assert (resp.status_code, resp.content) == (500, UNRECOGNIZABLE)


def test_v1_validation_still_400(http: httpx.Client) -> None:
    resp = http.post("/clients", json={"client_secret": "abc"})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_client_metadata"


def test_v1_paging_limit_offset_links(http: httpx.Client) -> None:
    for i in range(5):
        http.post("/clients", json={"client_id": f"c{i}"})
    resp = http.get("/clients?limit=2&offset=2")
    assert [c["client_id"] for c in resp.json()] == ["c2", "c3"]
    assert resp.headers["x-total-count"] == "5"
    assert resp.headers["link"] == ('</clients?limit=2&offset=0>; rel="first",</clients?limit=2&offset=4>; rel="next",'
                                    '</clients?limit=2&offset=0>; rel="prev",</clients?limit=2&offset=4>; rel="last"')
    assert http.get("/clients").headers["link"] == '</clients?limit=5&offset=0>; rel="first"'


def test_v1_limit_capped_at_500_and_default_100(http: httpx.Client, emu: HydraEmulator) -> None:
    for i in range(501):
        http.post("/clients", json={"client_id": f"c{i:04d}", "client_secret": "secret123"})
    assert len(http.get("/clients").json()) == 100
    big = http.get("/clients?limit=10000")
    assert len(big.json()) == 500
    assert big.headers["link"] == '</clients?limit=500&offset=500>; rel="next",</clients?limit=500&offset=500>; rel="last"'


def test_v1_limit_zero_is_500(http: httpx.Client) -> None:
    assert http.get("/clients?limit=0").status_code == 500


def test_v1_list_fields_split_on_pipe(http: httpx.Client) -> None:
    http.post("/clients", json={"client_id": "p", "contacts": ["a|b"]})
    assert http.get("/clients/p").json()["contacts"] == ["a", "b"]


def test_v1_patch_corrupts_secret_and_leaks_old_hash(http: httpx.Client, emu: HydraEmulator) -> None:
    http.post("/clients", json={"client_id": "c", "client_secret": "secret123"})
    old_hash = emu.clients["c"]["hash"]
    resp = http.patch("/clients/c", json=[{"op": "replace", "path": "/client_name", "value": "x"}])
    assert resp.status_code == 200
    assert resp.json()["client_secret"] == old_hash
    assert not emu.check_secret("c", "secret123")
    assert emu.check_secret("c", old_hash)


def test_v1_patch_accepts_every_rfc6902_op(http: httpx.Client) -> None:
    http.post("/clients", json={"client_id": "c", "client_name": "n", "owner": "o"})
    resp = http.patch("/clients/c", json=[{"op": "test", "path": "/owner", "value": "o"},
                                          {"op": "copy", "from": "/owner", "path": "/client_name"}])
    assert resp.status_code == 200 and resp.json()["client_name"] == "o"


def test_v1_has_no_lifespans_endpoint(http: httpx.Client) -> None:
    assert http.put("/clients/c/lifespans", json={}).status_code == 404
