"""Shared fixtures: fresh emulators, a whole sandbox, and real Ory Hydra.

Every server is a real HTTP server on 127.0.0.1 with a free port, started fresh for the test
that asks for it.  Tests marked ``real_hydra`` need ``bin/hydra`` (``make hydra``); without it
they are reported as skipped with one reason, never as passed.  ``RECONCILE_REQUIRE_REAL_HYDRA=1``
(set by ``.ci/run``) turns that skip into a failure, so CI cannot go green without real Hydra.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.faults import FaultInjector
from reconciler.sandbox.http import ServerThread
from reconciler.sandbox.realhydra import RealHydra, find_hydra_binary
from reconciler.sandbox.runner import DEFAULT_ADMIN_KEY, DEFAULT_VIEWER_KEY, Sandbox

REAL_HYDRA_MISSING = "bin/hydra not built: run `make hydra`"
REQUIRE_REAL_HYDRA = os.environ.get("RECONCILE_REQUIRE_REAL_HYDRA", "") not in {"", "0", "false", "no"}
REQUIRE_BROWSER = os.environ.get("RECONCILE_REQUIRE_BROWSER", "") not in {"", "0", "false", "no"}
_SKIPPED = pytest.StashKey[dict[str, tuple[str, int]]]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``real_hydra`` and ``browser`` tests with one clear reason when what they need is
    missing, and fail instead in CI (``RECONCILE_REQUIRE_REAL_HYDRA``, ``RECONCILE_REQUIRE_BROWSER``)."""
    from tests.browser_env import browser_missing

    skipped = config.stash.setdefault(_SKIPPED, {})
    for marker, missing, required, variable in (
        ("real_hydra", None if find_hydra_binary() is not None else REAL_HYDRA_MISSING, REQUIRE_REAL_HYDRA,
         "RECONCILE_REQUIRE_REAL_HYDRA"),
        ("browser", browser_missing(), REQUIRE_BROWSER, "RECONCILE_REQUIRE_BROWSER"),
    ):
        wanted = [item for item in items if item.get_closest_marker(marker) is not None]
        if missing is None or not wanted:
            continue
        if required:
            raise pytest.UsageError(f"{variable} is set but {missing}")
        skip = pytest.mark.skip(reason=missing)
        for item in wanted:
            item.add_marker(skip)
        skipped[marker] = (missing, len(wanted))


@dataclass
class EmulatorHandle:
    """A running emulator: its URLs, the emulator object, its faults, and ``call`` to touch its state.

    ``call(fn)`` runs ``fn`` on the servers' event loop (emulator state is not thread-safe).
    Iterating gives ``(admin_url, public_url)`` so ``admin, public = hydra_emulator_urls`` works.
    """

    admin_url: str
    public_url: str
    emulator: Any
    thread: ServerThread
    admin_key: str = ""
    viewer_key: str = ""

    @property
    def url(self) -> str:
        """The admin URL (the APISIX emulator has only that one)."""
        return self.admin_url

    @property
    def faults(self) -> FaultInjector:
        """The emulator's fault injector."""
        injector: FaultInjector = self.emulator.faults
        return injector

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn`` on the server loop and return its result."""
        return self.thread.call(fn)

    def __iter__(self) -> Iterator[str]:
        return iter((self.admin_url, self.public_url))


@pytest.fixture(scope="session", autouse=True)
def _private_load_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Keep the desired-state load cache of the whole run in a temporary folder (subprocesses too)."""
    previous = os.environ.get("RECONCILE_CACHE_DIR")
    os.environ["RECONCILE_CACHE_DIR"] = str(tmp_path_factory.mktemp("load-cache"))
    yield
    if previous is None:
        os.environ.pop("RECONCILE_CACHE_DIR", None)
    else:
        os.environ["RECONCILE_CACHE_DIR"] = previous


@pytest.fixture
def hydra_emulator_urls() -> Iterator[EmulatorHandle]:
    """A fresh Hydra emulator (v2.3.0) on free loopback ports: ``admin_url``, ``public_url``."""
    from reconciler.sandbox.hydra import HydraEmulator

    emulator = HydraEmulator("2.3.0")
    admin, public = emulator.servers("127.0.0.1", 0, 0)
    with ServerThread(admin, public) as thread:
        thread.call(lambda: (emulator.set_admin_url(admin.url), emulator.set_public_url(public.url)))
        yield EmulatorHandle(admin.url, public.url, emulator, thread)


@pytest.fixture
def apisix_emulator() -> Iterator[EmulatorHandle]:
    """A fresh APISIX emulator (3.18.0) on a free loopback port: ``url``, ``admin_key``, ``emulator``."""
    from reconciler.sandbox.apisix import ApisixEmulator

    emulator = ApisixEmulator("3.18.0", admin_key=DEFAULT_ADMIN_KEY, viewer_key=DEFAULT_VIEWER_KEY)
    server = emulator.server("127.0.0.1", 0)
    with ServerThread(server) as thread:
        yield EmulatorHandle(server.url, "", emulator, thread, DEFAULT_ADMIN_KEY, DEFAULT_VIEWER_KEY)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A fresh, started ``Sandbox`` with the Hydra emulator and the APISIX emulator."""
    with Sandbox(real_hydra=False) as box:
        yield box


@pytest.fixture(scope="session")
def hydra_binary() -> Path:
    """The real Hydra binary; skips (fails under RECONCILE_REQUIRE_REAL_HYDRA) when it is missing."""
    binary = find_hydra_binary()
    if binary is None:
        if REQUIRE_REAL_HYDRA:
            pytest.fail("RECONCILE_REQUIRE_REAL_HYDRA is set but " + REAL_HYDRA_MISSING)
        pytest.skip(REAL_HYDRA_MISSING)
    return binary


@pytest.fixture
def real_hydra(hydra_binary: Path) -> Iterator[RealHydra]:
    """A fresh real Hydra v2.3.0 (memory DSN) on free loopback ports: ``admin_url``, ``public_url``."""
    with RealHydra(hydra_binary) as hydra:
        yield hydra


_TALLY = pytest.StashKey[dict[str, list[str]]]()


@pytest.fixture(scope="session")
def differential_tally(request: pytest.FixtureRequest) -> dict[str, list[str]]:
    """Names of differential cases that matched or differed; summarised at the end of the run."""
    return request.config.stash.setdefault(_TALLY, {"matched": [], "different": []})


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """One line with the differential count, when differential cases ran; one loud line per kind of
    test skipped for something missing on this machine, naming the command that enables it."""
    for marker, (missing, count) in sorted(config.stash.get(_SKIPPED, {}).items()):
        terminalreporter.write_sep("!", f"SKIPPED {count} {marker} tests: {missing}", red=True, bold=True)
    tally = config.stash.get(_TALLY, None)
    if tally and (tally["matched"] or tally["different"]):
        total = len(tally["matched"]) + len(tally["different"])
        terminalreporter.write_line(
            f"hydra differential: {len(tally['matched'])} of {total} cases matched real Hydra, "
            f"{len(tally['different'])} different: {', '.join(tally['different']) or '-'}")
