"""The Hydra emulator's public ``/oauth2/token`` client-credentials grant."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import quote_plus

import httpx
import pytest

from reconciler.sandbox.http import ServerThread
from reconciler.sandbox.hydra import HydraEmulator

INVALID_CLIENT = ('{"error":"invalid_client","error_description":"Client authentication failed (e.g., unknown '
                  'client, no client authentication included, or unsupported authentication method)."}')
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def urls() -> Iterator[tuple[str, str]]:
    emu = HydraEmulator()
    admin, public = emu.servers()
    with ServerThread(admin, public):
        yield admin.url, public.url


def basic(cid: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(cid)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode(), **FORM}


def token(public: str, headers: dict[str, str], body: str = "grant_type=client_credentials") -> httpx.Response:
    return httpx.post(public + "/oauth2/token", content=body, headers=headers)


def make(admin: str, **fields: object) -> None:
    assert httpx.post(admin + "/admin/clients", json=fields).status_code == 201


def test_basic_auth_gets_a_token(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="cc", client_secret="s3cret-value", grant_types=["client_credentials"], scope="read write")
    resp = token(public, basic("cc", "s3cret-value"), "grant_type=client_credentials&scope=write+read")
    assert resp.status_code == 200
    body = resp.json()
    assert list(body) == ["access_token", "expires_in", "scope", "token_type"]
    assert body["access_token"].startswith("ory_at_")
    assert (body["expires_in"], body["scope"], body["token_type"]) == (3599, "write read", "bearer")
    assert resp.headers["cache-control"] == "no-store" and resp.headers["pragma"] == "no-cache"
    assert resp.headers["content-type"] == "application/json;charset=UTF-8"


def test_basic_credentials_are_form_url_decoded(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="a b:c", client_secret="s3c:ret v", grant_types=["client_credentials"])
    assert token(public, basic("a b:c", "s3c:ret v")).status_code == 200


def test_wrong_or_unknown_credentials_are_401(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="cc", client_secret="s3cret-value", grant_types=["client_credentials"])
    for headers in (basic("cc", "wrong"), basic("nobody", "x")):
        resp = token(public, headers)
        assert (resp.status_code, resp.text) == (401, INVALID_CLIENT)


def test_rotated_secret_works_and_old_one_fails(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="cc", client_secret="old-secret", grant_types=["client_credentials"])
    httpx.put(admin + "/admin/clients/cc", json={"client_secret": "new-secret", "grant_types": ["client_credentials"]})
    assert token(public, basic("cc", "new-secret")).status_code == 200
    assert token(public, basic("cc", "old-secret")).status_code == 401


def test_client_secret_post(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="post", client_secret="s3cret-value", grant_types=["client_credentials"],
         token_endpoint_auth_method="client_secret_post")
    body = "grant_type=client_credentials&client_id=post&client_secret=s3cret-value"
    assert token(public, FORM, body).status_code == 200
    resp = token(public, basic("post", "s3cret-value"))
    assert resp.status_code == 401
    assert "supports client authentication method 'client_secret_post'" in resp.json()["error_description"]


def test_grant_not_allowed_and_bad_scope(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="nocc", client_secret="s3cret-value")
    make(admin, client_id="cc", client_secret="s3cret-value", grant_types=["client_credentials"], scope="read")
    resp = token(public, basic("nocc", "s3cret-value"))
    assert resp.status_code == 400 and resp.json()["error"] == "unauthorized_client"
    resp = token(public, basic("cc", "s3cret-value"), "grant_type=client_credentials&scope=other")
    assert resp.status_code == 400
    assert resp.json()["error_description"].endswith("The OAuth 2.0 Client is not allowed to request scope 'other'.")


def test_malformed_token_requests(urls: tuple[str, str]) -> None:
    _, public = urls
    assert token(public, FORM, "").json()["error_description"].endswith("The POST body can not be empty.")
    assert token(public, FORM).json()["error_description"].endswith(
        "Client credentials missing or malformed in both HTTP Authorization header and HTTP POST body.")
    assert httpx.get(public + "/oauth2/token").status_code == 405
    missing = httpx.get(public + "/nothing")
    assert (missing.status_code, missing.text) == (404, "404 page not found\n")


def test_revocation_is_a_secret_probe(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="rv", client_secret="cc-secret-1")
    ok = httpx.post(public + "/oauth2/revoke", content="token=x", headers=basic("rv", "cc-secret-1"))
    assert (ok.status_code, ok.content, ok.headers["cache-control"]) == (200, b"", "no-store")
    bad = httpx.post(public + "/oauth2/revoke", content="token=x", headers=basic("rv", "wrong"))
    assert (bad.status_code, bad.text) == (401, INVALID_CLIENT)
    anonymous = httpx.post(public + "/oauth2/revoke", content="token=x", headers=FORM)
    assert anonymous.status_code == 400 and anonymous.json()["error"] == "invalid_request"


def test_dynamic_registration_is_disabled(urls: tuple[str, str]) -> None:
    _, public = urls
    for method, path in (("POST", "/oauth2/register"), ("GET", "/oauth2/register/x"), ("DELETE", "/oauth2/register/x")):
        resp = httpx.request(method, public + path, json={})
        assert resp.status_code == 404
        assert resp.content == (b'{"error":"The requested resource could not be found",'
                                b'"error_description":"Dynamic registration is not enabled."}\n')


def test_wildcard_scopes_dedup_and_audience(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="w", client_secret="s3cret-value", grant_types=["client_credentials"], scope="foo.* bar",
         audience=["https://api"])
    ok = token(public, basic("w", "s3cret-value"), "grant_type=client_credentials&scope=foo.x+bar+bar&audience=https://api")
    assert ok.status_code == 200 and ok.json()["scope"] == "foo.x bar"
    bare = token(public, basic("w", "s3cret-value"), "grant_type=client_credentials&scope=foo")
    assert bare.json()["error_description"].endswith("not allowed to request scope 'foo'.")
    other = token(public, basic("w", "s3cret-value"), "grant_type=client_credentials&audience=https://other")
    assert other.status_code == 400
    assert other.json()["error_description"].endswith(
        "Requested audience 'https://other' has not been whitelisted by the OAuth 2.0 Client.")


def test_public_client_may_not_use_client_credentials(urls: tuple[str, str]) -> None:
    admin, public = urls
    make(admin, client_id="pubc", grant_types=["client_credentials"], token_endpoint_auth_method="none")
    resp = token(public, FORM, "grant_type=client_credentials&client_id=pubc")
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"
    assert resp.json()["error_description"].endswith(
        "The OAuth 2.0 Client is marked as public and is thus not allowed to use authorization grant 'client_credentials'.")
