"""An advisory lease that ``apply`` holds from its first read to its last write.

Neither admin API offers compare-and-swap, so two applies that overlap can each read the same
live state, plan against it and overwrite each other: the end state is neither desired state.
The lease serialises applies (of this tool; a person with curl is not stopped by it):

* **Hydra in the desired state** (the strong case): the lease is an OAuth2 client with the fixed
  id ``LEASE_ID``, created with ``POST``.  Hydra answers 409 when the id exists, so the create
  is atomic: exactly one of two concurrent applies gets it.  The client is unusable for login
  (public, no redirect URI) and carries the holder in its ``metadata``.
* **APISIX only** (the weaker case): APISIX has no create-if-absent, its ``PUT`` replaces.  The
  lease is an upstream ``LEASE_ID`` that no route uses; an apply reads it, writes its token
  when it is absent or expired, waits ``SETTLE`` seconds and reads it back: the last writer
  wins and the others see a foreign token and wait.  This is safe only while the gap between
  a rival's read and its write is shorter than ``SETTLE``, which holds for this tool (one
  request apart) but is a timing assumption, not a guarantee.

Every lease records who holds it (user, host, pid), a random token and an expiry (wall-clock
seconds; hosts must agree on the time to within the TTL).  An expired lease is taken over, so
a killed apply blocks others for at most the TTL; a live holder renews at a third of the TTL.
``--lock-timeout`` is how long to wait for a held lease before giving up (0: do not wait).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import random
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Conflict, ReconcilerError
from reconciler.run.adapters.apisix import ApisixAdapter
from reconciler.run.adapters.hydra import HydraAdapter, concurrent_update
from reconciler.state.kinds import Kind

#: The id of the lease object, on Hydra (an OAuth2 client) or on APISIX (an upstream).
LEASE_ID = "reconcile-lease"
#: Where the lease's record sits in the Hydra client's metadata.
META_KEY = "reconcile-lease"
#: Seconds an APISIX lease writer waits before reading its write back.
SETTLE = 1.0
#: Seconds between two looks at a held lease.
POLL = 0.5


class LeaseHeld(ReconcilerError):
    """The lease is held by another apply and did not come free within ``--lock-timeout``."""


@dataclass(frozen=True)
class LeaseSettings:
    """Whether to take the lease, how long to wait for it and how long it lives unrenewed."""

    enabled: bool = True
    timeout: float = 0.0
    ttl: float = 300.0


@dataclass(frozen=True)
class Record:
    """Who holds a lease, and until when."""

    holder: str
    token: str
    expires: float

    def to_json(self) -> dict[str, Any]:
        """The record as stored."""
        return {"holder": self.holder, "token": self.token, "expires": round(self.expires, 3)}

    @staticmethod
    def parse(value: Any) -> Record | None:
        """A record read back, or None when it is not one (then it counts as expired)."""
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return None
        if not isinstance(value, dict):
            return None
        holder, token, expires = value.get("holder"), value.get("token"), value.get("expires")
        if not isinstance(holder, str) or not isinstance(token, str) or not isinstance(expires, int | float):
            return None
        return Record(holder, token, float(expires))


def me() -> str:
    """``user@host pid N``: enough to find the holder of a stuck lease."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()} pid {os.getpid()}"


class _Store:
    """Read, create, replace and delete the lease object on one server."""

    async def read(self) -> Record | bool | None:
        """The record, None when the object is absent, False when present but unreadable."""
        raise NotImplementedError

    async def create(self, record: Record, *, replace: bool) -> bool:
        """Write ``record``; False when the server says someone else got there first."""
        raise NotImplementedError

    async def delete(self) -> None:
        """Remove the lease object."""
        raise NotImplementedError

    #: Seconds to wait after a write before trusting it (0: the write itself was atomic).
    settle = 0.0


class _HydraStore(_Store):
    def __init__(self, adapter: HydraAdapter) -> None:
        self.adapter = adapter

    def _body(self, record: Record) -> dict[str, Any]:
        return {"client_name": "reconcile apply lease (not a login client; deleted when the apply ends)",
                "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"],
                "response_types": ["code"], "redirect_uris": [], "metadata": {META_KEY: record.to_json()}}

    async def read(self) -> Record | bool | None:
        live = await self.adapter.get(Kind.OAUTH2_CLIENT, LEASE_ID)
        if live is None:
            return None
        metadata = live.body.get("metadata")
        record = Record.parse(metadata.get(META_KEY) if isinstance(metadata, dict) else None)
        return record if record is not None else False

    async def create(self, record: Record, *, replace: bool) -> bool:
        if replace:
            await self.adapter.update(Kind.OAUTH2_CLIENT, LEASE_ID, self._body(record))
            return True
        try:
            # Safe to retry: a POST that landed before its answer was lost meets 409 on the retry,
            # and the read-back that follows finds our own token.
            await self.adapter.t.request("POST", self.adapter.prefix, retry_if=concurrent_update,
                                         body={"client_id": LEASE_ID, **self._body(record)})
        except Conflict:
            return False
        return True

    async def delete(self) -> None:
        await self.adapter.delete(Kind.OAUTH2_CLIENT, LEASE_ID)


class _ApisixStore(_Store):
    settle = SETTLE

    def __init__(self, adapter: ApisixAdapter) -> None:
        self.adapter = adapter

    async def read(self) -> Record | bool | None:
        live = await self.adapter.get(Kind.UPSTREAM, LEASE_ID)
        if live is None:
            return None
        record = Record.parse(live.body.get("desc"))
        return record if record is not None else False

    async def create(self, record: Record, *, replace: bool) -> bool:
        body = {"name": "reconcile apply lease (no route uses it; deleted when the apply ends)",
                "desc": json.dumps(record.to_json(), separators=(",", ":")), "type": "roundrobin",
                "nodes": {"127.0.0.1:1": 1}}
        await self.adapter.update(Kind.UPSTREAM, LEASE_ID, body)
        return True

    async def delete(self) -> None:
        await self.adapter.delete(Kind.UPSTREAM, LEASE_ID)


@dataclass
class _Held:
    store: _Store
    record: Record


async def _acquire(store: _Store, settings: LeaseSettings, clock: Callable[[], float]) -> _Held:
    token = uuid.uuid4().hex
    give_up = clock() + settings.timeout
    while True:
        current = await store.read()
        now = clock()
        free = current is None or current is False or (isinstance(current, Record) and current.expires <= now)
        if free:
            record = Record(me(), token, now + settings.ttl)
            if await store.create(record, replace=current is not None) and store.settle:
                await asyncio.sleep(store.settle)
            check = await store.read()
            if isinstance(check, Record) and check.token == token:
                return _Held(store, record)
            current = check
        if clock() >= give_up:
            if isinstance(current, Record) and current.token != token:
                left = max(0.0, current.expires - clock())
                raise LeaseHeld(f"another apply holds the lease ({current.holder}; it expires in {left:.0f} s "
                                f"unless renewed); wait for it, or pass --lock-timeout SECONDS to wait here")
            raise LeaseHeld("another apply took the lease at the same moment; run apply again, or pass "
                            "--lock-timeout SECONDS to wait")
        await asyncio.sleep(POLL * random.uniform(0.5, 1.5))


async def _renew(held: _Held, settings: LeaseSettings, clock: Callable[[], float]) -> None:
    while True:
        await asyncio.sleep(settings.ttl / 3)
        current = await held.store.read()
        if not (isinstance(current, Record) and current.token == held.record.token):
            return  # taken over after expiry: nothing of ours left to renew
        held.record = Record(held.record.holder, held.record.token, clock() + settings.ttl)
        await held.store.create(held.record, replace=True)


async def _release(held: _Held) -> None:
    current = await held.store.read()
    if isinstance(current, Record) and current.token == held.record.token:
        await held.store.delete()


@contextlib.asynccontextmanager
async def hold(hydra: HydraAdapter | None, apisix: ApisixAdapter | None, settings: LeaseSettings,
               clock: Callable[[], float] = time.time) -> AsyncIterator[None]:
    """Hold the lease for the body of the ``with``: on Hydra when the run uses Hydra, else on APISIX."""
    if not settings.enabled or (hydra is None and apisix is None):
        yield
        return
    store: _Store
    if hydra is not None:
        if hydra.info is None:
            await hydra.detect()
        store = _HydraStore(hydra)
    else:
        assert apisix is not None
        if apisix.info is None:
            await apisix.detect()
        store = _ApisixStore(apisix)
    held = await _acquire(store, settings, clock)
    renewer = asyncio.create_task(_renew(held, settings, clock))
    try:
        yield
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError, ReconcilerError):
            await renewer
        with contextlib.suppress(ReconcilerError):
            await _release(held)


def is_lease(kind: Kind, key: str) -> bool:
    """True for the lease object, which fetch hides from planning (it is never declared or pruned)."""
    return key == LEASE_ID and kind in (Kind.OAUTH2_CLIENT, Kind.UPSTREAM)
