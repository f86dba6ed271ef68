"""APISIX emulator: the ``/secrets/{manager}/{id}`` resource.

Sources: spec §1.1 (method matrix: no POST; ``invalid secret manager: X``; the stored id is
``"{manager}/{id}"``), spec §6 (a manager's token is stored and returned in plaintext), and
``apisix/admin/resource.lua`` and ``apisix/secret/{vault,aws,gcp}.lua`` at 3.18.0 (schemas,
``conf.id = typ .. "/" .. id``); ≤3.13 stores the defaults its validator fills (spec §5).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.apisix import ApisixEmulator
from tests.sandbox.admin_client import serve

VAULT = {"uri": "http://127.0.0.1:8200", "prefix": "kv/apisix", "token": "plain-token"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    yield from serve(ApisixEmulator())


def test_put_get_list_delete(client: httpx.Client) -> None:
    created = client.put("/secrets/vault/team-a", json=VAULT)
    assert created.status_code == 201
    assert created.json()["key"] == "/apisix/secrets/vault/team-a"
    value = client.get("/secrets/vault/team-a").json()["value"]
    assert value["id"] == "vault/team-a" and value["token"] == "plain-token"  # plaintext (§6)
    assert client.put("/secrets/vault/team-a", json=VAULT).status_code == 200
    listed = client.get("/secrets").json()
    assert listed["total"] == 1 and listed["list"][0]["value"]["id"] == "vault/team-a"
    assert client.delete("/secrets/vault/team-a").json() == {"deleted": "1", "key": "/apisix/secrets/vault/team-a"}
    assert client.get("/secrets/vault/team-a").status_code == 404


def test_errors(client: httpx.Client) -> None:
    assert client.put("/secrets/hashicorp/x", json=VAULT).json() == {"error_msg": "invalid secret manager: hashicorp"}
    missing = client.put("/secrets/vault/x", json={"uri": "http://v:8200", "prefix": "p"})
    assert missing.status_code == 400 and missing.json() == {"error_msg": 'invalid configuration: property "token" is required'}
    post = client.post("/secrets/vault", json=VAULT)
    assert post.status_code == 405 and post.json() == {"error_msg": "not supported `POST` method for secret"}
    wrong = client.put("/secrets/vault/x", json={**VAULT, "id": "vault/y"})
    assert wrong.json() == {"error_msg": "wrong secret id"}
    gcp = client.put("/secrets/gcp/x", json={"ssl_verify": True})
    assert gcp.status_code == 400 and "invalid configuration" in gcp.json()["error_msg"]


def test_unknown_keys_are_accepted_as_the_lua_schemas_allow(client: httpx.Client) -> None:
    assert client.put("/secrets/vault/x", json={**VAULT, "timeout": 3}).status_code == 201


@pytest.mark.parametrize(("version", "stored"), [("3.18.0", None), ("3.13.0", "us-east-1")])
def test_defaults_stored_only_by_legacy_versions(version: str, stored: str | None) -> None:
    for c in serve(ApisixEmulator(version)):
        assert c.put("/secrets/aws/x", json={"access_key_id": "a", "secret_access_key": "s"}).status_code == 201
        assert c.get("/secrets/aws/x").json()["value"].get("region") == stored


def test_configs_validate_checks_secret_managers_by_their_id() -> None:
    """``POST /configs/validate`` (3.17+, ``apisix/admin/config_validate.lua``): the manager comes
    from the item's id, and an id without ``/`` is ``invalid secret id``."""
    for c in serve(ApisixEmulator()):
        good = c.post("/configs/validate", json={"secrets": [{**VAULT, "id": "vault/a"}]})
        assert good.status_code == 200, good.text
        bad = c.post("/configs/validate", json={"secrets": [{**VAULT, "id": "vault"}]})
        assert bad.status_code == 400 and "invalid secret id: vault" in bad.text
