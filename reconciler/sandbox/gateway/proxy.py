"""Upstream choice and proxying: the part of APISIX that is nginx's ``proxy_pass`` and balancer.

Why here and with httpx: the sandbox's gateway must really forward requests, and the project
already speaks HTTP through httpx, so the upstream leg is an ``httpx.AsyncClient`` on the
sandbox's event loop.  Behaviour follows ``shared/spec/apisix-data-plane.md`` §2 ([A]
``apisix/upstream.lua``, ``apisix/balancer.lua``, ``apisix/init.lua``, ``apisix/cli/ngx_tpl.lua``):
nodes as a map or a list, weighted round robin (nginx's smooth variant) inside the highest
``priority`` group, retries only on connection errors and timeouts (``retries`` defaults to
``#nodes - 1``), ``pass_host``, the ``X-Forwarded-*``/``X-Real-IP`` headers set by the nginx
configuration, 502/504 nginx pages with ``X-APISIX-Upstream-Status``, and the route's
``timeout`` over the upstream's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.sandbox.gateway.context import Ctx, nginx_page
from reconciler.sandbox.http import Response

HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                        "upgrade", "content-length", "forwarded", "http2-settings"})
RESPONSE_DROP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "server"})
DEFAULT_TIMEOUT = 60.0


@dataclass(frozen=True)
class Node:
    """One upstream node."""

    host: str
    port: int
    weight: int
    priority: int


def parse_nodes(upstream: dict[str, Any]) -> list[Node]:
    """Nodes from a map ``{"host:port": weight}`` or a list; a missing port is 80/443 by scheme."""
    default_port = 443 if upstream.get("scheme") in ("https", "grpcs") else 80
    raw = upstream.get("nodes") or {}
    items: list[tuple[str, Any, int, int]] = []
    if isinstance(raw, dict):
        for address, weight in raw.items():
            host, sep, port = str(address).rpartition(":")
            if not sep or not port.isdigit() or host.endswith(":"):
                host, port = str(address), ""
            items.append((host, port, int(weight), 0))
    else:
        for node in raw:
            items.append((str(node.get("host", "")), node.get("port", ""), int(node.get("weight", 1)),
                          int(node.get("priority", 0))))
    return [Node(host.strip("[]"), int(port) if str(port).isdigit() else default_port, weight, priority)
            for host, port, weight, priority in items if weight > 0]


class Balancer:
    """Smooth weighted round robin per upstream identity (any rotation honouring weights is APISIX's)."""

    def __init__(self) -> None:
        self._current: dict[tuple[str, Node], int] = {}

    def order(self, key: str, nodes: list[Node]) -> list[Node]:
        """Nodes in the order to try them: this request's pick first, then the others."""
        if len(nodes) <= 1:
            return list(nodes)
        top = max(node.priority for node in nodes)
        group = [node for node in nodes if node.priority == top]
        total = sum(node.weight for node in group)
        for node in group:
            self._current[(key, node)] = self._current.get((key, node), 0) + node.weight
        pick = max(group, key=lambda node: self._current[(key, node)])
        self._current[(key, pick)] -= total
        rest = sorted((node for node in nodes if node is not pick), key=lambda n: (-n.priority, -n.weight))
        return [pick, *rest]


def resolve_upstream(ctx: Ctx) -> tuple[str, dict[str, Any]] | Response:
    """The upstream to use and a balancer key, or APISIX's answer when there is none (§1.4)."""
    route = ctx.route
    assert route is not None
    conf = route.conf
    upstream_id = conf.get("upstream_id")
    if upstream_id is not None:
        upstream = ctx.view.upstreams.get(str(upstream_id))
        if upstream is None:
            return nginx_page(502)
        return f"upstream/{upstream_id}", upstream
    inline = conf.get("upstream")
    if isinstance(inline, dict):
        return f"route/{route.id}/{route.version}", inline
    return nginx_page(503)


def _timeout(ctx: Ctx, upstream: dict[str, Any]) -> httpx.Timeout:
    assert ctx.route is not None
    conf = ctx.route.conf.get("timeout") or upstream.get("timeout") or {}
    return httpx.Timeout(connect=float(conf.get("connect", DEFAULT_TIMEOUT)),
                         write=float(conf.get("send", DEFAULT_TIMEOUT)),
                         read=float(conf.get("read", DEFAULT_TIMEOUT)), pool=None)


def _host_header(ctx: Ctx, upstream: dict[str, Any], node: Node, scheme: str) -> str:
    mode = upstream.get("pass_host", "pass")
    if mode == "rewrite":
        return str(upstream.get("upstream_host", ""))
    if mode == "node":
        default = 443 if scheme == "https" else 80
        host = f"[{node.host}]" if ":" in node.host else node.host
        return host if node.port == default else f"{host}:{node.port}"
    return ctx.upstream_host or ctx.client_host_header


def upstream_request_headers(ctx: Ctx) -> dict[str, str]:
    """The client's headers as nginx forwards them, with the proxy headers of ``ngx_tpl.lua``."""
    request = ctx.request
    headers = {name: value for name, value in ctx.upstream_headers.items() if name not in HOP_BY_HOP}
    headers.pop("host", None)
    client_host = ctx.client_host_header
    _, sep, port = client_host.rpartition(":")
    headers["x-real-ip"] = request.peer
    forwarded_for = request.headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded_for}, {request.peer}" if forwarded_for else request.peer
    headers["x-forwarded-proto"] = "http"
    headers["x-forwarded-host"] = client_host
    headers["x-forwarded-port"] = port if sep and port.isdigit() else str(ctx.listen_port)
    return headers


async def _exchange(client: httpx.AsyncClient, outgoing: httpx.Request) -> tuple[httpx.Response, bytes]:
    """Send ``outgoing`` and read its whole body; a timeout or a broken connection in either raises."""
    answer = await client.send(outgoing, stream=True)
    try:
        return answer, b"".join([chunk async for chunk in answer.aiter_raw()])
    finally:
        await answer.aclose()


async def forward(ctx: Ctx, client: httpx.AsyncClient, balancer: Balancer) -> Response:
    """Proxy the request to the route's upstream; APISIX's answer when that fails."""
    found = resolve_upstream(ctx)
    if isinstance(found, Response):
        return found
    key, upstream = found
    nodes = parse_nodes(upstream)
    if not nodes:
        return nginx_page(503)
    scheme = str(upstream.get("scheme", "http"))
    tries = balancer.order(key, nodes)
    retries = upstream.get("retries")
    tries = tries[: 1 + (int(retries) if retries is not None else len(nodes) - 1)]
    headers = upstream_request_headers(ctx)
    timeout = _timeout(ctx, upstream)
    statuses: list[str] = []
    target = ctx.upstream_uri if ctx.upstream_uri is not None else ctx.request.target
    for node in tries:
        host = f"[{node.host}]" if ":" in node.host else node.host
        sent = {**headers, "host": _host_header(ctx, upstream, node, scheme)}
        outgoing = httpx.Request(ctx.upstream_method or ctx.request.method, f"{scheme}://{host}:{node.port}{target}",
                                 headers=sent, content=ctx.request.body or None,
                                 extensions={"timeout": timeout.as_dict()})
        try:
            answer, body = await _exchange(client, outgoing)
        except httpx.TimeoutException:
            statuses.append("504")
            continue
        except httpx.TransportError:
            statuses.append("502")
            continue
        out = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in answer.headers.raw
               if name.decode("latin-1").lower() not in RESPONSE_DROP]
        if answer.status_code >= 500:
            statuses.append(str(answer.status_code))
            out.append(("X-APISIX-Upstream-Status", ", ".join(statuses)))
        return Response(answer.status_code, body, out)
    last = int(statuses[-1])
    return nginx_page(last, [("X-APISIX-Upstream-Status", ", ".join(statuses))])
