"""Bad servers: each ends in one line naming the server by its URL and the cause, in bounded
time and memory, with no traceback and no credential in the output (findings 3, 4, 11-14b).

The servers are scripted (``servers.py``): they answer what no real APISIX or Hydra would, which
is the point.  Bounds are checked by what a server received (request counts) and by memory,
never by wall time; each test has a pytest timeout so a hang fails instead of blocking.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import CANARY, run
from .corpus import BASE, dump
from .servers import Answer, Scripted, Seen, json_answer, serve

ADMIN_KEY = f"admin-{CANARY}"
APISIX_ONLY = {"apisix": BASE["apisix"]}
HYDRA_ONLY = {"hydra": {"clients": [{"client_id": "c1", "scope": "openid", "grant_types": ["client_credentials"],
                                     "token_endpoint_auth_method": "none"}]}}


def _state(root: Path, data: object) -> Path:
    (root / "state.yaml").write_bytes(dump(data))
    return root


def _apisix(answer: Answer) -> Iterator[Scripted]:
    def script(_: Seen) -> Answer:
        status, headers, chunks = answer
        return status, {"Server": "APISIX/3.18.0", **headers}, chunks
    yield from serve(script)


def _hydra_clients(n: int) -> bytes:
    return json.dumps([{"client_id": f"x{i}", "scope": "openid"} for i in range(n)]).encode()


@pytest.mark.timeout(60)
def test_admin_key_echoed_in_a_401_is_masked(state_dir: Path) -> None:
    """Finding 3: whatever the server sends back, the configured key is never printed."""
    body = json.dumps({"error_msg": f"wrong key {ADMIN_KEY} (expected another)"}).encode()
    for server in _apisix(json_answer(body, 401)):
        out = run("plan", str(_state(state_dir, APISIX_ONLY)), env={"APISIX_ADMIN_URL": server.url})
        assert server.seen and server.seen[0].headers.get("X-API-KEY") == ADMIN_KEY  # the key was sent
        assert out.code == 1 and out.exception is None
        assert CANARY not in out.everything
        assert "(sensitive value)" in out.stderr and server.url in out.stderr


@pytest.mark.timeout(60)
def test_hydra_paging_never_leaves_the_configured_origin(state_dir: Path, counting: Scripted) -> None:
    """Finding 4: a ``Link: rel="next"`` to another origin is refused, and that origin gets nothing."""
    page = _hydra_clients(1000)

    def script(request: Seen) -> Answer:
        if request.path == "/version":
            return json_answer(b'{"version":"v2.3.0"}')
        return json_answer(page, **{"Link": f'<{counting.url}/admin/clients?page_token=x>; rel="next"',
                                    "X-Total-Count": "2000"})
    for server in serve(script):
        out = run("plan", str(_state(state_dir, HYDRA_ONLY)), env={"HYDRA_ADMIN_URL": server.url})
        assert out.code == 1 and out.exception is None, out.everything
        assert "another origin" in out.stderr and counting.url in out.stderr and server.url in out.stderr
        assert counting.seen == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize("body", [b'{"total":2,"list":[1,"two"]}', b'{"total":"x","list":[]}',
                                  b'{"node":"flat"}', b'{"total":1,"list":[null]}'])
def test_apisix_list_that_is_not_a_list_of_objects(state_dir: Path, body: bytes) -> None:
    """Finding 11: items that are not objects end in one line naming the server, not AttributeError."""
    for server in _apisix(json_answer(body)):
        out = run("plan", str(_state(state_dir, APISIX_ONLY)), env={"APISIX_ADMIN_URL": server.url})
        assert out.code == 1 and out.exception is None, out.everything
        assert "Error:" in out.stderr and server.url in out.stderr and "Traceback" not in out.everything


@pytest.mark.timeout(60)
def test_a_body_that_trickles_forever_ends_the_request(state_dir: Path) -> None:
    """Finding 12: the deadline covers the whole exchange; a read timeout alone never fires here."""
    chunks: list[bytes | float] = [b'{"total":0,', *([0.2, b" "] * 3000)]
    for server in _apisix((200, {"Content-Type": "application/json", "Content-Length": "100000"}, chunks)):
        out = run("plan", "--timeout", "1", str(_state(state_dir, APISIX_ONLY)),
                  env={"APISIX_ADMIN_URL": server.url})
        assert out.code == 1 and out.exception is None, out.everything
        assert "no complete answer" in out.stderr and server.url in out.stderr
        assert len(server.seen) <= 2  # a request that timed out is sent at most once more


@pytest.mark.timeout(120)
def test_a_huge_answer_is_refused_while_it_streams(state_dir: Path) -> None:
    """Finding 13: a 100 MB answer is cut at the cap; the process stays far below its size in memory."""
    item = b'{"value":{"id":"' + b"x" * 1000 + b'"}},'
    count = 100 * 1024 * 1024 // len(item)
    chunks: list[bytes | float] = [b'{"total":1,"list":[', *([item * 1000] * (count // 1000)), b"{}]}"]
    for server in _apisix((200, {"Content-Type": "application/json"}, chunks)):
        env = {**os.environ, "APISIX_ADMIN_URL": server.url, "APISIX_ADMIN_KEY": ADMIN_KEY, "RECONCILE_CACHE": "off"}
        # The child's own high-water mark (VmHWM of its address space after exec), written at exit.
        # Not wait4's ru_maxrss: Linux carries the spawning process's peak across exec into it, so
        # inside a large test session it reports the session's size, not the child's.
        hwm = state_dir / "vmhwm"
        probe = ("import atexit, runpy, sys\n"
                 f"atexit.register(lambda: open({str(hwm)!r}, 'w').write(open('/proc/self/status').read()))\n"
                 "sys.argv = ['reconcile', *sys.argv[1:]]\n"
                 "runpy.run_module('reconciler', run_name='__main__')\n")
        with tempfile.TemporaryFile("w+") as err:
            child = subprocess.run([sys.executable, "-c", probe, "plan", str(_state(state_dir, APISIX_ONLY))],
                                   env=env, stdout=subprocess.DEVNULL, stderr=err, text=True, check=False)
            err.seek(0)
            stderr = err.read()
        [line] = [x for x in hwm.read_text().splitlines() if x.startswith("VmHWM:")]
        peak_mib = int(line.split()[1]) / 1024
        assert child.returncode == 1, stderr
        assert "larger than" in stderr and server.url in stderr and "Traceback" not in stderr
        assert peak_mib < 400, f"peak RSS {peak_mib:.0f} MiB"


@pytest.mark.timeout(60)
def test_hydra_errors_name_the_server(state_dir: Path) -> None:
    """Finding 14: a Hydra error says which server answered, as an APISIX error does."""
    def script(request: Seen) -> Answer:
        if request.path == "/version":
            return json_answer(b'{"version":"v2.3.0"}')
        return json_answer(b'{"error":"invalid_request","error_description":"no"}', 400)
    for server in serve(script):
        out = run("plan", str(_state(state_dir, HYDRA_ONLY)), env={"HYDRA_ADMIN_URL": server.url})
        assert out.code == 1 and out.exception is None
        assert f"{server.url}/admin/clients" in out.stderr and "invalid_request" in out.stderr


@pytest.mark.timeout(60)
def test_a_hydra_that_never_answers_is_asked_twice_only(state_dir: Path) -> None:
    """Finding 14b: no answer to /version means no probing, and a timed-out request is sent at most
    twice, so the run lasts a small multiple of --timeout (counted in requests, not seconds)."""
    def script(_: Seen) -> Answer:
        return 0, {}, []
    for server in serve(script):
        out = run("plan", "--timeout", "1", str(_state(state_dir, HYDRA_ONLY)), env={"HYDRA_ADMIN_URL": server.url})
        assert out.code == 1 and out.exception is None
        assert server.url in out.stderr and "see --timeout" in out.stderr
        assert [s.path for s in server.seen] == ["/version", "/version"]
