"""Drive ``reconcile`` against a real Ory Hydra, keep a transcript, and touch Hydra by hand.

The end-to-end tests need three things over and over: run the CLI in process with
``HYDRA_ADMIN_URL`` and the secret variables set (as a CI job would), change clients behind
the tool's back with plain HTTP (as an operator with ``curl`` would), and prove afterwards that
no secret value ever reached a terminal.  ``Operator`` does all three; every command's stdout
and stderr are kept so that one check at the end covers the whole session.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from reconciler.cli import cli as reconcile_cli
from reconciler.sandbox.realhydra import RealHydra

HTTP_TIMEOUT = 30.0


@dataclass
class Outcome:
    """One finished command: the arguments, exit code and both streams."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """stdout followed by stderr (for messages and assertion texts)."""
        return self.stdout + self.stderr

    def json(self) -> Any:
        """stdout parsed as one JSON document."""
        return json.loads(self.stdout)


@dataclass
class Operator:
    """A desired-state directory, the CLI pointed at one real Hydra, and the session transcript.

    ``secrets`` holds every secret value ever set with ``set_secret`` (a rotated value stays in it);
    ``leaks()`` names those found in any command's output.
    """

    hydra: RealHydra
    root: Path
    env: dict[str, str] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    transcript: list[Outcome] = field(default_factory=list)

    @property
    def desired(self) -> Path:
        """The desired-state directory the commands read."""
        return self.root / "desired-state"

    # --- desired state ---------------------------------------------------------------------

    def write(self, text: str, name: str = "clients.yaml") -> Path:
        """Create or replace one desired-state file."""
        self.desired.mkdir(parents=True, exist_ok=True)
        path = self.desired / name
        path.write_text(text)
        return path

    def copy_in(self, source: Path, name: str | None = None) -> Path:
        """Copy an example file, unchanged, into the desired-state directory (as ``name``)."""
        self.desired.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy(source, self.desired / (name or source.name)))

    def set_secret(self, name: str, value: str) -> None:
        """Set a secret environment variable for later commands and remember its value."""
        self.env[name] = value
        self.secrets.add(value)

    # --- the CLI ---------------------------------------------------------------------------

    def run(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        """``reconcile ARGS`` in process; the desired-state directory is appended for subcommands."""
        full_env = {"HYDRA_ADMIN_URL": self.hydra.admin_url, "NO_COLOR": "1", **self.env, **(env or {})}
        result: Result = CliRunner().invoke(reconcile_cli, [*args, str(self.desired)], env=full_env,
                                            catch_exceptions=False)
        outcome = Outcome(tuple(args), result.exit_code, result.stdout, result.stderr)
        self.transcript.append(outcome)
        return outcome

    def must(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        """``run`` that requires exit code 0."""
        outcome = self.run(*args, env=env)
        assert outcome.code == 0, f"reconcile {' '.join(args)} exited {outcome.code}:\n{outcome.output}"
        return outcome

    def leaks(self) -> list[str]:
        """``command: secret`` for each secret value that shows in any command's output."""
        return [f"{' '.join(o.args)}: {secret}" for o in self.transcript for secret in sorted(self.secrets)
                if secret in o.output]

    # --- Hydra by hand ---------------------------------------------------------------------

    def http(self) -> httpx.Client:
        """A plain HTTP client on Hydra's admin port (the caller closes it)."""
        return httpx.Client(base_url=self.hydra.admin_url, timeout=HTTP_TIMEOUT)

    def get_client(self, client_id: str) -> dict[str, Any] | None:
        """The client as Hydra returns it, or None on 404."""
        with self.http() as http:
            response = http.get(f"/admin/clients/{client_id}")
        if response.status_code == 404:
            return None
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def put_client(self, client_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """PUT a whole client (Hydra replaces everything, ``metadata`` included)."""
        with self.http() as http:
            response = http.put(f"/admin/clients/{client_id}", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def post_client(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create a client by hand."""
        with self.http() as http:
            response = http.post("/admin/clients", json=body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def client_ids(self) -> list[str]:
        """Every client id on the server, following ``Link rel="next"`` at the maximum page size."""
        ids: list[str] = []
        url = "/admin/clients?page_size=1000"
        with self.http() as http:
            while True:
                response = http.get(url)
                response.raise_for_status()
                page = response.json()
                ids.extend(c["client_id"] for c in page)
                nxt = response.links.get("next", {}).get("url")
                if len(page) < 1000 or not nxt:
                    return ids
                url = nxt
