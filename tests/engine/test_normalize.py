"""Unit tests of normalisation on plain dicts: the drift rules that keep a re-plan empty."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.plan import normalize
from reconciler.plan.diff import diff
from reconciler.plan.normalize import apisix_live_view, canonical, hydra_view, secretize
from reconciler.secrets import Secret
from reconciler.state.kinds import Kind


def apisix_compare(kind: Kind, key: str, desired: dict[str, Any], live: dict[str, Any],
                   schemas: normalize.Schemas) -> dict[str, Any]:
    """The comparable live view (``normalize.apisix_compare`` may also say whether it is equal)."""
    out = normalize.apisix_compare(kind, key, desired, live, schemas)
    compared: dict[str, Any] = out[0] if isinstance(out, tuple) else out
    return compared


CSRF_SCHEMA = {"type": "object", "properties": {"key": {"type": "string"},
                                                 "expires": {"type": "integer", "default": 7200},
                                                 "name": {"type": "string", "default": "apisix-csrf-token"}}}


@pytest.mark.parametrize(("desired", "live"), [
    ({"redirect_uris": []}, {"redirect_uris": None}),
    ({}, {"contacts": None, "audience": [], "client_uri": "", "skip_consent": False}),
    ({"scope": "openid offline"}, {"scope": "offline openid"}),
    ({}, {"scope": "offline_access offline openid"}),
    ({"token_endpoint_auth_method": "client_secret_basic"}, {}),
    ({"client_credentials_grant_access_token_lifespan": "1h"},
     {"client_credentials_grant_access_token_lifespan": "1h0m0s"}),
    ({"allowed_cors_origins": ["https://a.example/"]}, {"allowed_cors_origins": ["https://a.example"]}),
    ({"grant_types": ["b", "a"]}, {"grant_types": ["a", "b"], "created_at": "x", "updated_at": "y"}),
    ({"access_token_strategy": "JWT"}, {"access_token_strategy": "jwt"}),
])
def test_hydra_equivalent_forms_compare_equal(desired: dict[str, object], live: dict[str, object]) -> None:
    assert canonical(hydra_view(desired)) == canonical(hydra_view(live))


def test_hydra_our_metadata_entry_is_not_user_metadata() -> None:
    live = {"metadata": {"team": "a", "reconcile": {"labels": {"managed-by": "reconcile"}, "secret": "pbkdf2..."}}}
    assert hydra_view(live)["metadata"] == {"team": "a"}


def test_hydra_real_difference_remains() -> None:
    changes = diff(hydra_view({"redirect_uris": ["https://x/cb"]}), hydra_view({"redirect_uris": ["https://y/cb"]}))
    assert [(c.path, c.old, c.new) for c in changes] == [("redirect_uris[0]", "https://x/cb", "https://y/cb")]


def test_apisix_stored_defaults_are_ignored_only_when_undeclared() -> None:
    schemas = {("csrf", "main"): CSRF_SCHEMA}
    desired = {"plugins": {"csrf": {"key": Secret("k" * 16)}}, "labels": {"managed-by": "reconcile"}}
    live = apisix_live_view(Kind.ROUTE, "r", {"id": "r", "create_time": 1, "update_time": 2, "priority": 0,
                                              "status": 1, "labels": {"managed-by": "reconcile"},
                                              "plugins": {"csrf": {"key": "k" * 16, "expires": 7200,
                                                                   "name": "apisix-csrf-token"}}})
    assert canonical(apisix_compare(Kind.ROUTE, "r", desired, live, schemas)) == canonical(desired)
    live["plugins"]["csrf"]["expires"] = 60  # not the default: real drift
    compared = apisix_compare(Kind.ROUTE, "r", desired, live, schemas)
    assert [(c.path, c.old) for c in diff(compared, desired)] == [("plugins.csrf.expires", 60)]


def test_apisix_generated_session_and_jwt_secrets_never_drift() -> None:
    desired = {"plugins": {"openid-connect": {"client_id": "c", "bearer_only": False}}}
    live = {"plugins": {"openid-connect": {"client_id": "c", "bearer_only": False,
                                           "session": {"secret": "random-44-characters-of-base64-xxxxxxxxxxxxx"}}}}
    assert canonical(apisix_compare(Kind.ROUTE, "r", desired, live, {})) == canonical(desired)
    consumer = {"plugins": {"jwt-auth": {"key": "carol"}}}
    live_consumer = {"plugins": {"jwt-auth": {"key": "carol", "secret": "generated"}}}
    assert canonical(apisix_compare(Kind.CONSUMER, "carol", consumer, live_consumer, {})) == canonical(consumer)


def test_declared_session_secret_is_compared_by_value() -> None:
    desired = {"plugins": {"openid-connect": {"session": {"secret": Secret("a" * 16)}}}}
    live = {"plugins": {"openid-connect": {"session": {"secret": "b" * 16}}}}
    compared = apisix_compare(Kind.ROUTE, "r", desired, live, {})
    changes = diff(compared, desired)
    assert [c.path for c in changes] == ["plugins.openid-connect.session.secret"]
    assert isinstance(changes[0].old, Secret) and isinstance(changes[0].new, Secret)


def test_secretize_wraps_known_secret_positions() -> None:
    live = {"plugins": {"key-auth": {"key": "k", "header": "apikey"}, "basic-auth": {"password": "p"}},
            "key": "not-a-plugin-key"}
    out = secretize(live, None)
    assert isinstance(out["plugins"]["key-auth"]["key"], Secret)
    assert isinstance(out["plugins"]["basic-auth"]["password"], Secret)
    assert out["plugins"]["key-auth"]["header"] == "apikey" and out["key"] == "not-a-plugin-key"


def test_canonical_compares_secrets_by_value_without_showing_them() -> None:
    assert canonical({"k": Secret("x")}) == canonical({"k": Secret("x")})
    assert canonical({"k": Secret("x")}) != canonical({"k": Secret("y")})
    assert "x" not in repr(Secret("x")) and "x" not in str(Secret("x"))


def test_whole_number_floats_equal_integers_as_apisix_returns_them() -> None:
    # Lua cjson gives back a 2.0 it was sent as 2: declaring 2.0 must not be drift forever.
    desired = {"timeout": {"connect": 2.0, "send": 1.5, "read": 30.0}, "retries": 2}
    live = {"timeout": {"connect": 2, "send": 1.5, "read": 30}, "retries": 2}
    assert canonical(desired) == canonical(live)
    assert canonical({"send": 1.5}) != canonical({"send": 1})
    assert [c.path for c in diff({**live, "retries": 1}, desired)] == ["retries"]
