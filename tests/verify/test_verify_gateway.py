"""The issue's "Done means", on the seed state in the sandbox with its gateway, against the Hydra
emulator and against real Hydra v2.3.0:

* verify (with ``--gateway-url``) exits 0;
* after a wrong secret is pasted into the route by hand, it exits 1 and names the route;
* after a hand rotation of the Hydra client's secret, plain verify exits 1 and names the client;
* after apply, it exits 0 again.

The seed's upstream (``127.0.0.1:8081``) and callback (``127.0.0.1:9080``) are moved to free
ports: a "hello" upstream of the test's own and the sandbox gateway.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.http import HTTPServer, Request, Response, ServerThread
from reconciler.sandbox.runner import Sandbox
from tests.verify.seed import CLIENT, ROUTE, World

HELLO = b"<html><body><h1>hello from the upstream</h1></body></html>"


async def hello(request: Request) -> Response:
    """The seed's nginx: one page."""
    return Response(200, HELLO, [("Content-Type", "text/html")])


@pytest.fixture(params=["emulator", pytest.param("real", marks=pytest.mark.real_hydra)])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    if request.param == "real":
        request.getfixturevalue("hydra_binary")
    upstream = HTTPServer(hello)
    with ServerThread(upstream), Sandbox(real_hydra=request.param == "real", gateway=True) as box:
        world = World.make(box, tmp_path, box.gateway_url)
        for path in world.desired.glob("*.yaml"):
            text = path.read_text().replace("http://127.0.0.1:9080", box.gateway_url)
            path.write_text(text.replace("127.0.0.1:8081", f"127.0.0.1:{upstream.port}"))
        yield world


def no_consent_left(world: World, subject: str = "reconcile-verify") -> bool:
    """True when Hydra lists no consent for ``subject``; only real Hydra has the list (the emulator
    answers 405), and it lists handled consents even when they were not remembered."""
    if world.box.real is None:
        return True
    answer = httpx.get(f"{world.box.hydra_admin_url}/admin/oauth2/auth/sessions/consent", params={"subject": subject})
    return answer.status_code == 200 and answer.json() == []


def checks(ran_output: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(c["address"], c["check"]): c for c in json.loads(ran_output)["checks"]}


def test_done_means_with_the_gateway(world: World) -> None:
    gateway = world.gateway_url
    assert gateway is not None
    assert world.run("apply", "--auto-approve").code == 0
    ok = world.run("verify", "--gateway-url", gateway)
    assert ok.code == 0, ok.output
    assert f"ok route.{ROUTE} [login_flow]" in ok.output
    assert "the upstream answered HTTP 200" in ok.output
    assert "Note: revoked the consent and login sessions of subject 'reconcile-verify'" in ok.output
    assert no_consent_left(world)

    world.paste_route_secret_by_hand("pasted-wrong-secret-5")
    pasted = world.run("verify", "--gateway-url", gateway, "--output", "json")
    assert pasted.code == 1
    found = checks(pasted.output)
    assert found[(f"oauth2_client.{CLIENT}", "client_secret")]["status"] == "pass"
    assert (found[(f"route.{ROUTE}", "openid_connect")]["status"], found[(f"route.{ROUTE}", "openid_connect")][
        "step"]) == ("fail", "token")
    flow = found[(f"route.{ROUTE}", "login_flow")]
    assert (flow["status"], flow["step"]) == ("fail", "callback"), flow
    assert flow["source"].endswith("apisix-routes.yaml:15")
    assert no_consent_left(world), "the sessions must be revoked after a failed login too"

    assert world.run("apply", "--auto-approve").code == 0
    assert world.run("verify", "--gateway-url", gateway, "--verify-subject", "someone-else").code == 0
    assert no_consent_left(world, "someone-else")

    world.rotate_client_secret_by_hand("rotated-by-hand-88")
    rotated = world.run("verify")
    assert rotated.code == 1
    assert f"FAIL oauth2_client.{CLIENT} [client_secret]" in rotated.output
    assert "step token: Hydra refused the client_secret in the desired state" in rotated.output

    assert world.run("apply", "--auto-approve", "--adopt").code == 0
    again = world.run("verify", "--gateway-url", gateway)
    assert again.code == 0, again.output
    assert world.leaks("pasted-wrong-secret-5", "rotated-by-hand-88") == []


EXTRA = """\
apisix:
  consumers:
    - username: alice
      plugins:
        key-auth:
          key: ${env:ALICE_KEY}
  routes:
    - id: api
      uri: /api/*
      upstream_id: nginx
      plugins:
        openid-connect:
          client: facebook-photo-backup
          bearer_only: true
          scope: openid
          introspection_endpoint: HYDRA_ADMIN/admin/oauth2/introspect
    - id: keyed
      uri: /keyed/*
      upstream_id: nginx
      plugins:
        key-auth: {}
"""


def test_bearer_only_and_key_auth_routes(world: World) -> None:
    gateway = world.gateway_url
    assert gateway is not None
    (world.desired / "extra.yaml").write_text(EXTRA.replace("HYDRA_ADMIN", world.box.hydra_admin_url))
    world.env["ALICE_KEY"] = "alice-key-0123456789"
    applied = world.run("apply", "--auto-approve")
    assert applied.code == 0, applied.output
    ran = world.run("verify", "--gateway-url", gateway)
    assert ran.code == 0, ran.output
    assert f"GET {gateway}/api/ is refused without a token (401) and let through with one (HTTP 200)" in ran.output
    assert f"GET {gateway}/keyed/ is refused without a key (401) and let through with one (HTTP 200)" in ran.output

    world.env["ALICE_KEY"] = "another-key-987654321"  # Git now says another key than APISIX holds
    wrong = world.run("verify", "--gateway-url", gateway, "--only", "route.keyed")
    assert wrong.code == 1
    assert "step with key: GET" in wrong.output and "with a declared consumer key was not let through" in wrong.output
    assert "server answered: HTTP 401" in wrong.output
    assert world.leaks("alice-key-0123456789", "another-key-987654321") == []


@pytest.mark.real_hydra
def test_ctrl_c_mid_login_revokes_the_sessions(hydra_binary: Path, tmp_path: Path) -> None:
    """SIGINT while the login waits for the upstream: verify exits 130 and the consent it accepted
    for the synthetic subject is gone (real Hydra lists handled consents even when not remembered;
    the emulator has no such list, so this runs on real Hydra)."""
    arrived, release = threading.Event(), threading.Event()

    async def slow(request: Request) -> Response:
        arrived.set()
        while not release.is_set():
            await asyncio.sleep(0.05)
        return await hello(request)

    upstream = HTTPServer(slow)
    with ServerThread(upstream), Sandbox(real_hydra=True, gateway=True) as box:
        world = World.make(box, tmp_path, box.gateway_url)
        for path in world.desired.glob("*.yaml"):
            text = path.read_text().replace("http://127.0.0.1:9080", box.gateway_url)
            path.write_text(text.replace("127.0.0.1:8081", f"127.0.0.1:{upstream.port}"))
        assert world.run("apply", "--auto-approve").code == 0
        consents = f"{box.hydra_admin_url}/admin/oauth2/auth/sessions/consent"
        child = subprocess.Popen([sys.executable, "-m", "reconciler", "verify", "--gateway-url", box.gateway_url,
                                  "--only", f"route.{ROUTE}", str(world.desired)],
                                 env={**os.environ, **world.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True)
        try:
            assert arrived.wait(60), "verify never reached the upstream"
            assert httpx.get(consents, params={"subject": "reconcile-verify"}).json() != []
            child.send_signal(signal.SIGINT)
            out, err = child.communicate(timeout=60)
        finally:
            release.set()
            if child.poll() is None:
                child.kill()
        assert child.returncode == 130, out + err
        assert "Interrupted" in err
        assert httpx.get(consents, params={"subject": "reconcile-verify"}).json() == []


def test_login_app_down_is_a_named_failure(tmp_path: Path) -> None:
    """Hydra (the emulator here) sends users to a login app that does not answer."""
    upstream = HTTPServer(hello)
    with ServerThread(upstream), Sandbox(real_hydra=False, gateway=True) as box:
        world = World.make(box, tmp_path, box.gateway_url)
        for path in world.desired.glob("*.yaml"):
            text = path.read_text().replace("http://127.0.0.1:9080", box.gateway_url)
            path.write_text(text.replace("127.0.0.1:8081", f"127.0.0.1:{upstream.port}"))
        assert world.run("apply", "--auto-approve").code == 0
        dead = "http://127.0.0.1:9"
        hydra = box.hydra
        assert hydra is not None and box._thread is not None
        box._thread.call(lambda: hydra.set_login_urls(dead + "/login", dead + "/consent", dead + "/logout"))
        ran = world.run("verify", "--gateway-url", box.gateway_url, "--only", f"route.{ROUTE}")
        assert ran.code == 1
        assert f"FAIL route.{ROUTE} [login_flow]" in ran.output
        assert f"step login page: Hydra's login app at {dead}/login does not answer" in ran.output


def test_redirect_uri_and_scope_drift_at_hydra_are_named(world: World) -> None:
    """A client edited by hand at Hydra: the route's redirect_uri is no longer registered, then its
    scopes are no longer allowed; the plugin check names each step, and the login fails too."""
    gateway = world.gateway_url
    assert gateway is not None
    assert world.run("apply", "--auto-approve").code == 0
    url = f"{world.box.hydra_admin_url}/admin/clients/{CLIENT}"
    client = httpx.get(url).json()
    httpx.put(url, json={**client, "redirect_uris": [f"{gateway}/elsewhere"]}).raise_for_status()
    moved = world.run("verify", "--gateway-url", gateway, "--only", f"route.{ROUTE}")
    assert moved.code == 1
    assert f"step redirect_uri: redirect_uri '{gateway}/callback' is not registered on Hydra client '{CLIENT}' " \
           f"({gateway}/elsewhere)" in moved.output
    assert "step login challenge: Hydra did not ask for a login" in moved.output

    httpx.put(url, json={**client, "scope": "openid"}).raise_for_status()
    narrowed = world.run("verify", "--only", f"route.{ROUTE}")
    assert narrowed.code == 1
    assert f"step scope: scope 'offline' is not allowed by Hydra client '{CLIENT}' (scope 'openid')" in narrowed.output


def test_apisix_only_state_says_what_it_could_not_check(world: World) -> None:
    """Without a hydra: section Hydra's clients are not read: the plugin is still proven at the token
    endpoint, and the output says that its redirect_uri and scopes were not checked."""
    assert world.run("apply", "--auto-approve").code == 0
    hydra_file = world.desired / "hydra-clients.yaml"
    routes = world.desired / "apisix-routes.yaml"
    text = routes.read_text().replace("client: facebook-photo-backup",
                                      "client_id: facebook-photo-backup\n          client_secret: ${env:PHOTO_BACKUP_CLIENT_SECRET}"
                                      f"\n          discovery: {world.box.hydra_public_url}/.well-known/openid-configuration")
    routes.write_text(text)
    hydra_file.unlink()
    ran = world.run("verify", "--hydra-public-url", world.box.hydra_public_url)
    assert ran.code == 0, ran.output
    assert "redirect_uri and scopes not checked (Hydra's clients were not read)" in ran.output
