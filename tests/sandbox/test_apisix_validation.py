"""APISIX emulator: schema errors, route and upstream rules, references and plugin checks (spec §4)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.http import ServerThread

ADMIN = "edd1c9f034335f136f87ad84b625c8f1"
UP = {"nodes": {"127.0.0.1:8080": 1}}
REQUIRED = ('invalid configuration: object matches none of the required: ["plugins","uri"] or '
            '["upstream","uri"] or ["upstream_id","uri"] or ["service_id","uri"] or ["plugins","uris"] or '
            '["upstream","uris"] or ["upstream_id","uris"] or ["service_id","uris"] or ["script","uri"] or '
            '["script","uris"]')


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with ServerThread(ApisixEmulator().server()) as thread, httpx.Client(
            base_url=thread.servers[0].url + "/apisix/admin", headers={"X-API-KEY": ADMIN}) as c:
        yield c


def error(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    message = response.json()["error_msg"]
    assert isinstance(message, str)
    return message


@pytest.mark.parametrize(("body", "message"), [
    ({"upstream": UP}, "invalid configuration: allOf 1 failed: value should match only one schema, "
                       "but matches none"),
    ({"uri": "/a", "uris": ["/b"], "upstream": UP},
     "invalid configuration: allOf 1 failed: value should match only one schema, but matches both schemas 1 and 2"),
    ({"uri": "/a"}, REQUIRED),
    ({"uri": "/a", "upstream": UP, "foo": 1}, "invalid configuration: additional properties forbidden, found foo"),
    ({"uri": "/a", "upstream": UP, "host": "a.com", "hosts": ["b.com"]}, "only one of host or hosts is allowed"),
    ({"uri": "/a", "upstream": UP, "remote_addr": "1.1.1.1", "remote_addrs": ["1.1.1.2"]},
     "only one of remote_addr or remote_addrs is allowed"),
    ({"uri": "/a", "upstream": UP, "methods": ["GET", "FOO"]},
     'invalid configuration: property "methods" validation failed: failed to validate item 2: '
     "matches none of the enum values"),
    ({"uri": "/a", "upstream": UP, "name": "x" * 257},
     'invalid configuration: property "name" validation failed: string too long, expected at most 256, got 257'),
    ({"uri": "/a", "upstream": UP, "labels": {"env": {"a": 1}}},
     'invalid configuration: property "labels" validation failed: failed to validate env (matching ".*"): '
     "wrong type: expected string, got table"),
    ({"uri": "/a", "upstream": UP, "labels": "x"},
     'invalid configuration: property "labels" validation failed: wrong type: expected object, got string'),
    ({"uri": "/a", "script": "local a = 1 return a", "plugins": {}},
     "invalid configuration: value wasn't supposed to match schema"),
])
def test_route_schema_messages(client: httpx.Client, body: dict[str, Any], message: str) -> None:
    assert error(client.put("/routes/1", json=body)) == message


def test_label_value_with_space_fails_pattern(client: httpx.Client) -> None:
    message = error(client.put("/routes/1", json={"uri": "/a", "upstream": UP, "labels": {"a": "b c"}}))
    assert "failed to match pattern" in message


def test_empty_plugins_satisfies_required(client: httpx.Client) -> None:
    assert client.put("/routes/1", json={"uri": "/a", "plugins": {}}).status_code == 201


def test_host_patterns(client: httpx.Client) -> None:
    assert client.put("/routes/1", json={"uri": "/a", "upstream": UP, "host": "*.foo.com"}).status_code == 201
    message = error(client.put("/routes/2", json={"uri": "/a", "upstream": UP, "host": "a.*.foo.com"}))
    assert message.startswith('invalid configuration: property "host" validation failed: failed to match pattern')


@pytest.mark.parametrize("nodes", [
    {"127.0.0.1:80": 1}, [{"host": "127.0.0.1", "port": 80, "weight": 1}], {}, [],
    [{"host": "a.com", "weight": 0}],
])
def test_upstream_node_forms_are_stored_as_sent(client: httpx.Client, nodes: Any) -> None:
    response = client.put("/upstreams/1", json={"nodes": nodes})
    assert response.status_code == 201
    assert client.get("/upstreams/1").json()["value"]["nodes"] == nodes


@pytest.mark.parametrize(("body", "message"), [
    ({"nodes": {"127.0.0.1:80": -1}},
     'invalid configuration: property "nodes" validation failed: object matches none of the required'),
    ({"nodes": {"127.0.0.1:70000": 1}}, "invalid port 70000"),
    ({"nodes": [{"host": "::1", "weight": 1}]},
     "invalid configuration: IPv6 address must be enclosed with '[' and ']'"),
    ({"nodes": [{"host": "::1"}]}, "invalid configuration: IPv6 address must be enclosed with '[' and ']'"),
    ({"nodes": UP["nodes"], "type": "chash"}, "missing key"),
    ({"nodes": UP["nodes"], "type": "chash", "hash_on": "header", "key": "a b"},
     'invalid configuration: failed to match pattern "^[a-zA-Z0-9-_]+$" with "a b"'),
    ({"nodes": UP["nodes"], "pass_host": "rewrite"}, "`upstream_host` can't be empty when `pass_host` is `rewrite`"),
    ({"nodes": UP["nodes"], "checks": {"passive": {}}},
     'invalid configuration: property "checks" validation failed: object matches none of the required: '
     '["active"] or ["active","passive"]'),
    ({"nodes": UP["nodes"], "tls": {"client_cert_id": "9"}},
     "failed to fetch ssl info by ssl id [9], response code: 404"),
    ({}, "invalid configuration: value should match only one schema, but matches none"),
])
def test_upstream_messages(client: httpx.Client, body: dict[str, Any], message: str) -> None:
    assert error(client.put("/upstreams/1", json=body)) == message


def test_chash_with_consumer_needs_no_key(client: httpx.Client) -> None:
    body = {"nodes": UP["nodes"], "type": "chash", "hash_on": "consumer"}
    assert client.put("/upstreams/1", json=body).status_code == 201
    assert client.put("/upstreams/2", json={**body, "hash_on": "vars", "key": "remote_addr"}).status_code == 201


def test_unknown_upstream_type_passes(client: httpx.Client) -> None:
    assert client.put("/upstreams/1", json={"nodes": UP["nodes"], "type": "unknown"}).status_code == 201


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/routes/1", {"uri": "/a", "upstream_id": "u9"}, "failed to fetch upstream info by upstream id [u9], response code: 404"),
    ("/routes/1", {"uri": "/a", "service_id": "s9"}, "failed to fetch service info by service id [s9], response code: 404"),
    ("/routes/1", {"uri": "/a", "plugins": {}, "plugin_config_id": "p9"},
     "failed to fetch plugin config info by plugin config id [p9], response code: 404"),
    ("/services/1", {"upstream_id": "u9"}, "failed to fetch upstream info by upstream id [u9], response code: 404"),
    ("/consumers", {"username": "jack", "group_id": "g9"},
     "failed to fetch consumer group info by consumer group id [g9], response code: 404"),
])
def test_reference_checks_on_write(client: httpx.Client, path: str, body: dict[str, Any], message: str) -> None:
    assert error(client.put(path, json=body)) == message


def test_reference_checks_on_delete_and_force(client: httpx.Client) -> None:
    client.put("/upstreams/u1", json={"nodes": {}})
    client.put("/services/s1", json={"upstream_id": "u1"})
    client.put("/routes/1", json={"uri": "/a", "service_id": "s1"})
    client.put("/plugin_configs/p1", json={"plugins": {}})
    client.put("/routes/2", json={"uri": "/b", "plugins": {}, "plugin_config_id": "p1"})
    client.put("/consumer_groups/g1", json={"plugins": {}})
    client.put("/consumers", json={"username": "foobar", "group_id": "g1"})
    assert error(client.delete("/upstreams/u1")) == "can not delete this upstream, service [s1] is still using it now"
    assert error(client.delete("/services/s1")) == "can not delete this service directly, route [1] is still using it now"
    assert error(client.delete("/plugin_configs/p1")) == "can not delete this plugin config, route [2] is still using it now"
    assert error(client.delete("/consumer_groups/g1")) == \
        "can not delete this consumer group, consumer [foobar] is still using it now"
    assert error(client.delete("/upstreams/u1", params={"force": "yes"})).startswith("can not delete")
    assert client.delete("/upstreams/u1", params={"force": "true"}).status_code == 200
    assert client.get("/upstreams/u1").status_code == 404


def test_route_reference_to_upstream_on_delete(client: httpx.Client) -> None:
    client.put("/upstreams/1", json={"nodes": {}})
    client.put("/routes/1", json={"uri": "/a", "upstream_id": 1})
    assert error(client.delete("/upstreams/1")) == "can not delete this upstream, route [1] is still using it now"


def test_unknown_plugin(client: httpx.Client) -> None:
    assert error(client.put("/routes/1", json={"uri": "/a", "plugins": {"foo": {}}})) == "unknown plugin [foo]"
    message = error(client.put("/consumers", json={"username": "a", "plugins": {"foo": {}}}))
    assert message == "invalid plugins configuration: unknown plugin [foo]"


def test_not_enabled_plugin_is_unknown() -> None:
    emu = ApisixEmulator(plugins=["key-auth"])
    with ServerThread(emu.server()) as thread:
        response = httpx.put(thread.servers[0].url + "/apisix/admin/routes/1", headers={"X-API-KEY": ADMIN},
                             json={"uri": "/a", "plugins": {"cors": {}}})
    assert response.json() == {"error_msg": "unknown plugin [cors]"}


def test_plugin_conf_must_be_object(client: httpx.Client) -> None:
    message = error(client.put("/routes/1", json={"uri": "/a", "plugins": {"key-auth": "abc"}}))
    assert message == 'invalid plugin conf "abc" for plugin [key-auth]'


@pytest.mark.parametrize(("plugin", "conf", "err"), [
    ("limit-count", {}, "value should match only one schema, but matches none"),
    ("limit-count", {"count": 0, "time_window": 60},
     'property "count" validation failed: value should match only one schema, but matches none'),
    ("limit-req", {"rate": 1, "burst": 1}, 'property "key" is required'),
    ("limit-conn", {"conn": 1, "burst": 0, "default_conn_delay": 0.1}, "value should match only one schema, "
                                                                      "but matches none"),
    ("csrf", {}, 'property "key" is required'),
    ("ip-restriction", {}, "value should match only one schema, but matches none"),
    ("ip-restriction", {"whitelist": ["1.2.3.4/40"]}, 'property "whitelist" validation failed: failed to '
                                                      "validate item 1: object matches none of the required"),
    ("proxy-rewrite", {}, "expect object to have at least 1 properties"),
    ("proxy-rewrite", {"uri": "x"}, 'property "uri" validation failed: failed to match pattern "^\\\\/.*" with "x"'),
    ("request-id", {"algorithm": "x"}, 'property "algorithm" validation failed: matches none of the enum values'),
    ("prometheus", {"prefer_name": 1}, 'property "prefer_name" validation failed: wrong type: expected boolean, '
                                       "got number"),
    ("cors", {"max_age": "5"}, 'property "max_age" validation failed: wrong type: expected integer, got string'),
    ("key-auth", {"_meta": {"foo": 1}}, 'property "_meta" validation failed: additional properties forbidden, '
                                        "found foo"),
    ("openid-connect", {"client_id": "a", "client_secret": "b", "discovery": "http://x"},
     'property "session.secret" is required when "bearer_only" is false'),
    ("openid-connect", {"client_id": "a", "discovery": "http://x", "bearer_only": True},
     'property "client_secret" is required'),
    ("openid-connect", {"client_id": "a", "client_secret": "b", "discovery": "http://x", "bearer_only": True,
                        "use_par": True}, 'property "use_par" is not allowed, use "par.enabled" instead'),
])
def test_plugin_check_messages(client: httpx.Client, plugin: str, conf: dict[str, Any], err: str) -> None:
    message = error(client.put("/routes/1", json={"uri": "/a", "plugins": {plugin: conf}}))
    assert message == f"failed to check the configuration of plugin {plugin} err: {err}"


@pytest.mark.parametrize(("plugin", "conf"), [
    ("limit-count", {"count": 1, "time_window": 60}),
    ("limit-count", {"rules": [{"count": 1, "time_window": 1, "key": "a"}]}),
    ("limit-req", {"rate": 1, "burst": 0, "key": "remote_addr"}),
    ("limit-conn", {"conn": 1, "burst": 0, "default_conn_delay": 0.1, "key": "remote_addr"}),
    ("csrf", {"key": "k"}),
    ("ip-restriction", {"whitelist": ["10.0.0.0/8", "::1"]}),
    ("proxy-rewrite", {"uri": "/x", "headers": {"set": {"X-A": "1"}}}),
    ("cors", {"allow_origins": "http://a.com"}),
    ("prometheus", {}),
    ("request-id", {}),
    ("openid-connect", {"client_id": "a", "client_secret": "b", "discovery": "http://x", "bearer_only": True}),
    ("openid-connect", {"client_id": "a", "client_secret": "b", "discovery": "http://x",
                        "session": {"secret": "0123456789abcdef"}}),
    ("key-auth", {"_meta": {"disable": True}}),
])
def test_valid_plugin_configs_are_stored_as_sent(client: httpx.Client, plugin: str, conf: dict[str, Any]) -> None:
    response = client.put("/routes/1", json={"uri": "/a", "plugins": {plugin: conf}})
    assert response.status_code == 201, response.text
    assert client.get("/routes/1").json()["value"]["plugins"][plugin] == conf


def test_disabled_plugin_may_fail_its_schema(client: httpx.Client) -> None:
    body = {"uri": "/a", "plugins": {"limit-count": {"_meta": {"disable": True}}}}
    assert client.put("/routes/1", json=body).status_code == 201


def test_global_rule_schema_and_one_plugin_per_rule(client: httpx.Client) -> None:
    assert error(client.put("/global_rules/1", json={})) == 'invalid configuration: property "plugins" is required'
    assert error(client.put("/global_rules/1", json={"plugins": {}, "name": "x"})) == \
        "invalid configuration: additional properties forbidden, found name"
    limit = {"limit-count": {"count": 1, "time_window": 60}}
    assert client.put("/global_rules/1", json={"plugins": limit}).status_code == 201
    assert error(client.put("/global_rules/2", json={"plugins": limit})) == \
        "plugin 'limit-count' already exists in global rule with id '1'"
    assert client.put("/global_rules/1", json={"plugins": limit}).status_code == 200


def test_plugin_config_and_consumer_group_need_plugins(client: httpx.Client) -> None:
    for path in ("/plugin_configs/1", "/consumer_groups/1"):
        assert error(client.put(path, json={"name": "x"})) == 'invalid configuration: property "plugins" is required'


def test_consumer_rules(client: httpx.Client) -> None:
    assert error(client.put("/consumers", json={})) == 'invalid configuration: property "username" is required'
    assert error(client.put("/consumers/jack", json={"username": "jill"})) == "wrong username"
    message = error(client.put("/consumers", json={"username": "a", "plugins": {"key-auth": {}}}))
    assert message == ('invalid plugins configuration: failed to check the configuration of plugin key-auth err: '
                       'property "key" is required')
    response = client.put("/consumers/jack", json={"username": "jack"})
    assert response.status_code == 201
    assert response.json()["key"] == "/apisix/consumers/jack"
    assert "id" not in client.get("/consumers/jack").json()["value"]


def test_jwt_auth_consumer_needs_secret_for_hs(client: httpx.Client) -> None:
    message = error(client.put("/consumers", json={"username": "a", "plugins": {"jwt-auth": {"key": "k"}}}))
    assert message.endswith('property "secret" is required when using HS based algorithms')


def test_ssl_schema_then_clause(client: httpx.Client) -> None:
    assert error(client.put("/ssls/1", json={"sni": "a.com"})) == "invalid configuration: then clause did not match"


def test_body_too_large(client: httpx.Client) -> None:
    body = b'{"uri":"/a","desc":"' + b"x" * 1572864 + b'"}'
    message = error(client.put("/routes/1", content=body))
    assert message == (f"invalid request body: request size {len(body)} is greater than the maximum size "
                       "1572864 allowed")
