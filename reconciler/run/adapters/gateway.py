"""A browser without a browser: requests to the gateway (APISIX's data plane) and the pages a login
passes through, with one cookie jar per login, redirects followed one hop at a time.

The login flow must see every hop (the redirect to Hydra, the challenges, the callback), so
nothing is followed automatically: the caller reads each ``Location`` and decides.  Cookies
are kept per flow, as a browser keeps them per profile, so that parallel flows never share a
session.  A gateway that does not answer raises ``ConnectError`` naming it.
"""

from __future__ import annotations

from types import TracebackType
from urllib.parse import urljoin

from reconciler.run.adapters.http import make_client
from reconciler.run.adapters.oauth import Answer, send

USER_AGENT = "reconcile-verify"


class GatewaySession:
    """One cookie jar and connection pool for one login; use as ``async with``."""

    def __init__(self, *, timeout: float, ca_cert: str | None = None, insecure: bool = False) -> None:
        self.client = make_client(timeout=timeout, ca_cert=ca_cert, insecure=insecure)
        self.client.headers["User-Agent"] = USER_AGENT

    async def get(self, url: str, *, headers: dict[str, str] | None = None) -> Answer:
        """GET ``url`` with this session's cookies; the ``Location`` is made absolute."""
        answer = await send(self.client, "GET", url, headers=headers or {})
        if answer.location:
            return Answer(answer.status, answer.body, answer.text, urljoin(url, answer.location), url)
        return answer

    async def __aenter__(self) -> GatewaySession:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.client.aclose()
