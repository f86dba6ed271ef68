"""The login flow of ``verify --gateway-url`` against real Hydra, with ``RelyingParty`` in the
gateway's place (see its docstring; the sandbox gateway's own tests are in test_verify_gateway.py).

What is real here is everything verify itself does: Hydra's authorization endpoint, the login
and consent challenges accepted through Hydra's admin API, the code, the code exchange with
the secret APISIX holds, and the clean-up of the synthetic subject's sessions, also after a
failure and after Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.runner import Sandbox
from tests.verify.relying_party import RelyingParty
from tests.verify.seed import ROUTE, World

pytestmark = pytest.mark.real_hydra
SUBJECT = "reconcile-verify"


@pytest.fixture
def world(tmp_path: Path, hydra_binary: Path) -> Iterator[tuple[World, RelyingParty]]:
    with Sandbox(real_hydra=True) as box, RelyingParty(box.apisix_admin_url, box.apisix_admin_key, ROUTE) as rp:
        world = World.make(box, tmp_path, rp.url)
        for path in world.desired.glob("*.yaml"):
            path.write_text(path.read_text().replace("http://127.0.0.1:9080", rp.url))
        assert world.run("apply", "--auto-approve").code == 0
        yield world, rp


def consent_sessions(world: World, subject: str = SUBJECT) -> list[object]:
    answer = httpx.get(f"{world.box.hydra_admin_url}/admin/oauth2/auth/sessions/consent",
                       params={"subject": subject})
    assert answer.status_code == 200, answer.text
    found: list[object] = answer.json()
    return found


def test_login_flow_passes_and_leaves_no_session(world: tuple[World, RelyingParty]) -> None:
    w, rp = world
    ran = w.run("verify", "--gateway-url", rp.url)
    assert ran.code == 0, ran.output
    assert f"ok route.{ROUTE} [login_flow]" in ran.output
    assert f"logged in as '{SUBJECT}' through {rp.url}/; the upstream answered HTTP 200" in ran.output
    assert f"Note: revoked the consent and login sessions of subject '{SUBJECT}'" in ran.output
    assert consent_sessions(w) == []


def test_another_subject_is_logged_in_and_cleaned_up(world: tuple[World, RelyingParty]) -> None:
    """Hydra lists a handled consent even when it is not remembered (checked by hand against
    v2.3.0), so an empty list after the run shows the clean-up happened."""
    w, rp = world
    assert w.run("verify", "--gateway-url", rp.url, "--verify-subject", "someone").code == 0
    assert consent_sessions(w, "someone") == []


def test_wrong_secret_in_route_fails_at_the_callback(world: tuple[World, RelyingParty]) -> None:
    w, rp = world
    w.paste_route_secret_by_hand("pasted-wrong-secret-9")
    ran = w.run("verify", "--gateway-url", rp.url, "--only", f"route.{ROUTE}")
    assert ran.code == 1
    lines = [line for line in ran.output.splitlines() if "[login_flow]" in line]
    assert lines and lines[0].startswith(f"FAIL route.{ROUTE} [login_flow]") and "apisix-routes.yaml:15" in lines[0]
    assert "step callback: the gateway's callback" in ran.output
    assert "server answered: HTTP 500" in ran.output
    assert f"Note: revoked the consent and login sessions of subject '{SUBJECT}'" in ran.output
    assert consent_sessions(w) == []
    assert w.leaks("pasted-wrong-secret-9") == []


def test_ctrl_c_mid_login_still_revokes_the_sessions(world: tuple[World, RelyingParty]) -> None:
    w, rp = world
    arrived, release = threading.Event(), threading.Event()
    original = rp.handle

    def slow(path: str, cookie: str) -> tuple[int, dict[str, str], bytes]:
        if "code=" in path:
            arrived.set()
            release.wait(30)
        return original(path, cookie)

    rp.handle = slow  # type: ignore[method-assign]
    env = {**os.environ, **w.env}
    child = subprocess.Popen([sys.executable, "-m", "reconciler", "verify", "--gateway-url", rp.url, str(w.desired)],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert arrived.wait(60), "verify never reached the callback"
        assert consent_sessions(w), "the consent accepted for the subject should be listed before the clean-up"
        child.send_signal(signal.SIGINT)
        time.sleep(0.5)
        release.set()
        out, err = child.communicate(timeout=60)
    finally:
        release.set()
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, out + err
    assert "Interrupted" in err
    assert consent_sessions(w) == []
