"""The pure part of verify: which checks run, with what, from plain desired and live data."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.plan.checks import What, plan_checks, route_host, route_path, scope_allowed
from reconciler.secrets import Secret
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState

OIDC = {"client_id": "web", "client_secret": "held-by-apisix", "discovery": "http://h/.well-known/openid-configuration",
        "redirect_uri": "http://gw/callback", "scope": "openid offline", "bearer_only": False}


def state(**kinds: dict[str, dict[str, Any]]) -> ResolvedState:
    objects = {Kind(k): {key: DesiredObject(Kind(k), key, body, f"f.yaml:{i + 1}")
                         for i, (key, body) in enumerate(v.items())} for k, v in kinds.items()}
    return ResolvedState(objects=objects, systems=frozenset({"hydra", "apisix"}), hydra_issuer="http://h/")


def live(**kinds: dict[str, dict[str, Any]]) -> LiveState:
    objects = {Kind(k): {key: LiveObject(Kind(k), key, body) for key, body in v.items()} for k, v in kinds.items()}
    return LiveState(objects=objects, read=frozenset({Kind.OAUTH2_CLIENT, Kind.ROUTE, Kind.SERVICE}))


def test_clients_carry_their_secret_method_and_presence() -> None:
    desired = state(oauth2_client={"web": {"client_secret": Secret("s3cret"), "grant_types": ["authorization_code"]},
                                   "spa": {"token_endpoint_auth_method": "none"}})
    checks = plan_checks(desired, live(oauth2_client={"web": {}}), gateway=False)
    assert [(c.name, c.what) for c in checks] == [("oauth2_client.spa", What.CLIENT_SECRET),
                                                  ("oauth2_client.web", What.CLIENT_SECRET)]
    spa, web = checks
    assert spa.params["auth_method"] == "none" and spa.params["present"] is False
    assert web.params["secret"] == Secret("s3cret") and web.params["present"] is True
    assert web.source == "f.yaml:1"


def test_plugin_check_uses_what_apisix_returns_not_git() -> None:
    desired = state(route={"r1": {"uri": "/*", "plugins": {"openid-connect": {**OIDC, "client_secret": Secret("git")}}}})
    have = live(route={"r1": {"uri": "/*", "plugins": {"openid-connect": OIDC}}},
                oauth2_client={"web": {"redirect_uris": ["http://gw/callback"], "scope": "openid offline",
                                       "grant_types": ["authorization_code"]}})
    (check,) = plan_checks(desired, have, gateway=False)
    assert check.what is What.OIDC_PLUGIN
    assert check.params["secret"] == Secret("held-by-apisix")
    assert check.params["client"]["redirect_uris"] == ["http://gw/callback"]
    assert check.params["scopes"] == ["openid", "offline"]


def test_missing_live_object_is_still_checked_and_objects_without_oidc_are_not() -> None:
    desired = state(route={"r1": {"uri": "/a", "plugins": {"openid-connect": OIDC}}, "plain": {"uri": "/b"}},
                    service={"s1": {"plugins": {"openid-connect": OIDC}}})
    checks = plan_checks(desired, live(), gateway=False)
    assert [c.name for c in checks] == ["route.r1", "service.s1"]
    assert all(c.params == {"present": False, "has_plugin": False} for c in checks)


def test_gateway_checks_merge_service_plugins_and_find_keys() -> None:
    bearer = {**OIDC, "bearer_only": True}
    desired = state(route={"login": {"uri": "/app/*"}, "api": {"uris": ["/api"], "hosts": ["*.example.com"]},
                           "keyed": {"uri": "/k", "methods": ["POST"]}},
                    consumer={"alice": {"plugins": {"key-auth": {"key": Secret("alice-key")}}}})
    have = live(route={"login": {"uri": "/app/*", "service_id": "svc"},
                       "api": {"uris": ["/api"], "hosts": ["*.example.com"], "plugins": {"openid-connect": bearer}},
                       "keyed": {"uri": "/k", "methods": ["POST"], "plugins": {"key-auth": {"header": "x-key"}}}},
                service={"svc": {"plugins": {"openid-connect": OIDC}}})
    checks = {c.key: c for c in plan_checks(desired, have, gateway=True) if c.what is not What.OIDC_PLUGIN}
    assert checks["login"].what is What.LOGIN_FLOW and checks["login"].params["path"] == "/app/"
    assert checks["api"].what is What.BEARER_ONLY and checks["api"].params["host"] == "verify.example.com"
    assert checks["keyed"].what is What.KEY_AUTH and checks["keyed"].params["key"] == Secret("alice-key")
    assert checks["keyed"].params["header"] == "x-key" and checks["keyed"].params["methods"] == ["POST"]


def test_only_selects_one_object_and_names_the_choices() -> None:
    desired = state(oauth2_client={"a": {}, "b": {}})
    assert [c.name for c in plan_checks(desired, live(), gateway=False, only="oauth2_client.b")] == ["oauth2_client.b"]
    with pytest.raises(ValueError, match=r"--only route\.x: .*oauth2_client\.a, oauth2_client\.b"):
        plan_checks(desired, live(), gateway=False, only="route.x")


@pytest.mark.parametrize(("allowed", "scope", "ok"), [
    (["openid", "offline"], "offline", True), (["openid"], "offline", False),
    (["photos.*"], "photos.read", True), (["photos.*"], "photos", False), (["photos.*"], "photosx.read", False),
])
def test_scope_strategy_is_hydras_wildcard(allowed: list[str], scope: str, ok: bool) -> None:
    assert scope_allowed(allowed, scope) is ok


def test_route_paths_and_hosts() -> None:
    assert route_path({"uri": "/*"}) == "/"
    assert route_path({"uris": ["/exact", "/b/*"]}) == "/exact"
    assert route_path({}) is None
    assert route_host({"host": "a.example.com"}) == "a.example.com"
    assert route_host({}) is None
