"""The write floor: the least any tool must do to apply a change set, and nothing more.

An apply must know what exists and then send its writes.  This bare script does exactly that:
the read floor's paging (``floor.read_all``, every live object once), then the same writes
``reconcile apply`` sends (APISIX PUT, Hydra POST for a create and PUT for an update, DELETE
for a prune), level by level in dependency order, with at most ``--concurrency`` requests in
flight (the same as ``apply --parallelism``).  The writes go over aiohttp alone, the fastest
Python client measured here (about a third of the CPU per request of httpx over the same
aiohttp pool), with bodies prepared before the clock starts.  No loading, no planning, no
retries, no fingerprints.  ours/floor for an apply is the cost of everything we do on top.

Input: a JSON file of levels, each a list of ``{"method", "system", "path", "body"}`` (see
``writes.write_levels``).  Run: ``python -m benchmarks.write_floor WRITES.json`` with
``HYDRA_ADMIN_URL``, ``APISIX_ADMIN_URL`` and ``APISIX_ADMIN_KEY`` in the environment.  Prints
``{"objects": {kind: count}, "writes": n, "errors": n, "write_s": s}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.floor import read_all

Prepared = tuple[str, str, bytes | None]


def prepare(levels: list[list[dict[str, Any]]], bases: dict[str, str]) -> list[list[Prepared]]:
    """(method, URL, encoded body) of every write, level by level."""
    return [[(w["method"], bases[w["system"]] + w["path"],
              json.dumps(w["body"]).encode() if w.get("body") is not None else None) for w in level]
            for level in levels]


async def send_all(levels: list[list[Prepared]], admin_key: str, concurrency: int) -> tuple[int, int]:
    """Send every level's writes, ``concurrency`` at a time; (writes, errors)."""
    headers = {"X-API-KEY": admin_key, "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    sent = errors = 0
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        gate = asyncio.Semaphore(concurrency)

        async def one(method: str, url: str, body: bytes | None) -> None:
            nonlocal sent, errors
            async with gate, session.request(method, url, data=body) as response:
                await response.read()
                sent += 1
                if response.status >= 400 and not (method == "DELETE" and response.status == 404):
                    errors += 1
                    print(f"{method} {url}: {response.status}", file=sys.stderr)

        for level in levels:
            await asyncio.gather(*(one(*write) for write in level))
    return sent, errors


def main(argv: list[str] | None = None) -> int:
    """Command line: read everything, send the writes, print what was done as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.write_floor", description=__doc__.splitlines()[0])
    parser.add_argument("writes", type=Path)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--hydra-admin-url", default=os.environ.get("HYDRA_ADMIN_URL", ""))
    parser.add_argument("--apisix-admin-url", default=os.environ.get("APISIX_ADMIN_URL", ""))
    args = parser.parse_args(argv)
    key = os.environ.get("APISIX_ADMIN_KEY", "")
    bases = {"hydra": args.hydra_admin_url.rstrip("/"), "apisix": args.apisix_admin_url.rstrip("/")}
    raw = json.loads(args.writes.read_text(encoding="utf-8"))
    levels = prepare(raw, bases)
    systems = {w["system"] for level in raw for w in level}  # an apply reads the systems it declares
    counter = asyncio.run(read_all(args.hydra_admin_url if "hydra" in systems else None,
                                   args.apisix_admin_url if "apisix" in systems else None, key))
    start = time.perf_counter()
    sent, errors = asyncio.run(send_all(levels, key, args.concurrency))
    json.dump({"objects": counter.objects if counter else {}, "writes": sent, "errors": errors,
               "write_s": round(time.perf_counter() - start, 4)}, sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
