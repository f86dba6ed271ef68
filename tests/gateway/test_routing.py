"""Route matching, merging and proxying of the sandbox gateway, over real HTTP.

Each case names its source in ``shared/spec/apisix-data-plane.md`` (§6.2 checklist numbers) and
through it the APISIX or lua-resty-radixtree code or test file it comes from.
"""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.sandbox.gateway.router import vars_match
from reconciler.sandbox.http import HTTPServer, ServerThread
from reconciler.sandbox.realhydra import free_port

from .conftest import Box, Echo


def upstream(*nodes: Echo, **extra: Any) -> dict[str, Any]:
    return {"type": "roundrobin", "nodes": {node.node: 1 for node in nodes}, **extra}


def route(uri: str | None, node: Echo, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"upstream": upstream(node), **extra}
    if uri is not None:
        body["uri"] = uri
    return body


def served_by(box: Box, path: str, **kwargs: Any) -> str:
    response = box.get(path, **kwargs)
    assert response.status_code == 200, response.text
    return str(response.json()["node"])


def test_no_route_is_the_json_404(box: Box) -> None:
    """Checklist 1: ``{"error_msg":"404 Route Not Found"}`` plus a newline ([A] ``init.lua``)."""
    response = box.get("/nothing")
    assert response.status_code == 404
    assert response.content == b'{"error_msg":"404 Route Not Found"}\n'
    assert response.headers["server"] == "APISIX/3.18.0"


def test_exact_beats_prefix_of_higher_priority(box: Box, echoes: list[Echo]) -> None:
    """Checklist 2 ([R] ``match_route()``): exact paths are tried before any prefix."""
    a, b, _ = echoes
    box.put("/routes/prefix", route("/hello*", a, priority=10))
    box.put("/routes/exact", route("/hello", b))
    assert served_by(box, "/hello") == "b"
    assert served_by(box, "/hello/x") == "a"
    assert served_by(box, "/hellothere") == "a"


def test_slash_star_misses_the_bare_path(box: Box, echoes: list[Echo]) -> None:
    """Checklist 3 ([R] ``common_route_data()``): ``/a/*`` misses ``/a``; ``/a*`` matches it."""
    a, b, _ = echoes
    box.put("/routes/slash", route("/a/*", a))
    assert served_by(box, "/a/") == "a"
    assert box.get("/a").status_code == 404
    box.put("/routes/bare", route("/a*", b))
    assert served_by(box, "/a") == "b"
    assert served_by(box, "/a/x") == "a"  # the longer prefix wins


def test_same_path_priority_then_configuration_order(box: Box, echoes: list[Echo]) -> None:
    """Checklist 4 ([A] ``t/router/radixtree-uri-priority.t``)."""
    a, b, c = echoes
    box.put("/routes/1", route("/p*", a, priority=1))
    box.put("/routes/2", route("/p*", b, priority=2))
    assert served_by(box, "/p") == "b"
    box.put("/routes/2", route("/p*", b, priority=1))
    box.put("/routes/3", route("/p*", c, priority=1))
    assert served_by(box, "/p") == "a"


def test_longer_prefix_beats_higher_priority(box: Box, echoes: list[Echo]) -> None:
    """Checklist 5 ([R] ``match_route()``): priority never compares across paths."""
    a, b, _ = echoes
    box.put("/routes/short", route("/api/*", a, priority=100))
    box.put("/routes/long", route("/api/v1/*", b))
    assert served_by(box, "/api/v1/x") == "b"
    assert served_by(box, "/api/v2/x") == "a"


def test_host_route_beats_hostless_route(box: Box, echoes: list[Echo]) -> None:
    """Checklists 6 and 7 ([A] ``radixtree_host_uri.lua: matching()``, [R] ``match_host()``)."""
    a, b, c = echoes
    box.put("/routes/any", route("/*", a, priority=100))
    box.put("/routes/host", route("/*", b, hosts=["*.example.com"]))
    box.put("/routes/exact-host", route("/*", c, host="www.example.com"))
    assert served_by(box, "/", headers={"Host": "a.example.com"}) == "b"
    assert served_by(box, "/", headers={"Host": "A.B.Example.com:8080"}) == "b"
    assert served_by(box, "/", headers={"Host": "www.example.com"}) == "c"
    assert served_by(box, "/", headers={"Host": "example.com"}) == "a"


def test_methods_uris_and_vars(box: Box, echoes: list[Echo]) -> None:
    """``methods``, ``uris`` (wins over ``uri``) and lua-resty-expr ``vars`` ([R] ``match_route_opts()``)."""
    a, b, c = echoes
    box.put("/routes/get", {"uris": ["/m", "/n"], "methods": ["GET"], "upstream": upstream(a)})
    box.put("/routes/vars", {"uri": "/m", "methods": ["GET"], "priority": 5, "upstream": upstream(c),
                             "vars": [["arg_v", "==", "2"], ["http_x_team", "~~", "^blue"]]})
    box.put("/routes/post", route("/m", b, methods=["POST"]))
    assert served_by(box, "/m") == "a"
    assert served_by(box, "/n") == "a"
    assert served_by(box, "/m?v=2", headers={"X-Team": "blue-1"}) == "c"
    assert served_by(box, "/m?v=2", headers={"X-Team": "red"}) == "a"
    assert box.request("POST", "/m").json()["node"] == "b"
    assert box.request("DELETE", "/m").status_code == 404


def test_service_merge_and_upstream_precedence(box: Box, echoes: list[Echo]) -> None:
    """Checklist 8 ([A] ``plugin.lua: merge_service_route()``): route upstream drops service upstream_id."""
    a, b, c = echoes
    box.put("/upstreams/ua", upstream(a))
    box.put("/services/s", {"upstream_id": "ua"})
    box.put("/routes/via-service", {"uri": "/svc", "service_id": "s"})
    box.put("/routes/override", {"uri": "/own", "service_id": "s", "upstream": upstream(b)})
    box.put("/routes/by-id", {"uri": "/byid", "upstream_id": "ua"})
    assert served_by(box, "/svc") == "a"
    assert served_by(box, "/own") == "b"
    assert served_by(box, "/byid") == "a"
    box.put("/upstreams/ua", upstream(c))  # live: the next request sees the new nodes
    assert served_by(box, "/svc") == "c"


def test_dangling_references(box: Box, echoes: list[Echo]) -> None:
    """§1.4 ([A] ``init.lua: http_access_phase()``): missing service → 404 page, missing plugin_config → 503."""
    a = echoes[0]
    box.put("/services/s", {"upstream": upstream(a)})
    box.put("/plugin_configs/pc", {"plugins": {}})
    box.put("/routes/r1", {"uri": "/svc", "service_id": "s"})
    box.put("/routes/r2", {"uri": "/pc", "plugin_config_id": "pc", "upstream": upstream(a)})
    # The Admin API refuses dangling references, so remove what they point at behind its back.
    box.sandbox._thread.call(lambda: box.sandbox.apisix.data["services"].pop("s"))  # type: ignore[union-attr]
    box.sandbox._thread.call(lambda: box.sandbox.apisix.data["plugin_configs"].pop("pc"))  # type: ignore[union-attr]
    box.sandbox._thread.call(lambda: setattr(box.sandbox.apisix, "revision", box.sandbox.apisix.revision + 1))  # type: ignore[union-attr]
    missing_service = box.get("/svc")
    assert missing_service.status_code == 404
    assert missing_service.headers["content-type"].startswith("text/html")
    assert box.get("/pc").status_code == 503


def test_forwarded_headers(box: Box, echoes: list[Echo]) -> None:
    """Checklist 9 ([A] ``apisix/cli/ngx_tpl.lua``): forged X-Forwarded-Host and X-Real-IP replaced."""
    a = echoes[0]
    box.put("/routes/r", route("/h", a))
    answer = box.get("/h?q=1", headers={"X-Forwarded-For": "10.0.0.9", "X-Real-IP": "6.6.6.6",
                                        "X-Forwarded-Host": "evil", "Forwarded": "for=1.2.3.4",
                                        "Authorization": "Basic eDp5", "Cookie": "session=abc"}).json()
    headers = answer["headers"]
    port = box.url.rsplit(":", 1)[1]
    assert answer["target"] == "/h?q=1"
    assert headers["x-real-ip"] == "127.0.0.1"
    assert headers["x-forwarded-for"] == "10.0.0.9, 127.0.0.1"
    assert headers["x-forwarded-host"] == f"127.0.0.1:{port}"
    assert headers["x-forwarded-port"] == port
    assert headers["x-forwarded-proto"] == "http"
    assert headers["host"] == f"127.0.0.1:{port}"  # pass_host: pass
    assert "forwarded" not in headers
    assert headers["authorization"] == "Basic eDp5"
    assert headers["cookie"] == "session=abc"


def test_pass_host_node_and_rewrite(box: Box, echoes: list[Echo]) -> None:
    """Checklist 10 ([A] ``balancer.lua: parse_server_for_upstream_host()``)."""
    a = echoes[0]
    box.put("/routes/node", {"uri": "/n", "upstream": upstream(a, pass_host="node")})
    box.put("/routes/rw", {"uri": "/r", "upstream": upstream(a, pass_host="rewrite", upstream_host="inner.test")})
    assert box.get("/n").json()["headers"]["host"] == a.node
    assert box.get("/r").json()["headers"]["host"] == "inner.test"


def test_dead_node_is_502_and_server_header(box: Box, echoes: list[Echo]) -> None:
    """Checklists 11 and 12 ([A] ``t/node/upstream-status-5xx.t``, ``init.lua: http_header_filter_phase()``)."""
    dead = free_port()
    box.put("/routes/dead", {"uri": "/dead", "upstream": {"type": "roundrobin", "nodes": {f"127.0.0.1:{dead}": 1}}})
    response = box.get("/dead")
    assert response.status_code == 502
    assert response.headers["x-apisix-upstream-status"] == "502"
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["server"] == "APISIX/3.18.0"
    a = echoes[0]
    box.put("/routes/ok", route("/ok", a))
    ok = box.get("/ok")
    assert ok.headers["server"] == "APISIX/3.18.0"
    assert ok.headers["x-echo"] == "a"


def test_upstream_5xx_is_passed_through(box: Box, echoes: list[Echo]) -> None:
    """§2.3: an upstream 5xx is the client's answer, with ``X-APISIX-Upstream-Status``; no retry on 5xx."""
    a, b, _ = echoes
    a.status = 500
    b.status = 500
    box.put("/routes/r", {"uri": "/x", "upstream": upstream(a, b)})
    response = box.get("/x")
    assert response.status_code == 500
    assert response.headers["x-apisix-upstream-status"] == "500"
    assert len(a.seen) + len(b.seen) == 1


def test_retry_on_connection_error(box: Box, echoes: list[Echo]) -> None:
    """§2.1: a refused connection moves to the next node (``retries`` defaults to #nodes - 1)."""
    a = echoes[0]
    dead = free_port()
    box.put("/routes/r", {"uri": "/x", "upstream": {"type": "roundrobin",
                                                    "nodes": {f"127.0.0.1:{dead}": 1, a.node: 1}}})
    assert all(served_by(box, "/x") == "a" for _ in range(4))


def test_timeout_is_504(box: Box) -> None:
    """§2.3: an upstream that does not answer within the read timeout gives 504."""
    import asyncio

    from reconciler.sandbox.http import Request, Response

    async def slow(request: Request) -> Response:
        await asyncio.sleep(5)
        return Response(200, b"late")

    server = HTTPServer(slow)
    with ServerThread(server):
        box.put("/routes/slow", {"uri": "/slow", "timeout": {"connect": 1, "send": 1, "read": 0.3},
                                 "upstream": {"type": "roundrobin", "nodes": {f"127.0.0.1:{server.port}": 1}}})
        response = box.get("/slow")
    assert response.status_code == 504
    assert response.headers["x-apisix-upstream-status"] == "504"


@pytest.mark.parametrize("weights", [(1, 1, 1), (3, 1, 0)])
def test_roundrobin_honours_weights(box: Box, echoes: list[Echo], weights: tuple[int, int, int]) -> None:
    """§2.1 ([A] ``apisix/balancer/roundrobin.lua``): shares follow the weights; weight 0 never serves."""
    nodes = {node.node: weight for node, weight in zip(echoes, weights, strict=True)}
    box.put("/routes/rr", {"uri": "/rr", "upstream": {"type": "roundrobin", "nodes": nodes}})
    total = sum(weights) * 4
    counts = {"a": 0, "b": 0, "c": 0}
    for _ in range(total):
        counts[served_by(box, "/rr")] += 1
    assert [counts[name] for name in "abc"] == [w * 4 for w in weights]



def raw_get(url: str, target: str) -> tuple[int, bytes]:
    """GET ``target`` byte for byte (httpx would resolve dot segments first); status and body."""
    import socket

    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_path_is_normalized_before_matching(box: Box, echoes: list[Echo]) -> None:
    """§0 step 1 (nginx ``$uri``): ``//`` merged, dot segments resolved; above the root is a 400.
    The upstream receives the client's request URI (§2.2), except that httpx resolves its dot
    segments (a documented difference)."""
    import json

    box.put("/routes/r", route("/a/b", echoes[0]))
    status, body = raw_get(box.url, "//a/./x/../b?q=1")
    assert status == 200, body
    assert json.loads(body)["target"] == "//a/b?q=1"
    assert raw_get(box.url, "/../a/b")[0] == 400


def test_request_body_and_method_reach_the_upstream(box: Box, echoes: list[Echo]) -> None:
    box.put("/routes/r", route("/p", echoes[0]))
    seen = box.request("PUT", "/p", content=b"payload", headers={"Content-Type": "text/plain"}).json()
    assert seen["method"] == "PUT" and seen["body"] == "payload"
    assert seen["headers"]["content-length"] == "7"


def test_node_priority_groups(box: Box, echoes: list[Echo]) -> None:
    """§2.1 ([A] ``apisix/balancer/priority.lua``): a lower priority group serves only when the higher is down."""
    a, b, _ = echoes
    dead = free_port()
    nodes = [{"host": "127.0.0.1", "port": a.port, "weight": 1, "priority": 0},
             {"host": "127.0.0.1", "port": b.port, "weight": 1, "priority": 5}]
    box.put("/routes/r", {"uri": "/g", "upstream": {"type": "roundrobin", "nodes": nodes}})
    assert {served_by(box, "/g") for _ in range(4)} == {"b"}
    nodes[1]["port"] = dead
    box.put("/routes/r", {"uri": "/g", "upstream": {"type": "roundrobin", "nodes": nodes}})
    assert {served_by(box, "/g") for _ in range(4)} == {"a"}


def test_retries_zero_gives_up_after_one_node(box: Box, echoes: list[Echo]) -> None:
    """§2.1: ``retries: 0`` turns a refused connection into a 502 even with a healthy node left."""
    dead = free_port()
    nodes = [{"host": "127.0.0.1", "port": dead, "weight": 1, "priority": 1},
             {"host": "127.0.0.1", "port": echoes[0].port, "weight": 1, "priority": 0}]
    box.put("/routes/r", {"uri": "/z", "upstream": {"type": "roundrobin", "nodes": nodes, "retries": 0}})
    assert box.get("/z").status_code == 502


def test_ttl_route_expires_for_the_data_plane(box: Box, echoes: list[Echo]) -> None:
    """Admin API ``?ttl=``: the lease ends and the gateway stops routing, with no admin request in between."""
    import time

    box.put("/routes/r?ttl=1", route("/t", echoes[0]))
    assert box.get("/t").status_code == 200
    time.sleep(1.3)
    assert box.get("/t").status_code == 404


def test_hosts_come_from_the_route_before_the_service(box: Box, echoes: list[Echo]) -> None:
    """[A] ``radixtree_host_uri.lua: push_host_router()``: route ``hosts``, else ``host``, else the service's ``hosts``."""
    a, b, _ = echoes
    box.put("/services/s", {"hosts": ["svc.test"], "upstream": upstream(a)})
    box.put("/routes/own", {"uri": "/h", "host": "own.test", "service_id": "s"})
    box.put("/routes/inherited", {"uri": "/i", "service_id": "s", "upstream": upstream(b)})
    assert served_by(box, "/h", headers={"Host": "own.test"}) == "a"
    assert box.get("/h", headers={"Host": "svc.test"}).status_code == 404
    assert served_by(box, "/i", headers={"Host": "svc.test"}) == "b"
    assert box.get("/i", headers={"Host": "other.test"}).status_code == 404


def test_vars_logic_operators() -> None:
    """lua-resty-expr ``eval``: ``AND``/``OR`` combine nested lists, ``!`` negates, and a nested
    combination may stand among plain rules (api7/lua-resty-expr ``lib/resty/expr/v1.lua``)."""
    facts = {"arg_a": "1", "arg_b": "2"}
    lookup = facts.get
    assert vars_match(["OR", [["arg_a", "==", "9"]], [["arg_b", "==", "2"]]], lookup)
    assert not vars_match(["AND", [["arg_a", "==", "1"]], [["arg_b", "==", "9"]]], lookup)
    assert vars_match(["!AND", [["arg_a", "==", "1"]], [["arg_b", "==", "9"]]], lookup)
    assert not vars_match(["!OR", [["arg_a", "==", "1"]], [["arg_b", "==", "9"]]], lookup)
    assert vars_match([["arg_a", "==", "1"], ["OR", [["arg_b", "==", "9"]], [["arg_b", "==", "2"]]]], lookup)
    assert not vars_match([["arg_a", "==", "1"], ["AND", [["arg_b", "==", "9"]]]], lookup)
