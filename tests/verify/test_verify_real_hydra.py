"""verify against real Ory Hydra v2.3.0 and the APISIX emulator, on the seed state.

First the token-endpoint answers verify relies on are pinned against the real binary (and the
Hydra emulator is held to the same table): fosite authenticates the client before it looks at
the grant (``access_request_handler.go``), so a wrong secret is 401 ``invalid_client`` whatever
the grant, and a right one without the client_credentials grant is 400 ``unauthorized_client``.
Then the issue's scenarios without a gateway: verify passes after apply, names the client after a
hand rotation at Hydra, names the route after a secret pasted into APISIX, and passes again
after apply; public clients are skipped and said; a discovery naming another issuer is a named
failure; an unreachable public URL is one error.  No secret shows in any output.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.runner import Sandbox
from tests.verify.seed import CLIENT, ROUTE, World

CALLBACK = "http://127.0.0.1:9080/callback"
CLIENTS = [
    {"client_id": "cc-basic", "client_secret": "right-secret", "grant_types": ["client_credentials"]},
    {"client_id": "code-basic", "client_secret": "right-secret", "grant_types": ["authorization_code"],
     "response_types": ["code"], "redirect_uris": [CALLBACK]},
    {"client_id": "code-post", "client_secret": "right-secret", "grant_types": ["authorization_code"],
     "response_types": ["code"], "redirect_uris": [CALLBACK], "token_endpoint_auth_method": "client_secret_post"},
]
#: (client, secret, auth method) -> (status, error) of POST /oauth2/token grant_type=client_credentials.
TOKEN_TABLE = [
    ("cc-basic", "right-secret", "basic", (200, "")),
    ("cc-basic", "wrong-secret", "basic", (401, "invalid_client")),
    ("code-basic", "right-secret", "basic", (400, "unauthorized_client")),
    ("code-basic", "wrong-secret", "basic", (401, "invalid_client")),
    ("code-basic", "right-secret", "post", (401, "invalid_client")),
    ("code-post", "right-secret", "post", (400, "unauthorized_client")),
    ("code-post", "wrong-secret", "post", (401, "invalid_client")),
    ("code-post", "right-secret", "basic", (401, "invalid_client")),
    ("nobody", "right-secret", "basic", (401, "invalid_client")),
]


def _token_answers(admin: str, public: str) -> list[tuple[int, str]]:
    for body in CLIENTS:
        httpx.post(f"{admin}/admin/clients", json=body).raise_for_status()
    found = []
    for client_id, secret, method, _ in TOKEN_TABLE:
        form = {"grant_type": "client_credentials"}
        if method == "post":
            response = httpx.post(f"{public}/oauth2/token", data={**form, "client_id": client_id,
                                                                  "client_secret": secret})
        else:
            response = httpx.post(f"{public}/oauth2/token", data=form, auth=(client_id, secret))
        found.append((response.status_code, response.json().get("error", "")))
    return found


@pytest.mark.real_hydra
def test_token_endpoint_answers_of_real_hydra(real_hydra: object) -> None:
    assert _token_answers(real_hydra.admin_url, real_hydra.public_url) == [row[3] for row in TOKEN_TABLE]  # type: ignore[attr-defined]


def test_hydra_emulator_answers_the_same(hydra_emulator_urls: object) -> None:
    admin, public = hydra_emulator_urls  # type: ignore[misc]
    assert _token_answers(admin, public) == [row[3] for row in TOKEN_TABLE]


@pytest.fixture
def world(tmp_path: Path, hydra_binary: Path) -> Iterator[World]:
    """The seed on a sandbox with real Hydra (the tests below use it, and so are real_hydra)."""
    with Sandbox(real_hydra=True) as box:
        yield World.make(box, tmp_path)


def _line(output: str, address: str) -> str:
    return next(line for line in output.splitlines() if address in line)


@pytest.mark.real_hydra
def test_done_means_without_gateway(world: World) -> None:
    assert world.run("apply", "--auto-approve").code == 0
    ok = world.run("verify")
    assert ok.code == 0, ok.output
    assert "Verify: 2 passed, 0 failed, 0 skipped." in ok.output
    assert re.search(r"ok oauth2_client\.facebook-photo-backup \[client_secret\] \(.*hydra-clients\.yaml:8\)",
                     ok.output)

    world.rotate_client_secret_by_hand("rotated-by-hand-77")
    rotated = world.run("verify")
    assert rotated.code == 1
    head = _line(rotated.output, f"oauth2_client.{CLIENT}")
    assert head.startswith("FAIL") and "hydra-clients.yaml:8" in head
    assert "step token: Hydra refused the client_secret in the desired state" in rotated.output
    assert "server answered: HTTP 401 invalid_client" in rotated.output

    # The hand rotation dropped our marker with the rest of metadata: apply takes the client back.
    assert world.run("apply", "--auto-approve", "--adopt").code == 0
    assert world.run("verify").code == 0

    world.paste_route_secret_by_hand("pasted-wrong-secret-3")
    pasted = world.run("verify", "--output", "json")
    assert pasted.code == 1
    doc = json.loads(pasted.output)
    by = {c["address"]: c for c in doc["checks"]}
    assert by[f"oauth2_client.{CLIENT}"]["status"] == "pass"
    failed = by[f"route.{ROUTE}"]
    assert (failed["status"], failed["step"]) == ("fail", "token")
    assert failed["source"].endswith("apisix-routes.yaml:15")
    assert "the client_secret APISIX holds" in failed["message"]
    assert failed["answer"].startswith("HTTP 401 invalid_client")

    assert world.run("apply", "--auto-approve", "--verify").code == 0
    assert world.leaks("rotated-by-hand-77", "pasted-wrong-secret-3") == []


@pytest.mark.real_hydra
def test_a_patched_secret_is_invisible_to_plan_but_not_to_verify(world: World) -> None:
    """A JSON patch of only the secret keeps our fingerprint in metadata: plan sees no change, and
    only verify can tell that the login is broken."""
    assert world.run("apply", "--auto-approve").code == 0
    world.patch_client_secret_by_hand("patched-by-hand-42")
    assert "No changes." in world.run("plan").output
    ran = world.run("verify", "--only", f"oauth2_client.{CLIENT}")
    assert ran.code == 1
    assert "step token: Hydra refused the client_secret in the desired state" in ran.output
    applied = world.run("apply", "--auto-approve", "--verify")
    assert applied.code == 1, "apply --verify exits 1 when verify fails, even with nothing to apply"
    assert "No changes." in applied.output and f"FAIL oauth2_client.{CLIENT} [client_secret]" in applied.output
    assert world.leaks("patched-by-hand-42") == []


@pytest.mark.real_hydra
def test_public_client_is_skipped_and_said(world: World) -> None:
    (world.desired / "spa.yaml").write_text(
        "hydra:\n  clients:\n    - client_id: spa\n      grant_types: [authorization_code]\n"
        "      response_types: [code]\n      scope: openid\n      token_endpoint_auth_method: none\n"
        f"      redirect_uris: [{CALLBACK}]\n")
    assert world.run("apply", "--auto-approve").code == 0
    ran = world.run("verify", "--only", "oauth2_client.spa")
    assert ran.code == 0
    assert "skip oauth2_client.spa [client_secret]" in ran.output
    assert "token_endpoint_auth_method is none: a public client has no secret to check" in ran.output


@pytest.mark.real_hydra
def test_discovery_naming_another_issuer_is_a_named_failure(world: World) -> None:
    for path in world.desired.glob("*.yaml"):
        path.write_text(path.read_text().replace(world.box.hydra_public_url, world.box.hydra_public_url.replace(
            "127.0.0.1", "localhost")))
    assert world.run("apply", "--auto-approve").code == 0
    ran = world.run("verify", "--only", f"route.{ROUTE}")
    assert ran.code == 1
    assert "step discovery: the discovery document http://localhost:" in ran.output
    assert f"names issuer '{world.box.hydra_public_url}/', but Hydra's issuer is 'http://localhost:" in ran.output


@pytest.mark.real_hydra
def test_missing_objects_say_apply(world: World) -> None:
    ran = world.run("verify")
    assert ran.code == 1
    assert f"step read: Hydra has no client '{CLIENT}' (run `reconcile apply`)" in ran.output
    assert f"step read: route {ROUTE} is not on APISIX (run `reconcile apply`)" in ran.output


@pytest.mark.real_hydra
def test_unreachable_public_url_is_one_clear_error(world: World) -> None:
    assert world.run("apply", "--auto-approve").code == 0
    ran = world.run("verify", "--hydra-public-url", "http://127.0.0.1:9")
    assert ran.code == 1
    assert ran.output.startswith("Error: the Hydra public URL http://127.0.0.1:9 does not answer: cannot connect")
    assert ran.output.count("\n") == 1
    gateway = world.run("verify", "--gateway-url", "http://127.0.0.1:9")
    assert gateway.code == 1
    assert gateway.output.startswith("Error: the gateway URL http://127.0.0.1:9 does not answer")
