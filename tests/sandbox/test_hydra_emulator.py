"""The Hydra emulator's admin API (v2.3.0) over real HTTP on 127.0.0.1.

Expected statuses, bodies and headers are those of real Ory Hydra v2.3.0 (checked against the
binary) and of the spec's emulator checklist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.http import ServerThread
from reconciler.sandbox.hydra import HydraEmulator

META = ("The value of one of the Client Metadata fields is invalid and the server has rejected this request. "
        "Note that an Authorization Server MAY choose to substitute a valid value for any requested parameter "
        "of a Client's Metadata.")
MALFORMED = "The request was malformed or contained invalid parameters"
NO_CACHE = "private, no-cache, no-store, must-revalidate"
LIFESPANS = [
    "authorization_code_grant_access_token_lifespan", "authorization_code_grant_id_token_lifespan",
    "authorization_code_grant_refresh_token_lifespan", "client_credentials_grant_access_token_lifespan",
    "implicit_grant_access_token_lifespan", "implicit_grant_id_token_lifespan",
    "jwt_bearer_grant_access_token_lifespan", "refresh_token_grant_id_token_lifespan",
    "refresh_token_grant_access_token_lifespan", "refresh_token_grant_refresh_token_lifespan",
]
GET_KEYS = [
    "client_id", "client_name", "redirect_uris", "grant_types", "response_types", "scope", "audience", "owner",
    "policy_uri", "allowed_cors_origins", "tos_uri", "client_uri", "logo_uri", "contacts",
    "client_secret_expires_at", "subject_type", "jwks", "token_endpoint_auth_method",
    "userinfo_signed_response_alg", "created_at", "updated_at", "metadata", "skip_consent",
    "skip_logout_consent", *LIFESPANS,
]


@pytest.fixture
def emu() -> HydraEmulator:
    return HydraEmulator()


@pytest.fixture
def client(emu: HydraEmulator) -> Iterator[httpx.Client]:
    admin, public = emu.servers()
    with ServerThread(admin, public), httpx.Client(base_url=admin.url) as http:
        http.public_url = public.url  # type: ignore[attr-defined]
        yield http


def create(http: httpx.Client, **fields: object) -> httpx.Response:
    return http.post("/admin/clients", json=fields)


def error(resp: httpx.Response) -> tuple[int, str, str]:
    body = resp.json()
    assert list(body) == ["error", "error_description"]
    return resp.status_code, body["error"], body["error_description"]


# --- create ----------------------------------------------------------------------------------

def test_create_empty_body_fills_defaults_and_generates_id_and_secret(client: httpx.Client) -> None:
    resp = client.post("/admin/clients", content=b"{}")
    assert resp.status_code == 201
    body = resp.json()
    assert resp.headers["location"] == f"/admin/clients/{body['client_id']}"
    assert len(body["client_id"]) == 36 and body["client_id"][14] == "4"
    assert len(body["client_secret"]) == 26
    assert set(body["client_secret"]) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.~-")
    assert body["scope"] == "offline_access offline openid"
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert body["subject_type"] == "public"
    assert body["userinfo_signed_response_alg"] == "none"
    assert body["grant_types"] is None and body["response_types"] is None and body["redirect_uris"] is None
    assert body["contacts"] is None
    assert body["audience"] == [] and body["allowed_cors_origins"] == []
    assert body["metadata"] == {} and body["jwks"] == {}
    assert body["skip_consent"] is False and body["skip_logout_consent"] is None
    assert all(body[name] is None for name in LIFESPANS)
    assert body["registration_access_token"].startswith("ory_at_")
    assert body["registration_client_uri"] == client.public_url + "/oauth2/register/"  # type: ignore[attr-defined]


def test_create_response_headers_match_hydra(client: httpx.Client) -> None:
    resp = create(client, client_id="h")
    assert list(resp.headers.keys())[:4] == ["cache-control", "content-type", "location", "date"]
    assert resp.headers["cache-control"] == NO_CACHE
    assert resp.headers["content-type"] == "application/json; charset=utf-8"
    assert "server" not in resp.headers
    assert resp.content.endswith(b"}\n")


def test_create_key_order_follows_go_struct(client: httpx.Client) -> None:
    body = create(client, client_id="order").json()
    assert list(body) == [*GET_KEYS[:2], "client_secret", *GET_KEYS[2:22], "registration_access_token",
                          "registration_client_uri", *GET_KEYS[22:]]


def test_created_at_whole_seconds_updated_at_microseconds(client: httpx.Client) -> None:
    body = create(client, client_id="ts", created_at="2001-01-01T00:00:00Z").json()
    assert len(body["created_at"]) == 20 and body["created_at"].endswith("Z")
    assert not body["created_at"].startswith("2001")
    assert body["updated_at"].endswith("Z")


def test_caller_chosen_id_and_secret(client: httpx.Client) -> None:
    body = create(client, client_id="my-app", client_secret="secret123").json()
    assert body["client_id"] == "my-app" and body["client_secret"] == "secret123"
    assert body["registration_client_uri"].endswith("/oauth2/register/my-app")


def test_duplicate_id_is_409_with_storage_error_body(client: httpx.Client) -> None:
    create(client, client_id="dup")
    resp = create(client, client_id="dup")
    assert resp.status_code == 409
    assert resp.headers["content-type"] == "application/json"
    assert resp.content == (b'{"error":"Unable to insert or update resource because a resource with that value '
                            b'exists already","error_description":""}\n')


def test_short_secret_rejected(client: httpx.Client) -> None:
    assert error(create(client, client_secret="abc")) == (
        400, "invalid_client_metadata",
        f"{META} Field client_secret must contain a secret that is at least 6 characters long.")


def test_public_client_secret_not_echoed_on_create(client: httpx.Client) -> None:
    body = create(client, client_id="pub", token_endpoint_auth_method="none", client_secret="givensecret").json()
    assert "client_secret" not in body


def test_private_key_jwt_secret_is_echoed(client: httpx.Client) -> None:
    body = create(client, token_endpoint_auth_method="private_key_jwt", jwks_uri="https://a.example/jwks").json()
    assert len(body["client_secret"]) == 26


def test_unknown_keys_dropped_and_keys_matched_case_insensitively(client: httpx.Client) -> None:
    body = create(client, CLIENT_ID="upper", Client_Name="cn", not_a_field=1).json()
    assert body["client_id"] == "upper" and body["client_name"] == "cn" and "not_a_field" not in body


def test_unknown_grant_types_and_auth_methods_accepted(client: httpx.Client) -> None:
    resp = create(client, grant_types=["bogus"], response_types=["weird"], token_endpoint_auth_method="foo")
    assert resp.status_code == 201
    assert resp.json()["grant_types"] == ["bogus"]


def test_metadata_kept_compacted_with_number_spelling(client: httpx.Client) -> None:
    raw = b'{"client_id":"m","metadata":{ "b" : 1, "a": [1, 2.50], "h": "<&>" }}'
    resp = client.post("/admin/clients", content=raw)
    assert b'"metadata":{"b":1,"a":[1,2.50],"h":"\\u003c\\u0026\\u003e"}' in resp.content
    assert b'"metadata":{"b":1,"a":[1,2.50],"h":"\\u003c\\u0026\\u003e"}' in client.get("/admin/clients/m").content


def test_metadata_null_is_stored_as_null(client: httpx.Client) -> None:
    create(client, client_id="n", metadata=None)
    assert client.get("/admin/clients/n").json()["metadata"] is None


def test_cors_origin_trailing_slash_stripped_and_lifespans_normalised(client: httpx.Client) -> None:
    body = create(client, allowed_cors_origins=["https://x.example/"], access_token_strategy="JWT",
                  authorization_code_grant_access_token_lifespan="1h",
                  client_credentials_grant_access_token_lifespan="90m",
                  refresh_token_grant_refresh_token_lifespan="1.5s").json()
    assert body["allowed_cors_origins"] == ["https://x.example"]
    assert body["access_token_strategy"] == "jwt"
    assert body["authorization_code_grant_access_token_lifespan"] == "1h0m0s"
    assert body["client_credentials_grant_access_token_lifespan"] == "1h30m0s"
    assert body["refresh_token_grant_refresh_token_lifespan"] == "1.5s"


@pytest.mark.parametrize(("raw", "description"), [
    (b"", "Unable to decode the request body: EOF"),
    (b"{bad", "Unable to decode the request body: invalid character 'b' looking for beginning of object key string"),
    (b'{"client_name":"a"', "Unable to decode the request body: unexpected EOF"),
    (b'{"client_name" "a"}', "Unable to decode the request body: invalid character ''' after object key"),
    (b"[]", "Unable to decode the request body: json: cannot unmarshal array into Go value of type client.Client"),
    (b'{"grant_types":"x"}', "Unable to decode the request body: json: cannot unmarshal string into Go struct "
                             "field Client.grant_types of type sqlxx.StringSliceJSONFormat"),
    (b'{"client_secret_expires_at":1.5}', "Unable to decode the request body: json: cannot unmarshal number 1.5 "
                                          "into Go struct field Client.client_secret_expires_at of type int"),
    (b'{"authorization_code_grant_access_token_lifespan":"5"}',
     "Unable to decode the request body: time: missing unit in duration '5'"),
    (b'{"jwks":{"keys":[{"kty":"bogus"}]}}',
     "Unable to decode the request body: go-jose/go-jose: unknown json web key type 'bogus'"),
])
def test_undecodable_bodies(client: httpx.Client, raw: bytes, description: str) -> None:
    resp = client.post("/admin/clients", content=raw)
    assert resp.headers["content-type"] == "application/json"
    assert error(resp) == (400, MALFORMED, description)


def test_trailing_garbage_after_the_object_is_ignored(client: httpx.Client) -> None:
    assert client.post("/admin/clients", content=b'{"client_id":"g"} trailing').status_code == 201


@pytest.mark.parametrize(("fields", "err", "hint"), [
    ({"redirect_uris": ["foo"]}, "invalid_redirect_uri",
     "The value of one or more redirect_uris is invalid. Unable to parse redirect URL: foo"),
    ({"redirect_uris": ["https://a.example/cb#x"]}, "invalid_redirect_uri",
     "The value of one or more redirect_uris is invalid. Redirect URIs must not contain fragments (#)."),
    ({"redirect_uris": ["https://a.example/cb"], "post_logout_redirect_uris": ["https://b.example/x"]},
     "invalid_client_metadata", f"{META} post_logout_redirect_uri 'https://b.example/x' must match the domain, "
     "port, scheme of at least one of the registered redirect URIs but did not'"),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "invalid_client_metadata",
     f"{META} When token_endpoint_auth_method is 'private_key_jwt', either jwks or jwks_uri must be set."),
    ({"jwks_uri": "https://a.example/j", "jwks": {"keys": []}}, "invalid_client_metadata",
     f"{META} Fields jwks and jwks_uri can not both be set, you must choose one."),
    ({"allowed_cors_origins": ["ftp://a.example"]}, "invalid_client_metadata",
     f"{META} Origin URL ftp://a.example must use https:// or http:// as HTTP scheme."),
    ({"allowed_cors_origins": ["https://a.example/p"]}, "invalid_client_metadata",
     f"{META} Origin URL https://a.example/p must have an empty path, query, and fragment but one of the parts "
     "is not empty."),
    ({"userinfo_signed_response_alg": "HS256"}, "invalid_client_metadata",
     f"{META} Field userinfo_signed_response_alg can either be 'none' or 'RS256'."),
    ({"subject_type": "pairwise"}, "invalid_client_metadata",
     f"{META} Subject type pairwise is not supported by server, only [public] are allowed."),
    ({"sector_identifier_uri": "http://a.example"}, "invalid_client_metadata", META),
    ({"access_token_strategy": "bogus"}, "invalid_client_metadata",
     f"{META} invalid access token strategy: expected one of [jwt, opaque] but got bogus"),
])
def test_validation_errors(client: httpx.Client, fields: dict[str, object], err: str, hint: str) -> None:
    assert error(create(client, **fields)) == (400, err, hint)


def test_validation_order_secret_length_before_cors(client: httpx.Client) -> None:
    resp = create(client, client_secret="abc", allowed_cors_origins=["ftp://x"])
    assert error(resp)[2].endswith("at least 6 characters long.")


def test_relative_and_custom_scheme_redirects_accepted(client: httpx.Client) -> None:
    assert create(client, redirect_uris=["/cb", "myapp://x", "http://a"]).status_code == 201


# --- get / list shapes -----------------------------------------------------------------------

def test_get_hides_secret_and_registration_fields_and_shows_empty_lists(client: httpx.Client) -> None:
    create(client, client_id="g1", client_secret="secret123")
    resp = client.get("/admin/clients/g1")
    assert resp.status_code == 200
    assert list(resp.json()) == GET_KEYS
    body = resp.json()
    assert body["grant_types"] == [] and body["redirect_uris"] == [] and body["contacts"] == []


def test_get_unknown_is_404(client: httpx.Client) -> None:
    resp = client.get("/admin/clients/nope")
    assert resp.content == b'{"error":"Unable to locate the resource","error_description":""}\n'
    assert resp.status_code == 404


# --- put -------------------------------------------------------------------------------------

def test_put_replaces_everything_and_keeps_secret_hash(client: httpx.Client, emu: HydraEmulator) -> None:
    create(client, client_id="p", client_secret="secret123", client_name="n", metadata={"k": 1}, owner="o")
    before = emu.clients["p"]["hash"]
    resp = client.put("/admin/clients/p", json={"client_name": "m", "scope": ""})
    assert resp.status_code == 200
    body = resp.json()
    assert "client_secret" not in body and "registration_access_token" not in body
    assert body["scope"] == "offline_access offline openid"
    assert body["metadata"] == {} and body["owner"] == "" and body["grant_types"] is None
    assert emu.clients["p"]["hash"] == before
    assert emu.check_secret("p", "secret123")


def test_put_with_secret_rehashes_and_echoes(client: httpx.Client, emu: HydraEmulator) -> None:
    create(client, client_id="p", client_secret="secret123")
    body = client.put("/admin/clients/p", json={"client_id": "other", "client_secret": "newsecret"}).json()
    assert body["client_id"] == "p" and body["client_secret"] == "newsecret"
    assert emu.check_secret("p", "newsecret") and not emu.check_secret("p", "secret123")


def test_put_public_client_echoes_secret(client: httpx.Client) -> None:
    create(client, client_id="pub", token_endpoint_auth_method="none")
    body = client.put("/admin/clients/pub", json={"token_endpoint_auth_method": "none",
                                                  "client_secret": "givensecret"}).json()
    assert body["client_secret"] == "givensecret"


def test_put_created_at_echoes_body_but_store_keeps_original(client: httpx.Client) -> None:
    created = create(client, client_id="p").json()["created_at"]
    body = client.put("/admin/clients/p", json={"created_at": "2020-01-01T00:00:00.500Z"}).json()
    assert body["created_at"] == "2020-01-01T00:00:00.5Z"
    assert client.get("/admin/clients/p").json()["created_at"] == created


def test_put_validates_before_404(client: httpx.Client) -> None:
    assert error(client.put("/admin/clients/zzz", json={"client_secret": "a"}))[:2] == (400, "invalid_client_metadata")
    assert error(client.put("/admin/clients/zzz", json={})) == (404, "Unable to locate the resource", "")
    assert error(client.put("/admin/clients/zzz", content=b"{x"))[:2] == (400, MALFORMED)


# --- patch -----------------------------------------------------------------------------------

def test_patch_add_replace_and_replace_on_missing_path(client: httpx.Client) -> None:
    create(client, client_id="p", client_secret="secret123")
    resp = client.patch("/admin/clients/p", json=[
        {"op": "replace", "path": "/client_name", "value": "pp"},
        {"op": "replace", "path": "/owner2", "value": "o"},
        {"op": "add", "path": "/redirect_uris/-", "value": "https://x.example/cb"},
    ])
    assert resp.status_code == 200
    body = resp.json()
    assert body["client_name"] == "pp" and body["redirect_uris"] == ["https://x.example/cb"]
    assert "client_secret" not in body and "owner2" not in body


def test_patch_remove_of_a_field_keeps_its_value(client: httpx.Client) -> None:
    create(client, client_id="p", redirect_uris=["https://x.example/cb"])
    body = client.patch("/admin/clients/p", json=[{"op": "remove", "path": "/redirect_uris"}]).json()
    assert body["redirect_uris"] == ["https://x.example/cb"]


def test_patch_secret_is_rehashed_and_echoed(client: httpx.Client, emu: HydraEmulator) -> None:
    create(client, client_id="p", client_secret="secret123")
    body = client.patch("/admin/clients/p", json=[
        {"op": "replace", "path": "/client_secret", "value": "patchedsecret"}]).json()
    assert body["client_secret"] == "patchedsecret"
    assert emu.check_secret("p", "patchedsecret")


@pytest.mark.parametrize("patch", [
    [{"op": "move", "from": "/owner", "path": "/client_name"}],
    [{"op": "copy", "from": "/owner", "path": "/client_name"}],
    [{"op": "test", "path": "/owner", "value": ""}],
    [{"op": "remove", "path": "/nonexist"}],
    [{"op": "add", "path": "/id", "value": "x"}],
    [{"op": "replace", "path": "/grant_types", "value": "x"}],
    {"not": "a patch"},
])
def test_patch_unsupported_or_failing_is_500(client: httpx.Client, patch: object) -> None:
    create(client, client_id="p")
    resp = client.patch("/admin/clients/p", json=patch)
    assert resp.content == b'{"error":"error","error_description":"The error is unrecognizable"}\n'
    assert resp.status_code == 500


def test_patch_checks_existence_before_parsing(client: httpx.Client) -> None:
    assert error(client.patch("/admin/clients/nope", content=b"{bad"))[0] == 404


def test_patch_short_secret_is_400(client: httpx.Client) -> None:
    create(client, client_id="p")
    resp = client.patch("/admin/clients/p", json=[{"op": "replace", "path": "/client_secret", "value": "abc"}])
    assert error(resp)[:2] == (400, "invalid_client_metadata")


def test_patch_of_client_id_updates_the_other_client(client: httpx.Client) -> None:
    create(client, client_id="a", client_name="from-a")
    create(client, client_id="b", client_name="b")
    missing = client.patch("/admin/clients/a", json=[{"op": "replace", "path": "/client_id", "value": "none"}])
    assert missing.status_code == 404
    resp = client.patch("/admin/clients/a", json=[{"op": "replace", "path": "/client_id", "value": "b"}])
    assert resp.status_code == 200
    assert client.get("/admin/clients/b").json()["client_name"] == "from-a"
    assert client.get("/admin/clients/a").json()["client_name"] == "from-a"


# --- lifespans, delete, routes ---------------------------------------------------------------

def test_lifespans_endpoint_sets_all_ten_and_keeps_secret(client: httpx.Client, emu: HydraEmulator) -> None:
    create(client, client_id="l", client_secret="secret123")
    client.put("/admin/clients/l/lifespans", json={"implicit_grant_access_token_lifespan": "1m"})
    body = client.put("/admin/clients/l/lifespans",
                      json={"client_credentials_grant_access_token_lifespan": "2h", "foo": 1}).json()
    assert body["client_credentials_grant_access_token_lifespan"] == "2h0m0s"
    assert body["implicit_grant_access_token_lifespan"] is None
    assert "client_secret" not in body and emu.check_secret("l", "secret123")


def test_lifespans_errors(client: httpx.Client) -> None:
    create(client, client_id="l")
    assert error(client.put("/admin/clients/nope/lifespans", json={}))[0] == 404
    assert error(client.put("/admin/clients/l/lifespans", json={"implicit_grant_access_token_lifespan": "xx"})) == (
        400, MALFORMED, "Unable to decode the request body: time: invalid duration 'xx'")
    assert error(client.put("/admin/clients/l/lifespans", json={"implicit_grant_access_token_lifespan": 5})) == (
        400, MALFORMED, "Unable to decode the request body: json: cannot unmarshal number into Go struct field "
        "Lifespans.implicit_grant_access_token_lifespan of type string")


def test_delete_is_204_then_404(client: httpx.Client) -> None:
    create(client, client_id="d")
    resp = client.delete("/admin/clients/d")
    assert resp.status_code == 204 and resp.content == b""
    assert resp.headers["cache-control"] == NO_CACHE
    assert client.delete("/admin/clients/d").status_code == 404


def test_legacy_paths_redirect_307_to_admin(client: httpx.Client, emu: HydraEmulator) -> None:
    emu.set_admin_url("http://127.0.0.1:4445/")
    resp = client.get("/clients?page_size=2&x=a%20b")
    assert resp.status_code == 307
    assert resp.headers["location"] == "http://127.0.0.1:4445/admin/clients?page_size=2&x=a%20b"
    assert resp.text == ('<a href="http://127.0.0.1:4445/admin/clients?page_size=2&amp;x=a%20b">'
                         "Temporary Redirect</a>.\n\n")
    put = client.put("/clients/c1/lifespans", json={})
    assert put.status_code == 307 and put.content == b""
    assert put.headers["location"] == "http://127.0.0.1:4445/admin/clients/c1/lifespans"


def test_wrong_method_is_405_with_allow(client: httpx.Client) -> None:
    resp = client.post("/admin/clients/c1")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "DELETE, GET, OPTIONS, PATCH, PUT"
    assert resp.text == "Method Not Allowed\n"


def test_health_and_version(client: httpx.Client) -> None:
    for path in ("/health/alive", "/health/ready"):
        resp = client.get(path)
        assert (resp.status_code, resp.content) == (200, b'{"status":"ok"}\n')
        assert resp.headers["content-type"] == "application/json; charset=utf-8"
        assert "cache-control" not in resp.headers
    assert client.get("/version").content == b'{"version":"v2.3.0"}\n'
    public = httpx.get(client.public_url + "/health/ready")  # type: ignore[attr-defined]
    assert public.content == b'{"status":"ok"}\n'


def test_unknown_admin_route_is_404(client: httpx.Client) -> None:
    resp = client.get("/admin/nothing")
    assert resp.status_code == 404 and resp.headers["content-type"] == "text/html; charset=utf-8"


# --- state -----------------------------------------------------------------------------------

def test_snapshot_restore_round_trip(client: httpx.Client, emu: HydraEmulator) -> None:
    create(client, client_id="s1", client_secret="secret123", metadata={"a": 2.50})
    before = client.get("/admin/clients/s1").content
    data = json.loads(json.dumps(emu.snapshot()))
    fresh = HydraEmulator()
    fresh.restore(data)
    admin, public = fresh.servers()
    with ServerThread(admin, public):
        assert httpx.get(admin.url + "/admin/clients/s1").content == before
    assert fresh.check_secret("s1", "secret123")
    assert data["clients"][0]["hash"].startswith("$pbkdf2-sha256$i=1000,")


def test_truncate_fault_drops_last_item_keeps_headers(client: httpx.Client, emu: HydraEmulator) -> None:
    for i in range(3):
        create(client, client_id=f"t{i}")
    emu.faults.add("truncate", method="GET", path="/admin/clients", times=1)
    short = client.get("/admin/clients")
    full = client.get("/admin/clients")
    assert [c["client_id"] for c in short.json()] == ["t0", "t1"]
    assert [c["client_id"] for c in full.json()] == ["t0", "t1", "t2"]
    assert short.headers["x-total-count"] == "3" and short.headers["link"] == full.headers["link"]
    assert emu.faults.counts == {"truncate": 1}


def test_unsupported_version_rejected() -> None:
    with pytest.raises(ValueError, match="unsupported Hydra version"):
        HydraEmulator("2.2.0")


# --- details checked against real Hydra v2.3.0 -----------------------------------------------

def test_put_created_at_is_echoed_in_utc(client: httpx.Client) -> None:
    create(client, client_id="p")
    body = client.put("/admin/clients/p", json={"created_at": "2020-01-01T00:00:00.123+02:00"}).json()
    assert body["created_at"] == "2019-12-31T22:00:00.123Z"


def test_jwks_keys_re_marshalled_in_go_jose_order(client: httpx.Client) -> None:
    key = {"n": "AQAB", "e": "AQAB", "kid": "k1", "use": "sig", "alg": "RS256", "kty": "RSA", "extra": "dropped"}
    create(client, client_id="pk", token_endpoint_auth_method="private_key_jwt", jwks={"keys": [key]})
    got = client.get("/admin/clients/pk").json()["jwks"]["keys"][0]
    assert list(got.items()) == [("use", "sig"), ("kty", "RSA"), ("kid", "k1"), ("alg", "RS256"), ("n", "AQAB"),
                                 ("e", "AQAB")]


def test_int_overflow_is_a_decode_error(client: httpx.Client) -> None:
    assert error(create(client, client_secret_expires_at=99999999999999999999)) == (
        400, MALFORMED, "Unable to decode the request body: json: cannot unmarshal number 99999999999999999999 "
        "into Go struct field Client.client_secret_expires_at of type int")


def test_patch_add_creates_missing_parents_and_null_patch_is_no_op(client: httpx.Client) -> None:
    create(client, client_id="p", client_name="n")
    body = client.patch("/admin/clients/p", json=[{"op": "add", "path": "/metadata/a/b", "value": 1}]).json()
    assert body["metadata"] == {"a": {"b": 1}}
    assert client.patch("/admin/clients/p", content=b"null").json()["client_name"] == "n"
    whole = client.patch("/admin/clients/p", json=[{"op": "replace", "path": "", "value": {}}])
    assert whole.status_code == 500


def test_trailing_slash_redirects_only_where_the_method_exists(client: httpx.Client) -> None:
    resp = client.get("/admin/clients/")
    assert (resp.status_code, resp.headers["location"]) == (301, "/admin/clients")
    assert resp.text == '<a href="/admin/clients">Moved Permanently</a>.\n\n'
    assert client.post("/admin/clients/", json={}).status_code == 308
    assert client.put("/admin/clients/", json={}).status_code == 404
    assert client.get("/clients/").headers["location"] == "/clients"


def test_registration_client_uri_escapes_the_id(client: httpx.Client, emu: HydraEmulator) -> None:
    emu.set_public_url("http://127.0.0.1:4444/")
    body = create(client, client_id="a b:c").json()
    assert body["registration_client_uri"] == "http://127.0.0.1:4444/oauth2/register/a%20b:c"
    assert client.get("/admin/clients/a b:c").json()["client_id"] == "a b:c"


def test_lone_surrogate_escapes_become_replacement_characters(client: httpx.Client) -> None:
    resp = client.post("/admin/clients", content=b'{"client_id":"s","client_name":"\\ud800x","contacts":["\\udc00"]}')
    assert resp.status_code == 201
    body = client.get("/admin/clients/s").json()
    assert (body["client_name"], body["contacts"]) == ("\ufffdx", ["\ufffd"])


@pytest.mark.parametrize(("jwks", "status", "hint"), [
    ({"keys": [{"kty": "oct", "k": "AAAA"}]}, 400, f"{META} Invalid JSON web key in set."),
    ({"keys": [{"kty": "RSA"}]}, 400, "Unable to decode the request body: go-jose/go-jose: invalid RSA key, missing n/e values"),
    ({"keys": [{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "BBBB"}]}, 400,
     "Unable to decode the request body: go-jose/go-jose: invalid EC public key, wrong length for x"),
    ({"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]}, 400, "Unable to decode the request body: illegal base64 data at input byte 0"),
])
def test_jwks_keys_checked_as_go_jose_does(client: httpx.Client, jwks: dict[str, object], status: int, hint: str) -> None:
    assert error(create(client, jwks=jwks))[::2] == (status, hint)


def test_private_key_jwt_accepts_an_empty_key_set(client: httpx.Client) -> None:
    resp = create(client, client_id="k", token_endpoint_auth_method="private_key_jwt", jwks={"keys": []})
    assert resp.status_code == 201 and resp.json()["jwks"] == {"keys": []}
    assert create(client, client_id="n", jwks={"keys": None}).json()["jwks"] == {"keys": None}


def test_cors_origin_keeps_an_empty_query_marker(client: httpx.Client) -> None:
    body = create(client, allowed_cors_origins=["HTTPS://A.example/?", "https://b.example#"]).json()
    assert body["allowed_cors_origins"] == ["https://A.example?", "https://b.example"]
    assert error(create(client, allowed_cors_origins=["https://a b.example"]))[2] == (
        f"{META} Origin URL https://a b.example from allowed_cors_origins could not be parsed: "
        "parse 'https://a b.example': invalid character ' ' in host name")


def test_options_answers_allow_and_head_is_not_routed(client: httpx.Client) -> None:
    resp = client.options("/admin/clients/x")
    assert (resp.status_code, resp.content, resp.headers["allow"]) == (200, b"", "DELETE, GET, OPTIONS, PATCH, PUT")
    assert client.options("/admin/clients").headers["allow"] == "GET, OPTIONS, POST"
    assert client.head("/admin/clients").status_code == 405


def test_put_echoes_registration_fields_from_the_body_but_never_stores_them(client: httpx.Client) -> None:
    create(client, client_id="rt")
    body = client.put("/admin/clients/rt", json={"registration_access_token": "abc"}).json()
    assert body["registration_access_token"] == "abc"
    assert "registration_access_token" not in client.get("/admin/clients/rt").json()
