"""APISIX emulator: deviations from real APISIX 3.18.0 that a client nobody here wrote (ADC) ran into.

Each test names the upstream source that settles the behaviour (apache/apisix at tag 3.18.0).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.apisix import ApisixEmulator
from tests.sandbox.admin_client import serve

UPSTREAM = {"nodes": {"127.0.0.1:1980": 1}, "type": "roundrobin"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    yield from serve(ApisixEmulator())


def values(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [item["value"] for item in response.json()["list"]]


# --- 1. stale unpaged lists ------------------------------------------------------------------------

@pytest.mark.parametrize(("path", "first", "second"), [
    ("/upstreams/1", {"nodes": {"a:1": 1}}, {"nodes": {"b:1": 1}}),
    ("/services/1", {"desc": "old"}, {"desc": "new"}),
    ("/consumers/jack", {"username": "jack", "desc": "old"}, {"username": "jack", "desc": "new"}),
    ("/global_rules/1", {"plugins": {"request-id": {}}}, {"plugins": {"cors": {}}}),
    ("/plugin_metadata/cors", {"allow_origins": {"a": "*"}}, {"allow_origins": {"b": "*"}}),
])
def test_unpaged_list_shows_an_in_place_put(client: httpx.Client, path: str, first: dict[str, Any],
                                            second: dict[str, Any]) -> None:
    """``apisix/admin/resource.lua`` ``_M:get`` reads etcd on every list (``core.etcd.get(key, true)``),
    so a list right after a replace shows the new value, as the single GET in ``t/admin/upstream.t``
    TEST 2 "get upstream" does after TEST 1's PUT."""
    collection = path.rsplit("/", 1)[0]
    assert client.put(path, json=first).status_code == 201
    assert len(values(client.get(collection))) == 1  # fills the emulator's list cache
    assert client.put(path, json=second).status_code == 200
    listed = values(client.get(collection))
    single = client.get(path).json()["value"]
    assert listed == [single]
    key = next(iter(second))
    assert listed[0][key] == second[key]


# --- 2. /configs/validate --------------------------------------------------------------------------

def test_validate_empty_and_invalid_bodies(client: httpx.Client) -> None:
    """``t/admin/config-validate.t`` TEST 3 "empty body" and TEST 4 "invalid JSON body"."""
    empty = client.post("/configs/validate", content=b"")
    assert (empty.status_code, empty.json()) == (400, {"error_msg": "invalid request body: empty request body"})
    broken = client.post("/configs/validate", content=b"not json")
    assert broken.status_code == 400
    assert broken.json()["error_msg"].startswith("invalid request body")


def test_validate_collects_every_error_with_index(client: httpx.Client) -> None:
    """TEST 5 "invalid route (uri must be string)", TEST 6 "duplicate route IDs" and TEST 8
    "collects all errors" of ``t/admin/config-validate.t``."""
    response = client.post("/configs/validate", json={"routes": [
        {"id": "r1", "uri": 123},
        {"id": "r2", "uri": 456},
        {"id": "r1", "uri": "/t", "upstream": UPSTREAM},
    ]})
    assert response.status_code == 400
    body = response.json()
    assert body["error_msg"] == "Configuration validation failed"
    assert [(e["resource_type"], e["resource_id"], e["index"]) for e in body["errors"]] == [
        ("routes", "r1", 0), ("routes", "r2", 1), ("routes", "r1", 2)]
    assert body["errors"][0]["error"] == ('invalid configuration: property "uri" validation failed: '
                                          "wrong type: expected string, got number")
    assert body["errors"][2]["error"] == "found duplicate id r1 in routes"


def test_validate_runs_plugin_check_schema(client: httpx.Client) -> None:
    """TEST 7 "plugin check_schema advanced validation (cors)": ``cors.lua`` ``check_schema`` refuses
    ``*`` with ``allow_credential``; JSON Schema alone accepts it.  A PUT refuses it too."""
    route = {"id": "r1", "uri": "/test", "upstream": UPSTREAM,
             "plugins": {"cors": {"allow_credential": True, "allow_origins": "*"}}}
    response = client.post("/configs/validate", json={"routes": [route]})
    assert response.status_code == 400
    [err] = response.json()["errors"]
    assert err["error"] == ("failed to check the configuration of plugin cors err: "
                            "you can not set '*' for other option when 'allow_credential' is true")
    assert client.put("/routes/r1", json=route).json()["error_msg"] == err["error"]


def test_validate_skips_references_and_writes_nothing(client: httpx.Client) -> None:
    """TEST 10 "does not persist changes" and ``skip_references_check`` (``config_validate.lua``
    ``check_conf``): an ``upstream_id`` that does not exist is fine, and nothing is stored."""
    doc = {"routes": [{"id": "r1", "uri": "/a", "upstream_id": "missing"}],
           "upstreams": [{"id": "u1", **UPSTREAM}], "consumers": [{"username": "jack"}]}
    response = client.post("/configs/validate", json=doc)
    assert (response.status_code, response.json()) == (200, {})
    assert client.get("/routes").json()["total"] == 0
    assert client.get("/upstreams/u1").status_code == 404


def test_validate_consumers_credentials_and_yaml(client: httpx.Client) -> None:
    """TEST 15 "duplicate consumer usernames detected"; credentials are consumer items whose id
    holds ``/credentials/`` (``config_validate.lua`` ``check_conf``); YAML bodies are parsed when the
    content type is ``application/yaml`` (``_M.validate``)."""
    doc = {"consumers": [{"username": "jack"}, {"username": "jack"},
                         {"id": "jack/credentials/a", "plugins": {"cors": {}}}]}
    errors = client.post("/configs/validate", json=doc).json()["errors"]
    assert [(e["index"], e["error"]) for e in errors] == [
        (1, "found duplicate username jack in consumers"),
        (2, "only supports auth type plugins in consumer credential")]
    yaml_body = b"routes:\n  - id: r1\n    uri: /a\n    plugins: {}\n"
    ok = client.post("/configs/validate", content=yaml_body, headers={"Content-Type": "application/yaml"})
    assert (ok.status_code, ok.json()) == (200, {})
    bad = client.post("/configs/validate", content=b"- [", headers={"Content-Type": "application/yaml"})
    assert bad.json() == {"error_msg": "invalid request body: invalid yaml request body"}


def test_validate_is_absent_before_3_17() -> None:
    """``apisix/admin/config_validate.lua`` first shipped in 3.17.0."""
    for c in serve(ApisixEmulator("3.13.0")):
        response = c.post("/configs/validate", json={})
        assert (response.status_code, response.json()) == (404, {"error_msg": "Unsupported resource type: configs"})


# --- 3. plugin_metadata of any existing plugin -------------------------------------------------------

def test_metadata_for_any_existing_plugin(client: httpx.Client) -> None:
    """``apisix/admin/plugin_metadata.lua`` ``validate_plugin`` requires ``apisix.plugins.<name>``
    (enabled or not) and injects an empty ``metadata_schema`` when the plugin has none;
    ``t/admin/plugin-metadata.t`` TEST "verify metadata schema of plugin without metadata_schema"."""
    assert client.put("/plugin_metadata/http-logger", json={"log_format": {"host": "$host"}}).status_code == 201
    assert client.put("/plugin_metadata/log-rotate", json={"anything": 1}).status_code == 201  # not enabled
    assert client.put("/plugin_metadata/nope", json={"a": 1}).json() == {"error_msg": "invalid plugin name"}


def test_default_plugin_list_of_3_18(client: httpx.Client) -> None:
    """The ``plugins`` list of ``apisix/cli/config.lua`` (3.18.0) is enabled, sorted by each module's
    ``_M.priority``; a name outside it is still ``unknown plugin``."""
    names = client.get("/plugins/list").json()
    assert len(names) == 107
    assert names[:3] == ["real-ip", "ai", "client-control"]  # 23000, 22900, 22000
    assert names[-2:] == ["ext-plugin-post-req", "ext-plugin-post-resp"]  # -3000, -4000
    route = {"uri": "/a", "plugins": {"gzip": {"comp_level": 5}, "echo": {}}}
    assert client.put("/routes/1", json=route).status_code == 201
    assert client.put("/routes/2", json={"uri": "/a", "plugins": {"log-rotate": {}}}).json() == \
        {"error_msg": "unknown plugin [log-rotate]"}


# --- 4. consumer delete removes its credentials ----------------------------------------------------

def test_consumer_delete_removes_its_credentials(client: httpx.Client) -> None:
    """``apisix/admin/resource.lua`` ``_M:delete`` runs ``etcd.rmdir(key .. "/credentials/")`` for
    consumers; ``t/admin/credentials.t`` TEST 12 "delete consumer" then TEST 13 "list credentials:
    should get 404 because the consumer is deleted"."""
    assert client.put("/consumers", json={"username": "jack"}).status_code == 201
    cred = {"plugins": {"key-auth": {"key": "jack-key-1"}}}
    assert client.put("/consumers/jack/credentials/a", json=cred).status_code == 201
    assert client.delete("/consumers/jack").status_code == 200
    assert client.get("/consumers/jack/credentials").status_code == 404
    assert client.get("/consumers/jack/credentials/a").status_code == 404
    assert client.delete("/consumers/jack/credentials/a").status_code == 404
    # the key is free again for a new consumer (no stale duplicate-key hit)
    assert client.put("/consumers", json={"username": "jill", **cred}).status_code == 201


# --- 5. ?filter= ------------------------------------------------------------------------------------

def test_filter_by_service_id_as_the_spec_says(client: httpx.Client) -> None:
    """Spec §3.3 and ``apisix/admin/v3_adapter.lua`` ``_filter``: ``ngx.decode_args`` of the value,
    exact string comparison, the last of repeated keys wins, unsupported keys are skipped, and a key
    without ``=`` (Lua ``true``) matches nothing."""
    client.put("/services/1", json={})
    client.put("/services/2", json={})
    client.put("/routes/a", json={"uri": "/a", "service_id": "1"})
    client.put("/routes/b", json={"uri": "/b", "service_id": 1})
    client.put("/routes/c", json={"uri": "/c", "service_id": "2"})
    base = str(client.base_url)

    def ids(query: str) -> list[str]:
        return [v["id"] for v in values(client.get(f"{base}/routes?{query}"))]

    assert ids("filter=service_id%3D1") == ["a"]
    assert ids("filter=service_id%3D1%26service_id%3D2") == ["c"]
    assert ids("filter=service_id%3D1%26name%3Dx") == ["a"]
    assert ids("filter=service_id") == []
    assert ids("filter=service_id%3D1&page=1&page_size=10") == ["a"]
    assert client.get(f"{base}/services?filter=service_id%3D1").json()["total"] == 2
