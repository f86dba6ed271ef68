"""APISIX emulator: envelopes, revisions, ids, timestamps, PATCH and method rules (spec §1-§3)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.http import ServerThread

ADMIN = "edd1c9f034335f136f87ad84b625c8f1"
ROUTE = {"uri": "/index.html", "upstream": {"nodes": {"127.0.0.1:8080": 1}, "type": "roundrobin"}}


@pytest.fixture
def emu() -> ApisixEmulator:
    return ApisixEmulator()


@pytest.fixture
def client(emu: ApisixEmulator) -> Iterator[httpx.Client]:
    with ServerThread(emu.server()) as thread, httpx.Client(
            base_url=thread.servers[0].url + "/apisix/admin", headers={"X-API-KEY": ADMIN}) as c:
        yield c


def test_put_new_is_201_and_replace_is_200(client: httpx.Client) -> None:
    first = client.put("/routes/1", json=ROUTE)
    assert first.status_code == 201
    body = first.json()
    assert body["key"] == "/apisix/routes/1"
    assert body["value"]["id"] == "1"
    assert "createdIndex" not in body and "modifiedIndex" not in body
    second = client.put("/routes/1", json={**ROUTE, "uri": "/other"})
    assert second.status_code == 200
    assert second.json()["value"]["uri"] == "/other"


def test_write_response_headers(client: httpx.Client) -> None:
    response = client.put("/routes/1", json=ROUTE)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["server"] == "APISIX/3.18.0"
    assert response.headers["x-api-version"] == "v3"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.content.endswith(b"}\n")


def test_server_header_follows_version() -> None:
    emu = ApisixEmulator("3.13.0")
    with ServerThread(emu.server()) as thread:
        response = httpx.head(thread.servers[0].url + "/apisix/admin")
    assert response.status_code == 200
    assert response.headers["server"] == "APISIX/3.13.0"


def test_put_replaces_without_merge_and_keeps_create_time(client: httpx.Client) -> None:
    client.put("/routes/1", json={**ROUTE, "desc": "first"})
    created = client.get("/routes/1").json()["value"]["create_time"]
    client.put("/routes/1", json=ROUTE)
    value = client.get("/routes/1").json()["value"]
    assert "desc" not in value
    assert value["create_time"] == created
    assert isinstance(value["update_time"], int)


def test_global_revision_counter_on_get_only(client: httpx.Client) -> None:
    client.put("/upstreams/u1", json={"nodes": {"127.0.0.1:80": 1}})
    client.put("/routes/1", json=ROUTE)
    client.put("/routes/1", json=ROUTE)
    got = client.get("/routes/1").json()
    assert (got["createdIndex"], got["modifiedIndex"]) == (2, 3)
    assert client.get("/upstreams/u1").json()["createdIndex"] == 1


def test_post_generates_twenty_digit_id_and_bumps_twice(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    response = client.post("/routes", json=ROUTE)
    assert response.status_code == 201
    new_id = response.json()["value"]["id"]
    assert re.fullmatch(r"\d{20}", new_id)
    assert new_id == "00000000000000000002"
    got = client.get(f"/routes/{new_id}").json()
    assert got["createdIndex"] == 3
    assert client.post("/routes", json=ROUTE).json()["value"]["id"] == "00000000000000000004"


def test_delete_body_and_missing_key(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    response = client.delete("/routes/1")
    assert response.status_code == 200
    assert response.json() == {"deleted": "1", "key": "/apisix/routes/1"}
    missing = client.get("/routes/1")
    assert missing.status_code == 404
    assert missing.json() == {"message": "Key not found"}
    assert client.delete("/routes/1").status_code == 404
    assert client.patch("/routes/1", json={"desc": "x"}).json() == {"message": "Key not found"}


def test_url_id_is_string_body_id_keeps_type(client: httpx.Client) -> None:
    assert client.put("/routes", json={**ROUTE, "id": 1}).json()["value"]["id"] == 1
    assert client.get("/routes/1").json()["value"]["id"] == 1
    assert client.put("/routes/2", json={**ROUTE, "id": "2"}).json()["value"]["id"] == "2"


@pytest.mark.parametrize(("method", "path", "body", "message"), [
    ("PUT", "/routes", ROUTE, "missing route id"),
    ("PUT", "/routes/1", {**ROUTE, "id": "2"}, "wrong route id"),
    ("POST", "/routes", {**ROUTE, "id": "2"}, "wrong route id, do not need it"),
    ("PUT", "/upstreams", {"nodes": {}}, "missing upstream id"),
    ("PATCH", "/routes", {"desc": "x"}, "missing route id"),
])
def test_id_rules(client: httpx.Client, method: str, path: str, body: dict[str, object], message: str) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 400
    assert response.json() == {"error_msg": message}


def test_bad_id_fails_id_schema(client: httpx.Client) -> None:
    response = client.put("/routes", json={**ROUTE, "id": "a b"})
    assert response.json() == {"error_msg": 'invalid configuration: property "id" validation failed: '
                                            "object matches none of the required"}


@pytest.mark.parametrize(("body", "field"), [
    ({**ROUTE, "create_time": 1}, "create_time"),
    ({**ROUTE, "create_time": 1, "update_time": 2}, "create_time"),
    ({**ROUTE, "update_time": 2}, "update_time"),
    ({**ROUTE, "create_time": 0}, "create_time"),
    ({"uri": "/a", "plugins": {"create_time": {}}}, "plugins.create_time"),
    ({"uri": "/a", "upstream": {"nodes": {"a:1": 1}, "create_time": 1}}, "upstream.create_time"),
])
def test_forbidden_timestamps_with_two_spaces(client: httpx.Client, body: dict[str, object], field: str) -> None:
    response = client.put("/routes/1", json=body)
    assert response.status_code == 400
    assert response.text == '{"error_msg":"the property is forbidden:  ' + field + '"}\n'


def test_patch_may_set_timestamps(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    response = client.patch("/routes/1", json={"update_time": 1234, "create_time": 1000})
    assert response.status_code == 200
    value = client.get("/routes/1").json()["value"]
    assert (value["create_time"], value["update_time"]) == (1000, 1234)


def test_patch_merge_semantics(client: httpx.Client) -> None:
    client.put("/routes/1", json={**ROUTE, "desc": "d", "labels": {"a": "1", "b": "2"},
                                  "methods": ["GET", "POST"], "plugins": {"proxy-rewrite": {"uri": "/x"}}})
    response = client.patch("/routes/1", json={"desc": None, "labels": {"b": None, "c": "3"},
                                               "methods": ["PUT"]})
    assert response.status_code == 200
    value = client.get("/routes/1").json()["value"]
    assert "desc" not in value
    assert value["labels"] == {"a": "1", "c": "3"}
    assert value["methods"] == ["PUT"]
    assert value["id"] == "1"


def test_patch_empty_object_replaces(client: httpx.Client) -> None:
    client.put("/routes/1", json={**ROUTE, "plugins": {"proxy-rewrite": {"uri": "/x"}}})
    client.patch("/routes/1", json={"plugins": {}})
    assert client.get("/routes/1").json()["value"]["plugins"] == {}


def test_patch_sub_path(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    response = client.patch("/routes/1/upstream/nodes", json={"127.0.0.2:81": 2})
    assert response.status_code == 200
    assert client.get("/routes/1").json()["value"]["upstream"]["nodes"] == {"127.0.0.2:81": 2}
    client.patch("/routes/1/methods", json=["GET"])
    assert client.get("/routes/1").json()["value"]["methods"] == ["GET"]


def test_patch_body_rules(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    assert client.patch("/routes/1").json() == {"error_msg": "missing new configuration"}
    assert client.patch("/routes/1", json=[1]).json() == {"error_msg": "invalid configuration"}


def test_patch_revalidates(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    response = client.patch("/routes/1", json={"uris": ["/a"]})
    assert response.status_code == 400
    assert "matches both schemas 1 and 2" in response.json()["error_msg"]


def test_empty_and_invalid_bodies(client: httpx.Client) -> None:
    assert client.put("/routes/1").json() == {"error_msg": "missing configurations"}
    response = client.put("/routes/1", content=b"{bad")
    assert response.status_code == 400
    body = response.json()
    assert body["error_msg"].startswith("invalid request body: ")
    assert body["req_body"] == "{bad"


@pytest.mark.parametrize(("method", "path", "noun"), [
    ("POST", "/consumers", "consumer"),
    ("PATCH", "/consumers/jack", "consumer"),
    ("POST", "/consumer_groups", "consumer group"),
    ("POST", "/plugin_configs", "plugin config"),
    ("POST", "/global_rules", "global rule"),
    ("PATCH", "/plugin_metadata/cors", "plugin_metadata"),
    ("POST", "/consumers/jack/credentials", "credential"),
])
def test_405_with_kind_noun(client: httpx.Client, method: str, path: str, noun: str) -> None:
    response = client.request(method, path, json={"x": 1})
    assert response.status_code == 405
    assert response.json() == {"error_msg": f"not supported `{method}` method for {noun}"}


def test_unknown_resource_type(client: httpx.Client) -> None:
    response = client.get("/routs")
    assert response.status_code == 404
    assert response.json() == {"error_msg": "Unsupported resource type: routs"}


def test_trailing_slash_is_the_list(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    assert client.get("/routes/").json()["total"] == 1


def test_empty_list(client: httpx.Client) -> None:
    assert client.get("/routes").json() == {"list": [], "total": 0}


def test_stream_routes_disabled(client: httpx.Client) -> None:
    response = client.get("/stream_routes")
    assert response.json() == {"error_msg": "stream mode is disabled, can not add stream routes"}


def test_services_accept_empty_object(client: httpx.Client) -> None:
    response = client.put("/services/1", json={})
    assert response.status_code == 201
    assert set(response.json()["value"]) == {"id", "create_time", "update_time"}


def test_snapshot_restore_roundtrip(emu: ApisixEmulator, client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    client.put("/consumers", json={"username": "jack", "plugins": {"key-auth": {"key": "k1"}}})
    data = emu.snapshot()
    other = ApisixEmulator()
    other.restore(data)
    assert other.snapshot() == data
    with ServerThread(other.server()) as thread:
        got = httpx.get(thread.servers[0].url + "/apisix/admin/consumers/jack", headers={"X-API-KEY": ADMIN})
    assert got.json()["value"]["plugins"]["key-auth"]["key"] == "k1"
    assert got.json()["createdIndex"] == 2


def test_ttl_must_be_a_number(client: httpx.Client) -> None:
    response = client.put("/routes/1", params={"ttl": "abc"}, json=ROUTE)
    assert response.json() == {"error_msg": "invalid argument ttl: should be a number"}
    assert client.get("/routes/1").status_code == 404


def test_ttl_lease_expires_the_object(client: httpx.Client) -> None:
    import time

    assert client.put("/routes/1", params={"ttl": "0.05"}, json=ROUTE).status_code == 201
    client.put("/routes/2", json=ROUTE)
    time.sleep(0.2)
    assert client.get("/routes/1").status_code == 404
    assert client.get("/routes").json()["total"] == 1
    client.put("/routes/3", params={"ttl": "0.05"}, json=ROUTE)
    client.put("/routes/3", json=ROUTE)
    time.sleep(0.2)
    assert client.get("/routes/3").status_code == 200


def test_failed_post_does_not_consume_a_revision(client: httpx.Client) -> None:
    assert client.post("/routes", json={"uri": "/a"}).status_code == 400
    assert client.post("/routes", json=ROUTE).json()["value"]["id"] == "00000000000000000001"


def test_patch_sub_path_through_a_scalar(client: httpx.Client) -> None:
    client.put("/routes/1", json=ROUTE)
    response = client.patch("/routes/1/uri/x", json="y")
    assert response.json() == {"error_msg": "invalid sub-path: /uri"}
    assert client.patch("/routes/1/labels/team", json="a").status_code == 200
    assert client.get("/routes/1").json()["value"]["labels"] == {"team": "a"}
