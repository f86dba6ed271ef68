"""APISIX emulator: schema and plugin endpoints (spec §7) and the api7-style validator (§4, §5.1)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.apisix_jsonschema import validate
from reconciler.sandbox.apisix_plugins import DEFAULT_ENABLED, PLUGIN_NAMES
from reconciler.sandbox.http import ServerThread

ADMIN = "edd1c9f034335f136f87ad84b625c8f1"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with ServerThread(ApisixEmulator().server()) as thread, httpx.Client(
            base_url=thread.servers[0].url + "/apisix/admin", headers={"X-API-KEY": ADMIN}) as c:
        yield c


@pytest.mark.parametrize("name", [n for n in PLUGIN_NAMES if n in DEFAULT_ENABLED])
def test_every_plugin_schema_is_served_with_injections(client: httpx.Client, name: str) -> None:
    for path in (f"/schema/plugins/{name}", f"/plugins/{name}"):
        schema = client.get(path).json()
        assert schema["$comment"] == "this is a mark for our injected plugin schema"
        assert schema["properties"]["_meta"]["additionalProperties"] is False
        assert schema["type"] == "object"


def test_schema_carries_defaults_and_encrypt_fields(client: httpx.Client) -> None:
    oidc = client.get("/schema/plugins/openid-connect").json()
    assert oidc["properties"]["ssl_verify"]["default"] is True
    assert "session.secret" in oidc["encrypt_fields"]
    consumer = client.get("/plugins/key-auth", params={"schema_type": "consumer"}).json()
    assert consumer == {"type": "object", "properties": {"key": {"type": "string"}},
                        "encrypt_fields": ["key"], "required": ["key"]}


def test_cors_metadata_schema(client: httpx.Client) -> None:
    schema = client.get("/plugins/cors", params={"schema_type": "metadata"}).json()
    assert schema["properties"]["allow_origins"]["type"] == "object"


def test_schema_errors(client: httpx.Client) -> None:
    assert client.get("/plugins/limit-count", params={"schema_type": "consumer"}).json() == \
        {"error_msg": "not found schema"}
    missing = client.get("/schema/plugins/log-rotate")  # a 3.18 module outside the default list
    assert (missing.status_code, missing.json()) == (404, {"error_msg": "plugin not found in subsystem http"})
    bad = client.get("/plugins/cors", params={"subsystem": "asdf"})
    assert bad.json() == {"error_msg": "unsupported subsystem: asdf"}
    assert client.get("/schema/noexits").json() == {"error_msg": "not found schema: noexits"}
    assert client.put("/schema/route", json={}).json() == {"error_msg": "not found"}


def test_resource_schema(client: httpx.Client) -> None:
    route = client.get("/schema/route").json()
    assert route["additionalProperties"] is False
    assert route["properties"]["priority"]["default"] == 0


def test_plugins_list_sorted_by_priority(client: httpx.Client) -> None:
    names = client.get("/plugins/list").json()
    assert names.index("request-id") < names.index("cors") < names.index("ip-restriction")
    assert names.index("ip-restriction") < names.index("prometheus")
    assert set(names) == set(DEFAULT_ENABLED)
    assert set(PLUGIN_NAMES) - set(names) == {"opentelemetry"}  # off by default in 3.18
    invalid = client.get("/plugins/list", params={"subsystem": "x"})
    assert (invalid.status_code, invalid.text) == (400, "invalid subsystem passed")


def test_plugins_all_and_reload(client: httpx.Client) -> None:
    everything = client.get("/plugins", params={"all": "true"}).json()
    assert everything["key-auth"]["type"] == "auth"
    assert everything["key-auth"]["priority"] == 2500
    assert "consumer_schema" in everything["jwt-auth"]
    assert client.put("/plugins/reload").text == "done"
    assert client.get("/plugins/reload").json() == {
        "error_msg": "please use PUT method to reload the plugins, GET method is not allowed."}


def test_validate_endpoint_has_no_prefix(client: httpx.Client) -> None:
    assert client.post("/schema/validate/routes", json={"uri": "/a", "plugins": {}}).status_code == 200
    response = client.post("/schema/validate/routes", json={"uri": "/a"})
    assert response.status_code == 400
    assert response.json()["error_msg"].startswith("object matches none of the required: ")


def test_plugin_schema_pure_python_access() -> None:
    emu = ApisixEmulator()
    schema = emu.plugin_schema("limit-count")
    assert schema is not None and schema["properties"]["key"]["default"] == "remote_addr"
    assert emu.plugin_schema("nope") is None
    assert emu.plugin_schema("basic-auth", "consumer") == {
        "type": "object", "title": "work with consumer object",
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
        "encrypt_fields": ["password"], "required": ["username", "password"]}
    legacy = ApisixEmulator("3.13.0").plugin_schema("openid-connect")
    assert legacy is not None and legacy["properties"]["ssl_verify"]["default"] is False


@pytest.mark.parametrize(("schema", "value", "message"), [
    ({"type": "integer", "minimum": 1}, 0, "expected 0 to be at least 1"),
    ({"type": "integer", "maximum": 5}, 6, "expected 6 to be at most 5"),
    ({"type": "number", "exclusiveMinimum": 0}, 0, "expected 0 to be greater than 0"),
    ({"type": "string", "minLength": 3}, "ab", "string too short, expected at least 3, got 2"),
    ({"type": "array", "minItems": 1}, [], "expect array to have at least 1 items"),
    ({"type": "array", "uniqueItems": True}, [1, 1], "expected unique items but items 1 and 2 are equal"),
    ({"type": "object", "required": ["a"]}, {}, 'property "a" is required'),
    ({"type": "integer"}, 1.5, "wrong type: expected integer, got number"),
    ({"type": "boolean"}, None, "wrong type: expected boolean, got userdata"),
    ({"enum": [1, 0]}, True, "matches none of the enum values"),
    ({"not": {"required": ["a"]}}, {"a": 1}, "value wasn't supposed to match schema"),
    ({"if": {"properties": {"t": {"enum": ["x"]}}}, "then": {"required": ["b"]}, "else": {"required": ["c"]}},
     {"t": "y"}, "else clause did not match"),
    ({"type": "object", "dependencies": {"a": ["b"]}}, {"a": 1}, 'property "b" is required when "a" is set'),
    ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, [], "object matches none of the required"),
    ({"type": "object", "additionalProperties": {"type": "string"}}, {"a": 1},
     "failed to validate additional property a: wrong type: expected string, got number"),
])
def test_validator_messages(schema: dict[str, Any], value: Any, message: str) -> None:
    assert validate(schema, value) == message


def test_validator_fills_defaults_as_is_and_only_in_present_parents() -> None:
    schema = {"type": "object", "properties": {
        "a": {"type": "integer", "default": "not-validated"},
        "pool": {"type": "object", "properties": {"size": {"type": "integer", "default": 320}}}}}
    value: dict[str, Any] = {}
    assert validate(schema, value) is None
    assert value == {"a": "not-validated"}
    value = {"pool": {}}
    validate(schema, value)
    assert value["pool"] == {"size": 320}


def test_validator_fills_defaults_from_evaluated_branches() -> None:
    schema = {"type": "object", "properties": {"policy": {"type": "string", "default": "local"}},
              "if": {"properties": {"policy": {"enum": ["redis"]}}},
              "then": {"properties": {"redis_port": {"type": "integer", "default": 6379}}}}
    local: dict[str, Any] = {}
    validate(schema, local)
    assert local == {"policy": "local"}
    redis: dict[str, Any] = {"policy": "redis"}
    validate(schema, redis)
    assert redis == {"policy": "redis", "redis_port": 6379}
