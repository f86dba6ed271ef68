"""``reconcile verify``'s engine: read live state like ``plan``, decide the checks (pure), run them
with bounded concurrency, and always clean up the synthetic subject's sessions.

Before any check, every public endpoint the run depends on is tried once, so that an
unreachable Hydra public URL or gateway is one clear error naming it (``VerifyError``) rather
than one failure per object.  The only writes are the login and consent a login flow accepts
for ``subject``; they are not remembered, and the subject's consent and login sessions are
revoked at the end: after success, after a failure, and after Ctrl-C (``asyncio.run`` cancels
the main task, and the cleanup runs in its ``finally``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from reconciler.config import Connection
from reconciler.errors import AdminAPIError, ReconcilerError
from reconciler.plan.checks import Check, Outcome, VerifyReport, What, plan_checks
from reconciler.run.adapters.http import make_client
from reconciler.run.adapters.oauth import OAuthAdapter, send
from reconciler.run.fetch import fetch, open_adapters
from reconciler.run.verify_base import DISCOVERY_PATH, Context, Failed, Track, run_check
from reconciler.run.verify_flow import bearer_only, key_auth, login_flow
from reconciler.run.verify_tokens import client_secret, oidc_plugin
from reconciler.state.kinds import ResolvedState

CheckBody = Callable[[Context, Check, Track], Awaitable[str]]

RUNNERS: dict[What, CheckBody] = {
    What.CLIENT_SECRET: client_secret,
    What.OIDC_PLUGIN: oidc_plugin,
    What.LOGIN_FLOW: login_flow,
    What.BEARER_ONLY: bearer_only,
    What.KEY_AUTH: key_auth,
}


class VerifyError(ReconcilerError):
    """verify cannot run at all (a public URL does not answer, a bad ``--only``)."""


@dataclass(frozen=True)
class VerifySettings:
    """Where the public endpoints are, and how hard to try."""

    hydra_public_url: str | None = None
    gateway_url: str | None = None
    subject: str = "reconcile-verify"
    parallelism: int = 8
    only: str | None = None


async def verify_async(desired: ResolvedState, conn: Connection, settings: VerifySettings) -> VerifyReport:
    """Read live state, run every check, clean up; the report of what passed and failed."""
    async with open_adapters(conn, desired.systems) as adapters:
        live = await fetch(desired, adapters)
    try:
        checks = plan_checks(desired, live, gateway=settings.gateway_url is not None, only=settings.only)
    except ValueError as exc:
        raise VerifyError(str(exc)) from None
    ca_cert = str(conn.ca_cert) if conn.ca_cert else None
    client = make_client(timeout=conn.timeout, ca_cert=ca_cert, insecure=conn.insecure,
                         max_connections=max(4, settings.parallelism))
    async with client:
        ctx = Context(OAuthAdapter(client, conn.hydra_admin_url), settings.hydra_public_url, desired.hydra_issuer,
                      settings.gateway_url, settings.subject, conn.timeout, ca_cert, conn.insecure)
        await _preflight(ctx, checks)
        report = VerifyReport()
        try:
            report.outcomes = await _run_all(ctx, checks, settings.parallelism)
        finally:
            if ctx.flows_started:
                report.notes.extend(await asyncio.shield(_clean_up(ctx)))
    return report


async def _run_all(ctx: Context, checks: list[Check], parallelism: int) -> list[Outcome]:
    gate = asyncio.Semaphore(parallelism)

    async def one(check: Check) -> Outcome:
        async with gate:
            runner = RUNNERS[check.what]
            return await run_check(check, lambda c, t: runner(ctx, c, t))

    return list(await asyncio.gather(*(one(c) for c in checks)))


async def _preflight(ctx: Context, checks: list[Check]) -> None:
    """One request to each public endpoint the checks need; ``VerifyError`` names one that is down."""
    if any(c.what is What.CLIENT_SECRET for c in checks) and ctx.hydra_public_url is not None:
        url = ctx.hydra_public_url.rstrip("/") + DISCOVERY_PATH
        await _reach("the Hydra public URL", ctx.hydra_public_url, ctx, url)
        if ctx.issuer is None:
            with contextlib.suppress(ReconcilerError, KeyError, Failed):  # the checks then say what is wrong
                ctx.issuer = str((await ctx.discover(url))["issuer"])
    if ctx.gateway_url is not None:
        await _reach("the gateway URL", ctx.gateway_url, ctx, ctx.gateway_url)


async def _reach(what: str, base: str, ctx: Context, url: str) -> None:
    try:
        await send(ctx.oauth.client, "GET", url)
    except AdminAPIError as exc:
        raise VerifyError(f"{what} {base} does not answer: {exc.server_message}") from None


async def _clean_up(ctx: Context) -> list[str]:
    """Revoke the synthetic subject's consent and login sessions; say what happened."""
    try:
        answers = await ctx.oauth.revoke_sessions(ctx.subject)
    except AdminAPIError as exc:
        return [f"could not revoke the sessions of subject {ctx.subject!r}: {exc}"]
    bad = [a for a in answers if a.status not in (200, 204)]
    if bad:
        return [f"revoking the sessions of subject {ctx.subject!r}: {a.describe()}" for a in bad]
    return [f"revoked the consent and login sessions of subject {ctx.subject!r}"]


def verify(desired: ResolvedState, conn: Connection, settings: VerifySettings) -> VerifyReport:
    """``verify_async`` for synchronous callers."""
    return asyncio.run(verify_async(desired, conn, settings))
