"""An ``httpx.Client`` on a running APISIX emulator's Admin API, shared by the emulator's tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from reconciler.sandbox.apisix import ApisixEmulator
from reconciler.sandbox.http import ServerThread

ADMIN = "edd1c9f034335f136f87ad84b625c8f1"


def serve(emu: ApisixEmulator) -> Iterator[httpx.Client]:
    """Serve ``emu`` on a free port and yield a client of its ``/apisix/admin`` with the admin key."""
    with ServerThread(emu.server()) as thread, httpx.Client(
            base_url=thread.servers[0].url + "/apisix/admin", headers={"X-API-KEY": ADMIN}) as c:
        yield c
