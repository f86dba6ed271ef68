"""Canary secrets through every command and failure path; every byte written is searched.

The desired state carries canaries in a Hydra client secret, an openid-connect session secret
and a key-auth key, and the admin key is a canary too.  Each command runs against the sandbox
(and, for failures, against servers that echo every request body back in their error), and then
stdout, stderr, exception text, log records and every file under the run's directory (saved
plans, dumps, the load cache) are searched for any canary.  Each scenario first proves that the
canaries reached a server, so a pass cannot come from secrets that were never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.runner import Sandbox

from .conftest import CANARY, Outcome, run
from .corpus import dump
from .servers import Answer, Scripted, Seen, json_answer, serve

STATE = {
    "hydra": {"issuer": "http://127.0.0.1:4444/", "clients": [{
        "client_id": "web", "scope": "openid offline", "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"], "redirect_uris": ["http://127.0.0.1:9080/callback"],
        "client_secret": "${env:CAN_CLIENT_SECRET}"}]},
    "apisix": {
        "upstreams": [{"id": "web", "type": "roundrobin", "nodes": {"127.0.0.1:8081": 1}}],
        "routes": [{"id": "web", "uri": "/*", "upstream_id": "web", "plugins": {"openid-connect": {
            "client": "web", "bearer_only": False, "redirect_uri": "http://127.0.0.1:9080/callback",
            "scope": "openid", "session": {"secret": "${env:CAN_SESSION_SECRET}"}}}}],
        "consumers": [{"username": "alice", "plugins": {"key-auth": {"key": "${env:CAN_ALICE_KEY}"}}}],
    },
}
SECRETS = {"CAN_CLIENT_SECRET": f"client-{CANARY}", "CAN_SESSION_SECRET": f"session-secret-{CANARY}",
           "CAN_ALICE_KEY": f"alice-{CANARY}"}


@pytest.fixture
def world(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[tuple[Path, dict[str, str]]]:
    caplog.set_level(logging.DEBUG)
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "state.yaml").write_bytes(dump(STATE))
    env = {**SECRETS, "RECONCILE_CACHE": "on", "RECONCILE_CACHE_DIR": str(tmp_path / "cache")}
    yield tmp_path, env
    for record in caplog.records:
        assert CANARY not in record.getMessage() and CANARY not in str(record.exc_text or "")
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert CANARY.encode() not in path.read_bytes(), f"canary written to {path.relative_to(tmp_path)}"


def _clean(*outs: Outcome) -> None:
    assert outs
    for out in outs:
        assert CANARY not in out.everything, out.everything[-3000:]


def _cli(world: tuple[Path, dict[str, str]], *args: str, **env: str) -> Outcome:
    return run(*args, env={**world[1], **env})


@pytest.mark.timeout(300)
def test_every_command_against_the_sandbox(world: tuple[Path, dict[str, str]]) -> None:
    root, _ = world
    desired = str(root / "desired")
    with Sandbox(real_hydra=False, apisix_admin_key=f"admin-{CANARY}") as box:
        urls = {"HYDRA_ADMIN_URL": box.hydra_admin_url, "APISIX_ADMIN_URL": box.apisix_admin_url,
                "APISIX_ADMIN_KEY": box.apisix_admin_key}
        outs = [_cli(world, "validate", desired)]
        for fmt in ("text", "json", "markdown"):
            outs.append(_cli(world, "plan", "--output", fmt, desired, **urls))
        outs.append(_cli(world, "plan", "--out", str(root / "plan.json"), desired, **urls))
        outs.append(_cli(world, "apply", "--auto-approve", "--output", "json", desired, **urls))
        assert outs[-1].code == 0, outs[-1].everything
        headers = {"X-API-KEY": box.apisix_admin_key}
        alice = httpx.get(f"{box.apisix_admin_url}/apisix/admin/consumers/alice", headers=headers, timeout=10)
        assert CANARY in alice.text  # the canaries reached the server
        outs.append(_cli(world, "drift", desired, **urls))
        outs.append(_cli(world, "dump", "--out", str(root / "dump"), **urls))
        outs.append(_cli(world, "apply", "--auto-approve", str(root / "plan.json"), **urls))  # stale plan
        rotated = {k: f"rotated-{v}" for k, v in SECRETS.items()}
        outs.append(run("plan", "--output", "json", desired, env={**world[1], **rotated, **urls}))
        outs.append(run("apply", "--auto-approve", desired, env={**world[1], **rotated, **urls}))
        outs.append(_cli(world, "plan", desired, **{**urls, "APISIX_ADMIN_KEY": f"wrong-{CANARY}"}))
    _clean(*outs)


def _echo_servers() -> Iterator[tuple[Scripted, Scripted]]:
    """An APISIX and a Hydra that answer every write with an error quoting the request body."""
    def apisix(request: Seen) -> Answer:
        if request.method == "GET":
            if "/schema/" in request.path:
                return json_answer(b'{"type":"object"}', **{"Server": "APISIX/3.18.0"})
            return json_answer(b'{"total":0,"list":[]}', **{"Server": "APISIX/3.18.0"})
        body = httpx.Response(200, json={"error_msg": f"invalid configuration: {request.body.decode()}",
                                         "req_body": request.body.decode()}).content
        return json_answer(body, 400, **{"Server": "APISIX/3.18.0"})

    def hydra(request: Seen) -> Answer:
        if request.path == "/version":
            return json_answer(b'{"version":"v2.3.0"}')
        if request.method == "GET":
            return json_answer(b"[]", **{"X-Total-Count": "0"})
        body = httpx.Response(200, json={"error": "invalid_request",
                                         "error_description": f"cannot use {request.body.decode()}"}).content
        return json_answer(body, 400)

    for a in serve(apisix):
        for h in serve(hydra):
            yield a, h


@pytest.mark.timeout(300)
def test_servers_that_echo_request_bodies(world: tuple[Path, dict[str, str]]) -> None:
    root, _ = world
    for apisix, hydra in _echo_servers():
        urls = {"HYDRA_ADMIN_URL": hydra.url, "APISIX_ADMIN_URL": apisix.url}
        outs = [_cli(world, "apply", "--auto-approve", "--no-lock", str(root / "desired"), **urls),
                _cli(world, "apply", "--auto-approve", "--output", "json", "--no-lock", str(root / "desired"), **urls)]
        sent = b"".join(s.body for s in apisix.seen + hydra.seen)
        assert CANARY.encode() in sent  # the canaries went out, and came back in every error
        assert outs[0].code == 1 and "invalid" in outs[0].everything
    _clean(*outs)


@pytest.mark.timeout(120)
def test_unreachable_servers_and_bad_input(world: tuple[Path, dict[str, str]]) -> None:
    root, _ = world
    urls = {"HYDRA_ADMIN_URL": "http://127.0.0.1:9", "APISIX_ADMIN_URL": "http://127.0.0.1:9"}
    outs = [_cli(world, "plan", "--timeout", "1", str(root / "desired"), **urls),
            _cli(world, "apply", "--auto-approve", "--timeout", "1", str(root / "desired"), **urls)]
    (root / "bad").mkdir()
    (root / "bad" / "state.yaml").write_bytes(dump({"apisix": {"upstreams": [
        {"id": "${env:CAN_ALICE_KEY}", "nodes": {"h:${env:CAN_ALICE_KEY}": 1}, "desc": "${env:CAN_SESSION_SECRET}",
         "retries": "${env:CAN_CLIENT_SECRET}"}]}}))
    for command in ("validate", "plan"):
        outs.append(_cli(world, command, str(root / "bad"), **urls))
        assert outs[-1].code == 1
    _clean(*outs)
