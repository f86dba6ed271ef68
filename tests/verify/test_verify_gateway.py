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

import json
from collections.abc import Iterator
from pathlib import Path

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

    assert world.run("apply", "--auto-approve").code == 0
    assert world.run("verify", "--gateway-url", gateway).code == 0

    world.rotate_client_secret_by_hand("rotated-by-hand-88")
    rotated = world.run("verify")
    assert rotated.code == 1
    assert f"FAIL oauth2_client.{CLIENT} [client_secret]" in rotated.output
    assert "step token: Hydra refused the client_secret in the desired state" in rotated.output

    assert world.run("apply", "--auto-approve", "--adopt").code == 0
    again = world.run("verify", "--gateway-url", gateway)
    assert again.code == 0, again.output
    assert world.leaks("pasted-wrong-secret-5", "rotated-by-hand-88") == []
