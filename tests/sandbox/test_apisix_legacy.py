"""APISIX emulator in legacy (<= 3.13) mode: stored defaults and invented secrets (spec §5)."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.http import ServerThread

ADMIN = "edd1c9f034335f136f87ad84b625c8f1"
ROUTE = {"id": 1, "methods": ["GET"], "upstream": {"nodes": {"127.0.0.1:8080": 1}, "type": "roundrobin"},
         "uri": "/index.html"}
OIDC = {"client_id": "a", "client_secret": "b", "discovery": "http://x/.well-known/openid-configuration"}
OIDC_DEFAULTS = {
    "accept_none_alg": False, "accept_unsupported_alg": True, "access_token_expires_leeway": 0,
    "access_token_in_authorization_header": False, "bearer_only": False, "client_jwt_assertion_expires_in": 60,
    "force_reauthorize": False, "iat_slack": 120, "introspection_endpoint_auth_method": "client_secret_basic",
    "introspection_interval": 0, "jwk_expires_in": 86400, "jwt_verification_cache_ignore": False,
    "logout_path": "/logout", "realm": "apisix", "renew_access_token_on_expiry": True,
    "revoke_tokens_on_logout": False, "scope": "openid", "set_access_token_header": True,
    "set_id_token_header": True, "set_refresh_token_header": False, "set_userinfo_header": True,
    "ssl_verify": False, "timeout": 3, "token_endpoint_auth_method": "client_secret_basic",
    "unauth_action": "auth", "use_nonce": False, "use_pkce": False,
}


def serve(version: str) -> Iterator[httpx.Client]:
    with ServerThread(ApisixEmulator(version).server()) as thread, httpx.Client(
            base_url=thread.servers[0].url + "/apisix/admin", headers={"X-API-KEY": ADMIN}) as c:
        yield c


@pytest.fixture
def legacy() -> Iterator[httpx.Client]:
    yield from serve("3.13.0")


@pytest.fixture
def current() -> Iterator[httpx.Client]:
    yield from serve("3.18.0")


def strip_times(value: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in value.items() if k not in ("create_time", "update_time")}


def test_legacy_flag() -> None:
    assert ApisixEmulator("3.13.0").legacy
    assert not ApisixEmulator("3.14.0").legacy
    assert not ApisixEmulator().legacy


def test_route_example_318(current: httpx.Client) -> None:
    current.put("/routes", json=ROUTE)
    assert strip_times(current.get("/routes/1").json()["value"]) == ROUTE


def test_route_example_legacy(legacy: httpx.Client) -> None:
    legacy.put("/routes", json=ROUTE)
    assert strip_times(legacy.get("/routes/1").json()["value"]) == {
        "id": 1, "methods": ["GET"], "priority": 0, "status": 1,
        "upstream": {"hash_on": "vars", "nodes": {"127.0.0.1:8080": 1}, "pass_host": "pass", "scheme": "http",
                     "type": "roundrobin"}, "uri": "/index.html"}


def test_global_rule_example(current: httpx.Client, legacy: httpx.Client) -> None:
    body = {"plugins": {"proxy-rewrite": {"uri": "/"}}}
    current.put("/global_rules/1", json=body)
    assert strip_times(current.get("/global_rules/1").json()["value"]) == {"id": "1", **body}
    legacy.put("/global_rules/1", json=body)
    assert strip_times(legacy.get("/global_rules/1").json()["value"]) == {
        "id": "1", "plugins": {"proxy-rewrite": {"uri": "/", "use_real_request_uri_unsafe": False}}}


def test_nested_defaults_only_when_parent_present(legacy: httpx.Client) -> None:
    legacy.put("/upstreams/1", json={"nodes": [{"host": "a.com", "weight": 1}], "keepalive_pool": {},
                                     "checks": {"active": {"healthy": {}}}})
    value = legacy.get("/upstreams/1").json()["value"]
    assert value["nodes"] == [{"host": "a.com", "weight": 1, "priority": 0}]
    assert value["keepalive_pool"] == {"size": 320, "idle_timeout": 60, "requests": 1000}
    active = value["checks"]["active"]
    assert active["healthy"] == {"interval": 1, "http_statuses": [200, 302], "successes": 2}
    assert "unhealthy" not in active and "http_method" not in active
    assert (active["type"], active["timeout"], active["concurrency"], active["http_path"]) == ("http", 1, 10, "/")
    assert "tls" not in value


def test_openid_connect_defaults_and_random_session_secret(legacy: httpx.Client) -> None:
    assert legacy.put("/routes/1", json={"uri": "/a", "plugins": {"openid-connect": OIDC}}).status_code == 201
    conf = legacy.get("/routes/1").json()["value"]["plugins"]["openid-connect"]
    secret = conf.pop("session")["secret"]
    assert conf == {**OIDC, **OIDC_DEFAULTS}
    assert len(secret) == 44 and len(base64.b64decode(secret)) == 32
    legacy.put("/routes/1", json={"uri": "/a", "plugins": {"openid-connect": OIDC}})
    again = legacy.get("/routes/1").json()["value"]["plugins"]["openid-connect"]["session"]["secret"]
    assert again != secret


def test_openid_connect_explicit_session_kept(legacy: httpx.Client) -> None:
    conf = {**OIDC, "session": {"secret": "0123456789abcdef0123"}}
    legacy.put("/routes/1", json={"uri": "/a", "plugins": {"openid-connect": conf}})
    got = legacy.get("/routes/1").json()["value"]["plugins"]["openid-connect"]
    assert got["session"] == {"secret": "0123456789abcdef0123"}


def test_openid_connect_current_stores_nothing_extra(current: httpx.Client) -> None:
    conf = {**OIDC, "bearer_only": True}
    current.put("/routes/1", json={"uri": "/a", "plugins": {"openid-connect": conf}})
    assert current.get("/routes/1").json()["value"]["plugins"]["openid-connect"] == conf


def test_jwt_auth_secret_invented_in_legacy(legacy: httpx.Client) -> None:
    legacy.put("/consumers", json={"username": "a", "plugins": {"jwt-auth": {"key": "k"}}})
    conf = legacy.get("/consumers/a").json()["value"]["plugins"]["jwt-auth"]
    assert len(base64.b64decode(conf["secret"])) == 32
    assert (conf["algorithm"], conf["exp"], conf["base64_secret"]) == ("HS256", 86400, False)
    legacy.put("/consumers", json={"username": "b", "plugins": {"jwt-auth": {
        "key": "k2", "algorithm": "RS256", "public_key": "pk"}}})
    assert "secret" not in legacy.get("/consumers/b").json()["value"]["plugins"]["jwt-auth"]


def test_limit_count_legacy_message_and_defaults(legacy: httpx.Client) -> None:
    response = legacy.put("/routes/1", json={"uri": "/a", "plugins": {"limit-count": {}}})
    assert response.json() == {"error_msg": 'failed to check the configuration of plugin limit-count err: '
                                            'property "count" is required'}
    legacy.put("/routes/1", json={"uri": "/a", "plugins": {"limit-count": {"count": 1, "time_window": 60}}})
    conf = legacy.get("/routes/1").json()["value"]["plugins"]["limit-count"]
    assert conf == {"count": 1, "time_window": 60, "key": "remote_addr", "key_type": "var", "rejected_code": 503,
                    "policy": "local", "allow_degradation": False, "show_limit_quota_header": True}


def test_redis_defaults_only_under_redis_policy(legacy: httpx.Client) -> None:
    conf = {"count": 1, "time_window": 60, "policy": "redis", "redis_host": "127.0.0.1"}
    legacy.put("/routes/1", json={"uri": "/a", "plugins": {"limit-count": conf}})
    got = legacy.get("/routes/1").json()["value"]["plugins"]["limit-count"]
    assert (got["redis_port"], got["redis_database"], got["redis_timeout"]) == (6379, 0, 1000)
    assert (got["redis_ssl"], got["redis_ssl_verify"]) == (False, False)


def test_key_auth_route_defaults_legacy(legacy: httpx.Client) -> None:
    legacy.put("/routes/1", json={"uri": "/a", "plugins": {"key-auth": {}}})
    conf = legacy.get("/routes/1").json()["value"]["plugins"]["key-auth"]
    assert conf == {"header": "apikey", "query": "apikey", "hide_credentials": False}


def test_legacy_patch_fills_defaults(legacy: httpx.Client) -> None:
    legacy.put("/upstreams/1", json={"nodes": {"a:1": 1}})
    legacy.patch("/upstreams/1", json={"keepalive_pool": {"size": 10}})
    value = legacy.get("/upstreams/1").json()["value"]
    assert value["keepalive_pool"] == {"size": 10, "idle_timeout": 60, "requests": 1000}


def test_legacy_allows_plugin_in_two_global_rules(legacy: httpx.Client) -> None:
    body = {"plugins": {"prometheus": {}}}
    assert legacy.put("/global_rules/1", json=body).status_code == 201
    assert legacy.put("/global_rules/2", json=body).status_code == 201


def test_jwt_auth_message_between_314_and_317() -> None:
    for client in serve("3.16.0"):
        response = client.put("/consumers", json={"username": "a", "plugins": {"jwt-auth": {"key": "k"}}})
        assert response.json()["error_msg"].endswith(
            'property "secret" is required when "algorithm" is "HS256" or "HS512"')


@pytest.mark.parametrize(("version", "ssl_verify", "realm", "session_encrypted"), [
    ("3.13.0", False, False, False), ("3.15.0", False, True, False), ("3.16.0", True, True, False),
    ("3.17.0", True, True, True), ("3.18.0", True, True, True),
])
def test_version_specific_schemas(version: str, ssl_verify: bool, realm: bool, session_encrypted: bool) -> None:
    emu = ApisixEmulator(version)
    oidc = emu.plugin_schema("openid-connect")
    assert oidc is not None
    assert oidc["properties"]["ssl_verify"]["default"] is ssl_verify
    assert ("session.secret" in oidc["encrypt_fields"]) is session_encrypted
    key_auth = emu.plugin_schema("key-auth")
    assert key_auth is not None and ("realm" in key_auth["properties"]) is realm
