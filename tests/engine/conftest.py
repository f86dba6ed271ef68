"""Fixtures of the engine's acceptance tests: a sandbox plus a desired state, driven by the CLI.

``Stage`` runs ``reconcile`` in process (click's runner, so caplog and exception text can be
inspected) against real HTTP servers on 127.0.0.1, with the connection and the desired state's
secrets in the environment, and offers plain-httpx helpers for out-of-band edits.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from reconciler.cli import cli
from reconciler.config import Connection, Options
from reconciler.load.loader import load_state
from reconciler.run.engine import Run, fetch_and_plan
from reconciler.sandbox.runner import Sandbox
from reconciler.secrets import Secret

from .states import secret_env, write_state


@dataclass
class Outcome:
    """What one ``reconcile`` invocation did."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    exception: BaseException | None

    @property
    def everything(self) -> str:
        """stdout, stderr and the exception text together (for leak checks)."""
        return "\n".join([self.stdout, self.stderr, repr(self.exception), str(self.exception)])


@dataclass
class Stage:
    """A started sandbox, a desired state on disk and the environment that points at both."""

    box: Sandbox
    path: Path
    env: dict[str, str] = field(default_factory=dict)
    history: list[Outcome] = field(default_factory=list)

    def run(self, *args: str, path: Path | None = None) -> Outcome:
        """``reconcile ARGS PATH`` with this stage's environment."""
        argv = [*args, str(path or self.path)]
        result: Result = CliRunner().invoke(cli, argv, env=self.env, catch_exceptions=True)
        exc = result.exception if not isinstance(result.exception, SystemExit) else None
        outcome = Outcome(tuple(argv), result.exit_code, result.stdout, result.stderr, exc)
        self.history.append(outcome)
        return outcome

    def must(self, *args: str, code: int = 0) -> Outcome:
        """``run`` that fails the test, with the output, unless the exit code is ``code``."""
        out = self.run(*args)
        assert out.exception is None, f"reconcile {' '.join(args)} raised {out.exception!r}\n{out.stderr}"
        assert out.code == code, f"reconcile {' '.join(args)}: exit {out.code}, wanted {code}\n" \
                                 f"--- stdout\n{out.stdout}\n--- stderr\n{out.stderr}"
        return out

    # --- in-process engine ------------------------------------------------------------------

    def connection(self) -> Connection:
        """The ``Connection`` the CLI builds from ``env``."""
        return Connection(hydra_admin_url=self.box.hydra_admin_url, apisix_admin_url=self.box.apisix_admin_url,
                          apisix_admin_key=Secret(self.box.apisix_admin_key), timeout=10.0)

    def plan(self, options: Options | None = None) -> Run:
        """Load the desired state and plan in process."""
        desired = load_state(self.path, env=self.env)
        return fetch_and_plan(desired, self.connection(), options or Options())

    # --- out-of-band edits with plain HTTP --------------------------------------------------

    def apisix(self, method: str, path: str, json: Any = None) -> httpx.Response:
        """One Admin API request, e.g. ``apisix("GET", "/upstreams/photo-web")``."""
        url = f"{self.box.apisix_admin_url}/apisix/admin{path}"
        return httpx.request(method, url, json=json, headers={"X-API-KEY": self.box.apisix_admin_key}, timeout=10)

    def apisix_value(self, path: str) -> dict[str, Any]:
        """The ``value`` of one APISIX object, without the fields a PUT may not carry back."""
        response = self.apisix("GET", path)
        assert response.status_code == 200, response.text
        value: dict[str, Any] = response.json()["value"]
        return {k: v for k, v in value.items() if k not in ("create_time", "update_time")}

    def hydra(self, method: str, path: str, json: Any = None) -> httpx.Response:
        """One Hydra admin request on the version's path (``/admin/clients`` or ``/clients``)."""
        prefix = "" if self.box.hydra_version.startswith("1.") else "/admin"
        return httpx.request(method, f"{self.box.hydra_admin_url}{prefix}{path}", json=json, timeout=10)


def make_stage(tmp_path: Path, *, apisix_version: str = "3.18.0", hydra_version: str = "2.3.0",
               real_hydra: bool = False, canary: str = "", with_extras: bool = True) -> Iterator[Stage]:
    """Start a sandbox and write the rich desired state; yields a ``Stage``; stops the sandbox."""
    path = write_state(tmp_path / "desired", legacy=tuple(int(p) for p in apisix_version.split(".")) < (3, 14),
                       hydra_v1=hydra_version.startswith("1."), with_extras=with_extras)
    with Sandbox(real_hydra=real_hydra, apisix_version=apisix_version, hydra_version=hydra_version) as box:
        env = {**secret_env(canary), "HYDRA_ADMIN_URL": box.hydra_admin_url,
               "APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": box.apisix_admin_key,
               "NO_COLOR": "1"}
        yield Stage(box, path, env)


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    """APISIX 3.18.0 and the Hydra 2.3.0 emulator, with the rich desired state written (not applied)."""
    yield from make_stage(tmp_path)


@pytest.fixture
def applied(stage: Stage) -> Stage:
    """``stage`` after a successful ``apply --auto-approve``."""
    stage.must("apply", "--auto-approve")
    return stage


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog at DEBUG for every logger (httpx included)."""
    caplog.set_level(logging.DEBUG)
    return caplog
