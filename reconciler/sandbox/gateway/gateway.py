"""The sandbox's APISIX data plane: requests in, routes matched, plugins run, upstreams proxied.

Why it exists: equal configuration is not a working login.  ``reconcile sandbox --gateway``
serves what the emulated Admin API holds the way APISIX 3.18's proxy port would, so a desired
state can be exercised end to end (browser login, ``reconcile verify``) with no gateway at
hand.  It reads the emulator's store directly on the same event loop (``LiveView``), so an
admin write takes effect on the next request.  One request follows
``shared/spec/apisix-data-plane.md`` §0: match (no match: global rules, then 404), dangling
references, global-rule rewrite, route rewrite, the rewrite of plugins a consumer added,
global-rule access, route access, then the upstream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from reconciler.sandbox.gateway.context import Ctx, exit_json, nginx_page
from reconciler.sandbox.gateway.plugins import make_registry
from reconciler.sandbox.gateway.plugins.base import Plugin, run_phase
from reconciler.sandbox.gateway.proxy import Balancer, forward
from reconciler.sandbox.gateway.router import match
from reconciler.sandbox.gateway.view import LiveView
from reconciler.sandbox.http import HTTPServer, Request, Response

if TYPE_CHECKING:
    from reconciler.sandbox.apisix_store import ApisixStore

NOT_FOUND = {"error_msg": "404 Route Not Found"}


def request_host(request: Request) -> str:
    """nginx's ``$host``: the ``Host`` header lower-cased, without its port."""
    raw = request.headers.get("host", "").strip().lower()
    if raw.startswith("["):
        return raw.split("]", 1)[0] + "]"
    return raw.split(":", 1)[0] or "localhost"


def normalize_path(path: str) -> str | None:
    """nginx's ``$uri``: ``//`` merged, ``.`` and ``..`` segments resolved; None above the root (400)."""
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment in ("", "."):
            continue
        if segment == "..":
            if not out:
                return None
            out.pop()
            continue
        out.append(segment)
    trailing = path.endswith(("/", "/.", "/..")) and bool(out)
    return "/" + "/".join(out) + ("/" if trailing else "")


class Gateway:
    """APISIX's proxy over an ``ApisixStore``; ``server()`` serves it over HTTP."""

    def __init__(self, store: ApisixStore, version: str = "3.18.0") -> None:
        self.version = version
        self.live = LiveView(store)
        self.balancer = Balancer()
        self._clients: dict[bool, httpx.AsyncClient] = {}
        self.registry: dict[str, Plugin] = make_registry(self)
        self._server: HTTPServer | None = None

    def http(self, verify: bool = True) -> httpx.AsyncClient:
        """The shared HTTP client (made on first use, on the server's loop)."""
        client = self._clients.get(verify)
        if client is None:
            client = httpx.AsyncClient(trust_env=False, verify=verify, follow_redirects=False,
                                       limits=httpx.Limits(max_connections=256, max_keepalive_connections=64))
            self._clients[verify] = client
        return client

    def server(self, host: str = "127.0.0.1", port: int = 0) -> HTTPServer:
        """An HTTP server for the gateway (``Server: APISIX/<version>`` on every answer)."""
        self._server = HTTPServer(self.handle, host, port, server_header=f"APISIX/{self.version}")
        return self._server

    @property
    def port(self) -> int:
        """The listening port (0 before ``server()`` started)."""
        return self._server.port if self._server is not None else 0

    async def handle(self, request: Request) -> Response:
        """Answer one data-plane request."""
        normalized = normalize_path(request.path) if request.path.startswith("/") else None
        if normalized is None:
            return nginx_page(400)
        request.path = normalized
        view = self.live.current()
        ctx = Ctx(request=request, host=request_host(request), view=view, listen_port=self.port)
        route = match(view.routes, request, ctx.host)
        if route is None:
            for phase in ("rewrite", "access"):
                answer = await run_phase(self.registry, view.global_plugins, phase, ctx)
                if answer is not None:
                    return ctx.finish(answer)
            return ctx.finish(exit_json(404, NOT_FOUND))
        if route.broken:
            return nginx_page(route.broken)
        ctx.route = route
        answer = await self._phases(ctx)
        if answer is not None:
            return ctx.finish(answer)
        return ctx.finish(await forward(ctx, self.http(), self.balancer))

    async def _phases(self, ctx: Ctx) -> Response | None:
        assert ctx.route is not None
        view, plugins = ctx.view, ctx.route.plugins
        answer = await run_phase(self.registry, view.global_plugins, "rewrite", ctx)
        if answer is None:
            answer = await run_phase(self.registry, plugins, "rewrite", ctx)
        if answer is None and ctx.consumer is not None:
            if ctx.consumer.group_missing:
                return nginx_page(503)
            # ``rewrite_in_consumer`` ([A] ``plugin.lua: filter()``): only plugins the consumer
            # added, and never an auth plugin, run their rewrite again.
            added = {name for name in ctx.consumer.plugins if name not in plugins
                     and not getattr(self.registry.get(name), "auth", False)}
            plugins = {**plugins, **ctx.consumer.plugins}
            answer = await run_phase(self.registry, plugins, "rewrite", ctx, only=added)
        if answer is None:
            answer = await run_phase(self.registry, view.global_plugins, "access", ctx)
        if answer is None:
            answer = await run_phase(self.registry, plugins, "access", ctx)
        return answer

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            await client.aclose()
