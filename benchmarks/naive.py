"""The naive script: what a user writes today without a reconciler.

For every declared object, in dependency order: one GET by id; on 404 create it (APISIX PUT,
Hydra POST); if the live object does not contain the declared fields, PUT the declared body.
Then DELETE what the previous state declared and this one drops.  Sequential, one
``httpx.Client``, no paging, no concurrency, no normalisation beyond "declared fields are a
subset of live fields" (which is what makes the script usable at all: servers add ids,
timestamps and, in APISIX's legacy mode, defaults).  Hydra never returns ``client_secret``, so
the script cannot compare it and ignores it.

Input is the manifest ``layout.write_manifest`` writes.  ``--dry-run`` only reads and counts
differences (the baseline for ``plan``).  Prints one JSON line with counts and the seconds spent
reading and writing, so a report can show the write phase alone.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import httpx

#: Fields the server never returns: the script cannot compare them.
WRITE_ONLY = frozenset({"client_secret"})


def contains(live: Any, desired: Any) -> bool:
    """True when every declared field of ``desired`` is in ``live`` with the same value."""
    if isinstance(desired, dict):
        return isinstance(live, dict) and all(
            k in WRITE_ONLY or (k in live and contains(live[k], v)) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(live, list) and len(live) == len(desired) and all(
            contains(a, b) for a, b in zip(live, desired, strict=True))
    return bool(live == desired) and type(live) is type(desired)


class Naive:
    """The script's state: one client, two base URLs, and what it did."""

    def __init__(self, client: httpx.Client, hydra_url: str, apisix_url: str, dry_run: bool) -> None:
        self.client = client
        self.base = {"hydra": hydra_url.rstrip("/"), "apisix": apisix_url.rstrip("/")}
        self.dry_run = dry_run
        self.stats = {"gets": 0, "creates": 0, "updates": 0, "deletes": 0, "differences": 0, "errors": 0}
        self.read_s = 0.0
        self.write_s = 0.0

    def _write(self, method: str, url: str, body: Any = None) -> None:
        start = time.perf_counter()
        response = self.client.request(method, url, json=body)
        self.write_s += time.perf_counter() - start
        if response.is_error and response.status_code != 404:
            self.stats["errors"] += 1
            print(f"{method} {url}: {response.status_code} {response.text[:200]}", file=sys.stderr)

    def sync(self, entry: dict[str, Any]) -> None:
        """GET one declared object; create or PUT it when it differs."""
        system, path, body = entry["system"], entry["path"], entry["body"]
        url = self.base[system] + path
        start = time.perf_counter()
        response = self.client.get(url)
        self.read_s += time.perf_counter() - start
        self.stats["gets"] += 1
        if response.status_code == 404:
            self.stats["differences"] += 1
            if not self.dry_run:
                self.stats["creates"] += 1
                if system == "hydra":
                    self._write("POST", self.base["hydra"] + "/admin/clients", body)
                else:
                    self._write("PUT", url, body)
            return
        response.raise_for_status()
        live = response.json()
        live = live.get("value", live) if system == "apisix" else live
        if contains(live, body):
            return
        self.stats["differences"] += 1
        if not self.dry_run:
            self.stats["updates"] += 1
            self._write("PUT", url, body)

    def delete(self, entry: dict[str, Any]) -> None:
        """DELETE one object the state no longer declares."""
        self.stats["differences"] += 1
        if not self.dry_run:
            self.stats["deletes"] += 1
            self._write("DELETE", self.base[entry["system"]] + entry["path"])


def main(argv: list[str] | None = None) -> int:
    """Command line: sync every object of the manifest, print what was done as JSON."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.naive", description=__doc__.splitlines()[0])
    parser.add_argument("manifest", type=Path)
    parser.add_argument("--dry-run", action="store_true", help="read and compare only")
    parser.add_argument("--hydra-admin-url", default=os.environ.get("HYDRA_ADMIN_URL", ""))
    parser.add_argument("--apisix-admin-url", default=os.environ.get("APISIX_ADMIN_URL", ""))
    args = parser.parse_args(argv)
    manifest = json.loads(args.manifest.read_text(encoding="utf-8"))
    headers = {"X-API-KEY": os.environ.get("APISIX_ADMIN_KEY", "")}
    with httpx.Client(headers=headers, timeout=60.0) as client:
        naive = Naive(client, args.hydra_admin_url, args.apisix_admin_url, args.dry_run)
        for entry in manifest["objects"]:
            naive.sync(entry)
        for entry in manifest.get("deletes", []):
            naive.delete(entry)
    json.dump({**naive.stats, "read_s": round(naive.read_s, 4), "write_s": round(naive.write_s, 4)},
              sys.stdout, sort_keys=True)
    sys.stdout.write("\n")
    return 1 if naive.stats["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
