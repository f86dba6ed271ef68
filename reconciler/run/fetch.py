"""Reading live state: open the adapters, detect versions, read every kind concurrently.

Only the systems the desired state declares are contacted.  A list that fails outright stops
the run (planning without it could overwrite what we never saw); a list that came back short
is marked incomplete, which forbids every delete, and each declared object it seems to lack is
confirmed absent with a GET, so that a create can never overwrite an object we missed.  Plugin
schemas, needed to recognise defaults, are read once per run; Hydra secret fingerprints are
checked on worker threads (PBKDF2 releases the GIL) while the APISIX reads go on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from reconciler.config import Connection
from reconciler.errors import PlanError
from reconciler.load import cache as loadcache
from reconciler.plan.normalize import hydra_split_metadata, plugin_names, schema_type
from reconciler.run.adapters.apisix import ApisixAdapter
from reconciler.run.adapters.base import Adapter
from reconciler.run.adapters.http import AdminClient, RateLimiter, RetryPolicy, make_client
from reconciler.run.adapters.hydra import HydraAdapter
from reconciler.run.lease import is_lease
from reconciler.secrets import Secret
from reconciler.state import fingerprints
from reconciler.state.kinds import Kind, ResolvedState
from reconciler.state.live import LiveState
from reconciler.state.registry import APISIX_KINDS, HYDRA_KINDS, spec


@dataclass
class Adapters:
    """The kind -> adapter registry for one run (decK's ``crud.Registry``)."""

    hydra: HydraAdapter | None = None
    apisix: ApisixAdapter | None = None

    def for_kind(self, kind: Kind) -> Adapter:
        """The adapter that owns ``kind``."""
        adapter: Adapter | None = self.hydra if kind in HYDRA_KINDS else self.apisix
        if adapter is None:
            system = "Hydra" if kind in HYDRA_KINDS else "APISIX"
            raise PlanError(f"no {system} admin URL given, but the desired state declares {kind.value} objects")
        return adapter

    @property
    def clients(self) -> list[AdminClient]:
        """The admin clients in use (for request counts)."""
        return [a.t for a in (self.hydra, self.apisix) if a is not None]


@contextlib.asynccontextmanager
async def open_adapters(conn: Connection, systems: frozenset[str], *, rps: float | None = None,
                        max_connections: int = 32, retry: RetryPolicy | None = None) -> AsyncIterator[Adapters]:
    """Adapters for the declared systems, sharing one HTTP client; closed on exit."""
    if "hydra" in systems and not conn.hydra_admin_url:
        raise PlanError("the desired state declares hydra: but no Hydra admin URL was given "
                        "(--hydra-admin-url or HYDRA_ADMIN_URL)")
    if "apisix" in systems and not conn.apisix_admin_url:
        raise PlanError("the desired state declares apisix: but no APISIX admin URL was given "
                        "(--apisix-admin-url or APISIX_ADMIN_URL)")
    if "apisix" in systems and not conn.apisix_admin_key:
        # Every Admin API request needs it; without it the first answer would be a 401.
        raise PlanError("the desired state declares apisix: but no APISIX admin key was given "
                        "(APISIX_ADMIN_KEY or --apisix-admin-key-file); nothing was contacted")
    for system, url in (("Hydra", conn.hydra_admin_url), ("APISIX", conn.apisix_admin_url)):
        if system.lower() in systems and url:
            _check_url(system, url)
    client = make_client(timeout=conn.timeout, ca_cert=str(conn.ca_cert) if conn.ca_cert else None,
                         insecure=conn.insecure, max_connections=max_connections)
    limiter = RateLimiter(rps)
    adapters = Adapters()
    try:
        if "hydra" in systems and conn.hydra_admin_url:
            adapters.hydra = HydraAdapter(AdminClient(client, conn.hydra_admin_url, retry=retry, limiter=limiter))
        if "apisix" in systems and conn.apisix_admin_url:
            headers = {"X-API-KEY": conn.apisix_admin_key.reveal()} if conn.apisix_admin_key else {}
            adapters.apisix = ApisixAdapter(AdminClient(client, conn.apisix_admin_url, headers=headers, retry=retry,
                                                      limiter=limiter))
        yield adapters
    finally:
        await client.aclose()


def _check_url(system: str, url: str) -> None:
    """Refuse an admin URL that is not ``http(s)://host...`` before anything is sent (httpx
    would raise ``InvalidURL`` mid-run, or report a missing scheme as a connection failure)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise PlanError(f"the {system} admin URL is not valid: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise PlanError(f"the {system} admin URL must look like http://host:port or https://host:port")


async def fetch(desired: ResolvedState, adapters: Adapters) -> LiveState:
    """Read every kind of every declared system."""
    live = LiveState()
    kinds: list[Kind] = []
    detected = await asyncio.gather(*(a.detect() for a in (adapters.hydra, adapters.apisix) if a is not None))
    for info in detected:
        live.servers[info.system] = info
    if adapters.hydra is not None:
        kinds.append(Kind.OAUTH2_CLIENT)
    if adapters.apisix is not None:
        kinds.extend(k for k in APISIX_KINDS)
    live.read = frozenset(kinds)

    async def read(kind: Kind) -> None:
        adapter = adapters.for_kind(kind)
        scope = desired.managed_credentials if spec(kind).parent is not None else None
        result = await adapter.list(kind, scope)
        live.objects[kind] = {k: v for k, v in result.objects.items() if not is_lease(kind, k)}
        if not result.complete:
            live.incomplete[kind] = result.problem or "the list was not read completely"
            await _confirm_absent(adapter, kind, desired, live)
        if kind is Kind.OAUTH2_CLIENT:
            await _check_fingerprints(desired, live)

    schemas = [_read_schemas(adapters.apisix, desired, live)] if adapters.apisix is not None else []
    await asyncio.gather(*(read(kind) for kind in kinds), *schemas)
    return live


async def _confirm_absent(adapter: Adapter, kind: Kind, desired: ResolvedState, live: LiveState) -> None:
    missing = [key for key in desired.of(kind) if key not in live.objects[kind]]
    found = await asyncio.gather(*(adapter.get(kind, key) for key in missing))
    for obj in found:
        if obj is not None:
            live.objects[kind][obj.key] = obj


async def _check_fingerprints(desired: ResolvedState, live: LiveState) -> None:
    """Warm the fingerprint cache on two threads, so the pure planner finds answers ready."""
    pairs: dict[str, tuple[Secret, str]] = {}
    for key, want in desired.of(Kind.OAUTH2_CLIENT).items():
        have = live.of(Kind.OAUTH2_CLIENT).get(key)
        secret = want.body.get("client_secret")
        if have is None or not isinstance(secret, Secret):
            continue
        fp = hydra_split_metadata(have.body)[1].get("secret")
        if isinstance(fp, str):
            pairs[key] = (secret, fp)
    unknown = [pair for pair in pairs.values() if not fingerprints.known(*pair)]
    if not unknown:
        return
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="fingerprint") as pool:
        await asyncio.gather(*(loop.run_in_executor(pool, fingerprints.matches, s, fp) for s, fp in unknown))
    loadcache.save_verified(desired, {key: fp for key, (s, fp) in pairs.items() if fingerprints.matches(s, fp)})


async def _read_schemas(adapter: ApisixAdapter, desired: ResolvedState, live: LiveState) -> None:
    wanted: set[tuple[str, str]] = set()
    for kind in APISIX_KINDS:
        stype = schema_type(kind)
        for obj in desired.of(kind).values():
            if stype == "metadata":  # the body is the plugin's metadata itself
                wanted.add((obj.key, stype))
            wanted.update((name, stype) for name in plugin_names(obj.body))
    names = sorted(wanted)
    schemas = await asyncio.gather(*(adapter.plugin_schema(name, stype) for name, stype in names))
    live.schemas.update(zip(names, schemas, strict=True))
