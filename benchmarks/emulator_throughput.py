"""Throughput of the APISIX emulator: GETs of one object per second with 8 concurrent clients.

Why: the engine benchmarks must measure the reconciler, not the emulator, so the emulator has to
serve at least 2,000 GETs/s on loopback.  The emulator runs in its own process (as ``reconcile
sandbox`` does) so that client and server do not share one interpreter lock.  Clients are either
raw keep-alive HTTP/1.1 connections on asyncio (``--client raw``, the lightest client, so the
figure is the server's) or threads with one ``httpx.Client`` each (``--client httpx``).

    python -m benchmarks.emulator_throughput [--seconds 5] [--clients 8] [--client raw|httpx]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import threading
import time

import httpx

ADMIN = "edd1c9f034335f136f87ad84b625c8f1"
SERVER = """
import sys, time
from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.apisix_resources import KINDS
from reconciler.sandbox.http import ServerThread
emu = ApisixEmulator()
for n in range(1000):
    emu._store(KINDS["routes"], f"/apisix/routes/{n}", {"id": str(n), "uri": f"/r/{n}", "plugins": {}})
thread = ServerThread(emu.server()).start()
print(thread.servers[0].port, flush=True)
sys.stdin.read()
thread.stop()
"""


async def _raw_client(port: int, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (f"GET /apisix/admin/routes/500 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: {ADMIN}\r\n\r\n").encode()
    done = 0
    while time.perf_counter() < deadline:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(head.decode())
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
        done += 1
    counts.append(done)
    writer.close()


def run_raw(port: int, seconds: float, clients: int) -> int:
    """Total requests answered by ``clients`` raw connections in ``seconds``."""
    counts: list[int] = []
    deadline = time.perf_counter() + seconds

    async def main() -> None:
        await asyncio.gather(*(_raw_client(port, deadline, counts) for _ in range(clients)))

    asyncio.run(main())
    return sum(counts)


def run_httpx(port: int, seconds: float, clients: int) -> int:
    """Total requests answered by ``clients`` threads with an httpx.Client each."""
    counts: list[int] = []
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        done = 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"X-API-KEY": ADMIN}) as client:
            while time.perf_counter() < deadline:
                client.get("/apisix/admin/routes/500").raise_for_status()
                done += 1
        counts.append(done)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts)


def main(argv: list[str] | None = None) -> int:
    """Start the emulator in a subprocess, load it, print requests per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    args = parser.parse_args(argv)
    proc = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        started = time.perf_counter()
        if args.client == "raw":
            total = run_raw(port, args.seconds, args.clients)
        else:
            total = run_httpx(port, args.seconds, args.clients)
        elapsed = time.perf_counter() - started
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        proc.wait(10)
    print(f"apisix emulator: {total / elapsed:,.0f} GET/s ({total} requests, {args.clients} {args.client} clients, "
          f"{elapsed:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
