"""APISIX emulator: the wider plugin catalogue, each rule from ``apisix/plugins/<name>.lua`` at 3.18.0.

The test names in comments are from apache/apisix 3.18.0 ``t/plugin/<name>.t``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.apisix_plugins import DEFAULT_ENABLED, PLUGIN_NAMES, PluginRegistry
from reconciler.sandbox.apisix_plugins.catalogue import MODULES
from reconciler.sandbox.http import ServerThread

ADMIN = "edd1c9f034335f136f87ad84b625c8f1"
PREFIX = "failed to check the configuration of plugin"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    # opentelemetry is transcribed but, as in 3.18's apisix/cli/config.lua, off by default
    emu = ApisixEmulator(plugins=[*DEFAULT_ENABLED, "opentelemetry"])
    with ServerThread(emu.server()) as thread, httpx.Client(
            base_url=thread.servers[0].url + "/apisix/admin", headers={"X-API-KEY": ADMIN}) as c:
        yield c


def put_route(client: httpx.Client, plugins: dict[str, Any], rid: str = "1") -> httpx.Response:
    return client.put(f"/routes/{rid}", json={"uri": "/a", "upstream": {"nodes": {"127.0.0.1:1980": 1}},
                                              "plugins": plugins})


def error(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    message: str = response.json()["error_msg"]
    return message


VALID = {
    "hmac-auth": {"clock_skew": 10, "signed_headers": ["date", "x-custom"]},
    "response-rewrite": {"status_code": 200, "headers": {"set": {"X-Server": "apisix"}}, "body": "hi"},
    "redirect": {"http_to_https": True},
    "real-ip": {"source": "http_x_forwarded_for", "trusted_addresses": ["10.0.0.0/8", "::1"]},
    "traffic-split": {"rules": [{"match": [{"vars": [["arg_name", "==", "jack"]]}],
                                 "weighted_upstreams": [{"upstream": {"nodes": {"127.0.0.1:1981": 1}}, "weight": 1},
                                                        {"weight": 1}]}]},
    "api-breaker": {"break_response_code": 502, "unhealthy": {"http_statuses": [500, 503], "failures": 3}},
    "http-logger": {"uri": "http://127.0.0.1:1982/log", "batch_max_size": 1},
    "file-logger": {"path": "logs/file.log"},
    "zipkin": {"endpoint": "http://127.0.0.1:9411/api/v2/spans", "sample_ratio": 1},
    "opentelemetry": {"sampler": {"name": "always_on"}},
    "consumer-restriction": {"whitelist": ["jack"]},
    "referer-restriction": {"whitelist": ["*.example.test"]},
    "uri-blocker": {"block_rules": ["root.exe", "root.m+"]},
    "request-validation": {"body_schema": {"type": "object", "required": ["a"]}},
    "fault-injection": {"abort": {"http_status": 403, "body": "no"}},
    "mocking": {"response_example": "{\"a\":1}"},
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_configs_are_stored_as_sent(client: httpx.Client, name: str) -> None:
    response = put_route(client, {name: VALID[name]})
    assert response.status_code == 201, response.text
    assert client.get("/routes/1").json()["value"]["plugins"][name] == VALID[name]  # 3.14+: no defaults stored


@pytest.mark.parametrize(("name", "conf", "reason"), [
    # t/plugin/api-breaker.t "bad break_response_code"
    ("api-breaker", {"break_response_code": 199}, 'property "break_response_code" validation failed: '
                                                  "expected 199 to be at least 200"),
    ("api-breaker", {}, 'property "break_response_code" is required'),
    ("zipkin", {"endpoint": "http://x"}, 'property "sample_ratio" is required'),
    ("uri-blocker", {}, 'property "block_rules" is required'),
    ("http-logger", {"batch_max_size": 1}, 'property "uri" is required'),
    ("redirect", {"ret_code": 301}, "value should match only one schema, but matches none"),
    ("referer-restriction", {"whitelist": ["a.com"], "blacklist": ["b.com"]},
     "value should match only one schema, but matches both schemas 1 and 2"),
    ("consumer-restriction", {"type": "consumer_name"}, "object matches none of the required"),
    ("request-validation", {"rejected_code": 400}, "object matches none of the required"),
    ("mocking", {"delay": 1}, "object matches none of the required"),
    ("fault-injection", {}, "expect object to have at least 1 properties"),
    ("real-ip", {}, 'property "source" is required'),
    ("response-rewrite", {"body": "a", "filters": [{"regex": "a", "replace": "b"}]},
     "failed to validate dependent schema for \"body\": value wasn't supposed to match schema"),
])
def test_schema_errors(client: httpx.Client, name: str, conf: dict[str, Any], reason: str) -> None:
    assert error(put_route(client, {name: conf})).startswith(f"{PREFIX} {name} err: {reason}")


@pytest.mark.parametrize(("name", "conf", "reason"), [
    # redirect.lua _M.check_schema; t/plugin/redirect.t "enable http_to_https with append_query_string"
    ("redirect", {"http_to_https": True, "append_query_string": True},
     "only one of `http_to_https` and `append_query_string` can be configured."),
    # mocking.lua _M.check_schema (support_content_type)
    ("mocking", {"response_example": "x", "content_type": "image/png"}, "unsupported content type!"),
    # response-rewrite.lua _M.check_schema; t/plugin/response-rewrite.t "invalid base64 content"
    ("response-rewrite", {"body": "not base64!", "body_base64": True}, "invalid base64 content"),
    # file-logger.lua get_configured_path
    ("file-logger", {}, 'property "path" is not set in either the plugin conf or the metadata'),
])
def test_check_schema_only_errors(client: httpx.Client, name: str, conf: dict[str, Any], reason: str) -> None:
    assert error(put_route(client, {name: conf})) == f"{PREFIX} {name} err: {reason}"
    answer = client.post("/configs/validate", json={"routes": [{"id": "r", "uri": "/a", "plugins": {name: conf}}]})
    assert answer.json()["errors"][0]["error"] == f"{PREFIX} {name} err: {reason}"


def test_file_logger_path_from_metadata(client: httpx.Client) -> None:
    """file-logger.lua ``get_configured_path`` falls back to ``plugin_metadata/file-logger`` ``path``."""
    assert client.put("/plugin_metadata/file-logger", json={"path": "logs/meta.log"}).status_code == 201
    assert put_route(client, {"file-logger": {}}).status_code == 201


def test_hmac_auth_consumer_secret_is_encrypted_and_unique(client: httpx.Client) -> None:
    """hmac-auth.lua ``consumer_schema`` (``encrypt_fields = {"secret_key"}``) and the 3.18 duplicate
    check of ``apisix/consumer.lua`` (``["hmac-auth"] = "key_id"``)."""
    conf = {"key_id": "my-key", "secret_key": "my-secret-key"}
    written = client.put("/consumers", json={"username": "jack", "plugins": {"hmac-auth": conf}})
    assert written.status_code == 201
    assert written.json()["value"]["plugins"]["hmac-auth"]["secret_key"] != "my-secret-key"
    assert client.get("/consumers/jack").json()["value"]["plugins"]["hmac-auth"] == conf
    dup = client.put("/consumers", json={"username": "jill", "plugins": {"hmac-auth": conf}})
    assert error(dup) == "duplicate key_id of plugin hmac-auth found with consumer: jack"
    missing = client.put("/consumers", json={"username": "joe", "plugins": {"hmac-auth": {"key_id": "k"}}})
    assert error(missing).endswith('property "secret_key" is required')
    cred = client.put("/consumers/jack/credentials/c1", json={"plugins": {"hmac-auth": {"key_id": "other",
                                                                                        "secret_key": "s"}}})
    assert cred.status_code == 201  # an auth plugin (``type = 'auth'``)


def test_http_logger_schema_and_metadata_are_wrapped(client: httpx.Client) -> None:
    """``batch-processor-manager.lua`` ``wrap_schema`` names the batch after the plugin, and
    ``wrap_metadata_schema`` adds ``max_pending_entries``."""
    schema = client.get("/schema/plugins/http-logger").json()
    assert schema["properties"]["name"]["default"] == "http-logger"
    assert schema["properties"]["batch_max_size"]["default"] == 1000
    assert schema["encrypt_fields"] == ["auth_header"]
    meta = client.get("/plugins/http-logger", params={"schema_type": "metadata"}).json()
    assert meta["properties"]["max_pending_entries"]["default"] == 8192
    bad = client.put("/plugin_metadata/http-logger", json={"max_pending_entries": 0})
    assert error(bad).startswith('invalid configuration: property "max_pending_entries" validation failed')


def test_traffic_split_upstream_blocks_delete(client: httpx.Client) -> None:
    """upstreams.lua ``delete_checker``: a traffic-split ``upstream_id`` in a route, service,
    plugin_config, consumer, consumer_group or global rule keeps the upstream."""
    client.put("/upstreams/u1", json={"nodes": {"127.0.0.1:1980": 1}})
    split = {"traffic-split": {"rules": [{"weighted_upstreams": [{"upstream_id": "u1", "weight": 1}]}]}}
    assert client.put("/global_rules/g1", json={"plugins": split}).status_code == 201
    assert error(client.delete("/upstreams/u1")) == \
        "can not delete this upstream, plugin in global_rules [g1] is still using it now"
    assert client.delete("/global_rules/g1").status_code == 200
    assert put_route(client, split, rid="r9").status_code == 201
    assert error(client.delete("/upstreams/u1")) == "can not delete this upstream, plugin in route [r9] is still using it now"
    assert client.delete("/upstreams/u1", params={"force": "true"}).status_code == 200


def test_opentelemetry_is_off_by_default() -> None:
    """3.18's default ``plugins`` list (``apisix/cli/config.lua``) has ``opentelemetry`` commented out."""
    with ServerThread(ApisixEmulator().server()) as thread:
        response = httpx.put(thread.servers[0].url + "/apisix/admin/routes/1", headers={"X-API-KEY": ADMIN},
                             json={"uri": "/a", "plugins": {"opentelemetry": {}}})
    assert response.json() == {"error_msg": "unknown plugin [opentelemetry]"}


def test_3_13_stores_only_the_defaults_it_knew() -> None:
    """In 3.13 (defaults stored, spec §5.2) response-rewrite had no ``max_resp_body_size`` (3.18),
    hmac-auth no ``signed_headers`` default (3.17), and file-logger required ``path`` (until 3.15):
    ``apisix/plugins/{response-rewrite,hmac-auth,file-logger}.lua`` at 3.13.0."""
    with ServerThread(ApisixEmulator("3.13.0").server()) as thread, httpx.Client(
            base_url=thread.servers[0].url + "/apisix/admin", headers={"X-API-KEY": ADMIN}) as c:
        assert put_route(c, {"response-rewrite": {"body": "hi"}, "hmac-auth": {}}).status_code == 201
        stored = c.get("/routes/1").json()["value"]["plugins"]
        assert stored["response-rewrite"] == {"body": "hi", "body_base64": False}
        assert "signed_headers" not in stored["hmac-auth"] and stored["hmac-auth"]["clock_skew"] == 300
        assert error(put_route(c, {"file-logger": {}}, rid="2")) == \
            f'{PREFIX} file-logger err: property "path" is required'


def test_transcribed_plugins_agree_with_the_catalogue() -> None:
    """A transcribed plugin repeats its priority, version and auth flag; they must be the catalogue's
    (both from ``_M.priority``/``_M.version``/``_M.type`` of ``apisix/plugins/<name>.lua`` 3.18.0)."""
    registry = PluginRegistry()
    for name in PLUGIN_NAMES:
        plugin = registry.module(name)
        assert plugin is not None and not plugin.permissive, name
        assert (plugin.priority, plugin.version, plugin.auth) == MODULES[name], name
