"""Applying a plan: level by level, bounded concurrency, and a full account of what happened.

Creates and updates run top-down by kind level, deletes bottom-up, as in decK's ``order.go``;
inside a level up to ``parallelism`` changes run at once.  A change whose dependency failed
(or was itself skipped) is skipped with that reason, while independent changes go on, so a
re-run converges.  Retries live in the HTTP seam; this module only records outcomes.  Every
finished change is reported to the observer as an ``ApplyEvent`` (Terraform's hook), and
nothing here prints.  Hydra secret fingerprints are made here, at write time, on a worker thread:
the planner stays pure, and each new fingerprint gets a fresh random salt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import groupby
from typing import Any

from reconciler.config import HYDRA_METADATA_KEY
from reconciler.errors import Conflict, PlanError, ReconcilerError
from reconciler.plan.changes import Action, ApplyEvent, ApplyResult, Change, Outcome, Plan
from reconciler.plan.normalize import hydra_split_metadata, hydra_view, same_json
from reconciler.run.adapters.http import REQUESTS_SENT
from reconciler.run.fetch import Adapters
from reconciler.secrets import Secret
from reconciler.secrets import scrub as scrub_values
from reconciler.state import fingerprints
from reconciler.state.kinds import Kind
from reconciler.state.live import LiveObject, LiveState
from reconciler.state.registry import LEVEL_OF

Observer = Callable[[ApplyEvent], None]


async def _prepare_client(body: dict[str, Any]) -> dict[str, Any]:
    """Swap a pending fingerprint (the desired ``Secret``) for a real one."""
    metadata = body.get("metadata")
    ours = metadata.get(HYDRA_METADATA_KEY) if isinstance(metadata, dict) else None
    if not isinstance(ours, dict) or not isinstance(ours.get("secret"), Secret):
        return body
    fingerprint = await asyncio.to_thread(fingerprints.make_fingerprint, ours["secret"])
    assert isinstance(metadata, dict)
    return {**body, "metadata": {**metadata, HYDRA_METADATA_KEY: {**ours, "secret": fingerprint}}}


async def _same_client(want: dict[str, Any], live: dict[str, Any]) -> bool:
    """True when the live client ``live`` is the desired client ``want``: fields, user metadata,
    ownership labels, and a recorded secret fingerprint made from the desired secret."""
    if not same_json(hydra_view(want), hydra_view(live)):
        return False
    want_meta = want.get("metadata") if isinstance(want.get("metadata"), dict) else {}
    assert isinstance(want_meta, dict)
    want_user = {k: v for k, v in want_meta.items() if k != HYDRA_METADATA_KEY}
    want_ours = want_meta.get(HYDRA_METADATA_KEY) or {}
    live_user, live_ours = hydra_split_metadata(live)
    if not same_json(want_user, live_user) or want_ours.get("labels") != live_ours.get("labels"):
        return False
    secret = want.get("client_secret")
    if not isinstance(secret, Secret):
        return True
    fingerprint = live_ours.get("secret")
    return isinstance(fingerprint, str) and await asyncio.to_thread(fingerprints.matches, secret, fingerprint)


def _revision(obj: LiveObject) -> str:
    return obj.revision or obj.content_hash()


async def recheck(change: Change, adapter: Any, seen: LiveObject | None) -> None:
    """Refuse ``change`` when its object changed since the plan read it as ``seen`` (``PlanError``).

    Neither API can make a write conditional, so this narrows the window to one round trip
    rather than closing it; it costs one GET per write.
    """
    live = await adapter.get(change.kind, change.key)
    appeared = seen is None and live is not None
    if appeared or (seen is not None and (live is None or _revision(live) != _revision(seen))):
        raise PlanError(f"{change.address} changed since the plan read it (another writer?); not overwritten: "
                        "run plan again")


async def execute(change: Change, adapters: Adapters, *, seen: LiveState | None = None) -> None:
    """Send one change to its adapter; with ``seen`` (the live state the plan read), ``recheck`` first."""
    adapter = adapters.for_kind(change.kind)
    if seen is not None:
        await recheck(change, adapter, seen.of(change.kind).get(change.key))
    if change.action is Action.DELETE:
        await adapter.delete(change.kind, change.key)
        return
    assert change.after is not None
    body = await _prepare_client(change.after) if change.kind is Kind.OAUTH2_CLIENT else change.after
    if change.action is Action.CREATE:
        try:
            await adapter.create(change.kind, change.key, body)
        except Conflict:
            # Another run created it between our read and our write.  If what is there now is
            # what we wanted, the create has succeeded; otherwise it is a conflict to report.
            live = await adapter.get(change.kind, change.key)
            if live is None or not await _same_client(change.after, live.body):
                raise
    else:
        await adapter.update(change.kind, change.key, body)


def _secrets_in(value: Any) -> list[str]:
    if isinstance(value, Secret):
        return [value.reveal()] if value.reveal() else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _secrets_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in _secrets_in(v)]
    return []


def scrub(message: str, change: Change) -> str:
    """``message`` with every secret value of ``change`` masked: servers may quote a rejected value."""
    return scrub_values(message, _secrets_in(change.after) + _secrets_in(change.before), anywhere=True)


def phases(plan: Plan) -> list[list[Change]]:
    """The writes of ``plan`` grouped into levels, in execution order (``plan.changes`` is sorted)."""
    writes = [c for c in plan.changes if c.action is not Action.NOOP]
    return [list(group) for _level, group in
            groupby(writes, key=lambda c: (c.action is Action.DELETE, LEVEL_OF[c.kind]))]


async def apply(plan: Plan, adapters: Adapters, *, parallelism: int = 8, recheck_against: LiveState | None = None,
                observer: Observer | None = None) -> ApplyResult:
    """Run every change of ``plan``; never raises for a single change's failure."""
    result = ApplyResult()
    broken: dict[tuple[Kind, str], str] = {}
    semaphore = asyncio.Semaphore(max(1, parallelism))

    def emit(event: ApplyEvent) -> None:
        result.events.append(event)
        if event.outcome is not Outcome.APPLIED:
            broken[(event.change.kind, event.change.key)] = event.change.address
        if observer is not None:
            observer(event)

    async def run(change: Change) -> None:
        blocked = [broken[d] for d in change.depends_on if d in broken]
        if blocked:
            emit(ApplyEvent(change, Outcome.SKIPPED, f"depends on {blocked[0]}, which did not apply"))
            return
        sent = [0]
        REQUESTS_SENT.set(sent)  # each change runs in its own task, so this counter is its own
        async with semaphore:
            try:
                await execute(change, adapters, seen=recheck_against)
            except ReconcilerError as exc:
                emit(ApplyEvent(change, Outcome.FAILED, scrub(str(exc), change), attempts=max(1, sent[0])))
                return
        emit(ApplyEvent(change, Outcome.APPLIED, attempts=max(1, sent[0])))

    for phase in phases(plan):
        await asyncio.gather(*(run(change) for change in phase))
    return result
