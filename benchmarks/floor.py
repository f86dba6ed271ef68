"""The I/O floor: the least any tool must do to know the live state, and nothing more.

A bare httpx script that pages through every live object of the benchmarked kinds at the
servers' maximum page size (APISIX ``page_size=500``; Hydra ``page_size=1000`` following
``Link: rel="next"`` until a short page), reads the kinds concurrently and the APISIX pages
after the first concurrently (as ``reconcile`` does), parses the JSON and stops.  No
normalising, no diffing, no version detection, no retries.  ``reconcile plan`` cannot beat
this; the ratio ours/floor says how much our own work adds on top of the unavoidable reads.

Run: ``python -m benchmarks.floor`` with ``HYDRA_ADMIN_URL``, ``APISIX_ADMIN_URL`` and
``APISIX_ADMIN_KEY`` in the environment.  Prints ``{"objects": {kind: count}, "requests": n}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
from typing import Any, Final

import httpx

from reconciler.state.registry import SPECS

APISIX_PAGE: Final = 500
HYDRA_PAGE: Final = 1000
#: Every APISIX kind ``reconcile`` lists, from the kind registry (credentials are read per consumer,
#: and only for consumers that declare credentials, which the benchmark state has none of).
APISIX_KINDS: Final[tuple[str, ...]] = tuple(s.admin_path for s in SPECS if s.system == "apisix" and s.parent is None)
#: Kinds APISIX does not page (one GET answers the whole list).
UNPAGED: Final = frozenset(s.admin_path for s in SPECS if s.system == "apisix" and not s.paged)


class Counter:
    """Requests made and objects read, per kind."""

    def __init__(self) -> None:
        self.requests = 0
        self.objects: dict[str, int] = {}


async def _get(client: httpx.AsyncClient, url: str, counter: Counter, **kw: Any) -> httpx.Response:
    counter.requests += 1
    response = await client.get(url, **kw)
    response.raise_for_status()
    return response


async def read_apisix_kind(client: httpx.AsyncClient, base: str, kind: str, counter: Counter) -> int:
    """Every object of one APISIX kind: page 1 for the total, then the other pages at once."""
    url = f"{base}/apisix/admin/{kind}"
    params = None if kind in UNPAGED else {"page": 1, "page_size": APISIX_PAGE}
    first = (await _get(client, url, counter, params=params)).json()
    total = int(first.get("total") or 0)
    pages = [first]
    if params is not None and total > APISIX_PAGE:
        rest = await asyncio.gather(*(
            _get(client, url, counter, params={"page": n, "page_size": APISIX_PAGE})
            for n in range(2, math.ceil(total / APISIX_PAGE) + 1)))
        pages += [r.json() for r in rest]
    count = sum(len(p.get("list") or ()) for p in pages)
    if count:
        counter.objects[kind] = count
    return count


async def read_hydra_clients(client: httpx.AsyncClient, base: str, counter: Counter) -> int:
    """Every Hydra client, following ``Link: rel="next"`` and stopping on a short page."""
    url: str | None = f"{base}/admin/clients?page_size={HYDRA_PAGE}"
    count = 0
    while url is not None:
        response = await _get(client, url, counter)
        page = response.json() or []
        count += len(page)
        link = response.links.get("next", {}).get("url")
        url = str(httpx.URL(base).join(link)) if link and len(page) >= HYDRA_PAGE else None
    counter.objects["clients"] = count
    return count


async def read_all(hydra_url: str | None, apisix_url: str | None, admin_key: str,
                   kinds: tuple[str, ...] = APISIX_KINDS) -> Counter:
    """Read every live object of both systems concurrently."""
    counter = Counter()
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(limits=limits, timeout=60.0, headers={"X-API-KEY": admin_key}) as client:
        jobs = []
        if hydra_url:
            jobs.append(read_hydra_clients(client, hydra_url.rstrip("/"), counter))
        if apisix_url:
            jobs += [read_apisix_kind(client, apisix_url.rstrip("/"), kind, counter) for kind in kinds]
        await asyncio.gather(*jobs)
    return counter


def main(argv: list[str] | None = None) -> int:
    """Command line: read everything, print the counts as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor", description=__doc__.splitlines()[0])
    parser.add_argument("--hydra-admin-url", default=os.environ.get("HYDRA_ADMIN_URL"))
    parser.add_argument("--apisix-admin-url", default=os.environ.get("APISIX_ADMIN_URL"))
    args = parser.parse_args(argv)
    counter = asyncio.run(read_all(args.hydra_admin_url, args.apisix_admin_url,
                                   os.environ.get("APISIX_ADMIN_KEY", "")))
    json.dump({"objects": counter.objects, "requests": counter.requests}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
