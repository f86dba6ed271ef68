"""What every verify check shares: the run's context, the discovery cache, and turning a check's
end (passed, failed at a step, skipped, server unreachable) into one ``Outcome``.

A check is a coroutine that walks named steps (``track.step = "token"``) and either returns a
message (passed), raises ``Failed`` (with the server's answer) or ``Skipped``.  ``run_check``
times it and masks every secret value of the check in whatever the server said, so that an
echoing server can never put a secret into the report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from reconciler.errors import AdminAPIError
from reconciler.plan.checks import Check, Outcome, Status
from reconciler.run.adapters.gateway import GatewaySession
from reconciler.run.adapters.oauth import Answer, OAuthAdapter, client_auth
from reconciler.secrets import Secret, scrub

DISCOVERY_PATH = "/.well-known/openid-configuration"


class Failed(Exception):
    """A check failed at ``step``; ``answer`` is what the server said."""

    def __init__(self, step: str, message: str, answer: Answer | str = "") -> None:
        self.step = step
        self.message = message
        self.answer = answer.describe() if isinstance(answer, Answer) else answer
        super().__init__(message)


class Skipped(Exception):
    """The check does not apply; the message says why."""


@dataclass
class Track:
    """The step a check is in (for messages when a server does not answer)."""

    step: str = "start"


@dataclass
class Context:
    """Everything checks need: the OAuth adapter, URLs, the synthetic subject, and caches."""

    oauth: OAuthAdapter
    hydra_public_url: str | None
    issuer: str | None
    gateway_url: str | None = None
    subject: str = "reconcile-verify"
    timeout: float = 30.0
    ca_cert: str | None = None
    insecure: bool = False
    discovered: dict[str, Any] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    #: Logins run one at a time: they share the synthetic subject, and real Hydra on SQLite answers
    #: concurrent logins of one subject with ``server_error`` (seen with 20 routes at once).
    flow_gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    flows_started: int = 0

    def browser(self) -> GatewaySession:
        """A fresh cookie jar for one check's requests to the gateway, with the run's TLS settings."""
        return GatewaySession(timeout=self.timeout, ca_cert=self.ca_cert, insecure=self.insecure)

    async def discover(self, url: str, step: str = "discovery") -> dict[str, Any]:
        """The discovery document at ``url`` (read once per run); ``Failed`` when unusable."""
        async with self.lock:
            if url not in self.discovered:
                self.discovered[url] = await self._load(url, step)
        found = self.discovered[url]
        if isinstance(found, Failed):
            raise Failed(found.step, found.message, found.answer)
        doc: dict[str, Any] = found
        return doc

    async def _load(self, url: str, step: str) -> dict[str, Any] | Failed:
        if not url:
            return Failed(step, "the plugin has no discovery URL")
        try:
            answer = await self.oauth.get_json(url)
        except AdminAPIError as exc:
            return Failed(step, f"the discovery document {url} cannot be read", str(exc))
        if answer.status != 200 or not isinstance(answer.body, dict):
            return Failed(step, f"the discovery document {url} did not load", answer)
        doc = answer.body
        if self.issuer is not None and str(doc.get("issuer", "")).rstrip("/") != self.issuer.rstrip("/"):
            return Failed(step, f"the discovery document {url} names issuer {doc.get('issuer')!r}, "
                                f"but Hydra's issuer is {self.issuer!r}")
        for name in ("token_endpoint", "authorization_endpoint"):
            if not isinstance(doc.get(name), str):
                return Failed(step, f"the discovery document {url} has no {name}")
        return doc


def secrets_of(check: Check) -> list[str]:
    """Every secret a check carries, to mask in answers: the plain values, their url-encoded forms
    (as a token request's form or Basic credential sends them), and the Basic credential itself,
    so that a server echoing the request cannot show any of them."""
    values = [v.reveal() for v in check.params.values() if isinstance(v, Secret) and v.reveal()]
    hidden = [form for v in values for form in (v, quote_plus(v), quote(v, safe=""))]
    secret = check.params.get("secret")
    if isinstance(secret, Secret) and secret.reveal():
        client_id = str(check.params.get("client_id") or check.key)
        headers, _ = client_auth(client_id, secret, "client_secret_basic")
        hidden.append(headers["Authorization"].removeprefix("Basic "))
    return hidden


async def run_check(check: Check, body: Callable[[Check, Track], Awaitable[str]]) -> Outcome:
    """Run one check and describe how it ended."""
    track = Track()
    started = time.perf_counter()
    hidden = secrets_of(check)

    def done(status: Status, message: str, answer: str = "") -> Outcome:
        return Outcome(check, status, track.step, scrub(message, hidden, anywhere=True),
                       scrub(answer, hidden, anywhere=True), time.perf_counter() - started)

    try:
        message = await body(check, track)
    except Failed as exc:
        track.step = exc.step
        return done(Status.FAIL, exc.message, exc.answer)
    except Skipped as exc:
        return done(Status.SKIP, str(exc))
    except AdminAPIError as exc:
        return done(Status.FAIL, "no answer", str(exc))
    return done(Status.PASS, message)
