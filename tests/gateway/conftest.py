"""Fixtures of the gateway tests: a sandbox with its data plane, and echo upstreams.

Every server is a real HTTP server on 127.0.0.1 with a free port.  An ``Echo`` upstream answers
with what it received (method, request target, headers) as JSON, so a test sees exactly what
the gateway forwarded; ``status`` makes it answer with another code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from reconciler.sandbox.http import HTTPServer, Request, Response, ServerThread
from reconciler.sandbox.runner import Sandbox


@dataclass
class Echo:
    """An upstream that echoes each request; ``seen`` keeps them."""

    name: str
    status: int = 200
    seen: list[Request] = field(default_factory=list)
    server: HTTPServer | None = None

    async def handle(self, request: Request) -> Response:
        self.seen.append(request)
        body = {"node": self.name, "method": request.method, "target": request.target,
                "headers": request.headers, "body": request.body.decode(errors="replace")}
        return Response(self.status, json.dumps(body).encode(),
                        [("Content-Type", "application/json"), ("Server", "echo"), ("X-Echo", self.name)])

    @property
    def port(self) -> int:
        assert self.server is not None
        return self.server.port

    @property
    def node(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class Box:
    """A started sandbox with a gateway, an admin helper and a data-plane client."""

    sandbox: Sandbox
    client: httpx.Client

    @property
    def url(self) -> str:
        return self.sandbox.gateway_url

    def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """One Admin API request; fails the test unless it succeeded."""
        response = httpx.request(method, f"{self.sandbox.apisix_admin_url}/apisix/admin{path}", json=body,
                                 headers={"X-API-KEY": self.sandbox.apisix_admin_key}, timeout=10)
        assert response.status_code < 300, response.text
        return response

    def put(self, path: str, body: Any) -> None:
        self.admin("PUT", path, body)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(self.url + path, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, self.url + path, **kwargs)


@pytest.fixture
def echoes() -> Iterator[list[Echo]]:
    """Three echo upstreams, ``a``, ``b`` and ``c``."""
    nodes = [Echo(name) for name in "abc"]
    for node in nodes:
        node.server = HTTPServer(node.handle)
    with ServerThread(*(node.server for node in nodes if node.server is not None)):
        yield nodes


@pytest.fixture
def box() -> Iterator[Box]:
    """A sandbox (emulated Hydra, APISIX 3.18.0) with the gateway on a free port."""
    with Sandbox(real_hydra=False, gateway=True) as sandbox, \
            httpx.Client(timeout=10, trust_env=False, follow_redirects=False) as client:
        yield Box(sandbox, client)
