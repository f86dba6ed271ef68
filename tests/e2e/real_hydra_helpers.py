"""Drive ``reconcile`` against a real Ory Hydra, keep a transcript, and touch Hydra by hand.

The end-to-end tests need three things over and over: run the CLI in process with
``HYDRA_ADMIN_URL`` and the secret variables set (as a CI job would), change clients behind
the tool's back with plain HTTP (as an operator with ``curl`` would), and prove afterwards that
no secret value ever reached a terminal.  ``Operator`` does all three; every command's stdout
and stderr are kept so that one check at the end covers the whole session.  The desired states
too large to read inline in a test (every client field, 1,100 generated clients) live here too.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from reconciler.cli import cli as reconcile_cli
from reconciler.sandbox.realhydra import RealHydra, repo_root

HTTP_TIMEOUT = 30.0
HYDRA_CLI = repo_root() / "bin" / "hydra"


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
        """``reconcile ARGS DESIRED`` in process (the desired-state directory is the last argument)."""
        return self.run_args(*args, str(self.desired), env=env)

    def run_args(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        """``reconcile ARGS`` in process, exactly as given (for a saved plan file, say)."""
        full_env = {"HYDRA_ADMIN_URL": self.hydra.admin_url, "NO_COLOR": "1", **self.env, **(env or {})}
        result: Result = CliRunner().invoke(reconcile_cli, list(args), env=full_env, catch_exceptions=False)
        outcome = Outcome(tuple(args), result.exit_code, result.stdout, result.stderr)
        self.transcript.append(outcome)
        return outcome

    def must(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        """``run`` that requires exit code 0."""
        return _succeeded(self.run(*args, env=env))

    def must_args(self, *args: str, env: dict[str, str] | None = None) -> Outcome:
        """``run_args`` that requires exit code 0."""
        return _succeeded(self.run_args(*args, env=env))

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

    def clients(self) -> list[dict[str, Any]]:
        """Every client on the server, following ``Link rel="next"`` at the maximum page size."""
        found: list[dict[str, Any]] = []
        url = "/admin/clients?page_size=1000"
        with self.http() as http:
            while True:
                response = http.get(url)
                response.raise_for_status()
                page = response.json()
                found.extend(page)
                nxt = response.links.get("next", {}).get("url")
                if len(page) < 1000 or not nxt:
                    return found
                url = nxt

    def client_ids(self) -> list[str]:
        """Every client id on the server, in Hydra's order."""
        return [str(c["client_id"]) for c in self.clients()]


def _succeeded(outcome: Outcome) -> Outcome:
    assert outcome.code == 0, f"reconcile {' '.join(outcome.args)} exited {outcome.code}:\n{outcome.output}"
    return outcome


# --- desired states and hand-made clients -------------------------------------------------


def hydra_cli(admin_url: str, *args: str) -> dict[str, object]:
    """Run the real ``hydra`` CLI against the admin port; its JSON output."""
    done = subprocess.run([str(HYDRA_CLI), *args, "--endpoint", admin_url, "--format", "json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


#: A lifespan as written in YAML, and as real Hydra returns it (Go's ``time.Duration.String()``).
LIFESPANS: list[tuple[str, str]] = [
    ("90m", "1h30m0s"), ("1.5h", "1h30m0s"), ("0.5h", "30m0s"), ("3600s", "1h0m0s"), ("1h0m0s", "1h0m0s"),
    ("2h45m30s", "2h45m30s"), ("10000h", "10000h0m0s"), ("1500ms", "1.5s"), ("500ms", "500ms"), ("100us", "100µs"),
]


#: Every client field the model accepts (``JWK`` is replaced by a fresh key), plus a client with a
#: ``jwks_uri`` and a public client.  Pairwise subjects and ``sector_identifier_uri`` are left out:
#: Hydra needs configuration and a reachable URL for them.
FULL_YAML = """\
hydra:
  clients:
    - client_id: web-full
      client_name: Full web
      client_secret: ${env:FULL_SECRET}
      redirect_uris: [http://127.0.0.1:9080/cb, https://app.example.com/cb]
      grant_types: [authorization_code, refresh_token, implicit]
      response_types: [code, id_token, "code id_token", token]
      scope: [openid, offline, email, profile]
      audience: [https://api.example.com, https://api2.example.com]
      owner: team-x
      policy_uri: https://app.example.com/policy
      tos_uri: https://app.example.com/tos
      client_uri: https://app.example.com
      logo_uri: https://app.example.com/logo.png
      allowed_cors_origins: [https://app.example.com]
      contacts: [ops@example.com, dev@example.com]
      subject_type: public
      request_uris: [https://app.example.com/request]
      request_object_signing_alg: RS256
      userinfo_signed_response_alg: RS256
      frontchannel_logout_uri: https://app.example.com/fl
      backchannel_logout_uri: https://app.example.com/bl
      frontchannel_logout_session_required: true
      backchannel_logout_session_required: true
      post_logout_redirect_uris: [https://app.example.com/bye]
      metadata: {team: x, nested: {a: [1, 2], b: "", c: 1.5}}
      access_token_strategy: jwt
      skip_consent: true
      skip_logout_consent: true
      authorization_code_grant_access_token_lifespan: 1h
      authorization_code_grant_id_token_lifespan: 2h
      authorization_code_grant_refresh_token_lifespan: 720h
      client_credentials_grant_access_token_lifespan: 30m
      implicit_grant_access_token_lifespan: 15m
      implicit_grant_id_token_lifespan: 16m
      jwt_bearer_grant_access_token_lifespan: 17m
      refresh_token_grant_id_token_lifespan: 18m
      refresh_token_grant_access_token_lifespan: 19m
      refresh_token_grant_refresh_token_lifespan: 20m
    - client_id: jwt-client
      grant_types: [client_credentials]
      scope: read
      token_endpoint_auth_method: private_key_jwt
      token_endpoint_auth_signing_alg: RS256
      jwks: {keys: [JWK]}
    - client_id: jwks-uri-client
      grant_types: [client_credentials]
      scope: read
      token_endpoint_auth_method: private_key_jwt
      jwks_uri: https://app.example.com/jwks.json
    - client_id: public-spa
      grant_types: [authorization_code]
      response_types: [code]
      scope: openid
      token_endpoint_auth_method: none
      redirect_uris: [http://127.0.0.1:3000/cb]
"""

#: One hand edit per field of ``web-full``, and the top-level field the plan must name.
HAND_EDITS: list[tuple[str, object]] = [
    ("client_name", "Renamed"),
    ("redirect_uris", ["http://127.0.0.1:9080/cb", "https://app.example.com/cb", "https://evil.example.com/cb"]),
    ("grant_types", ["authorization_code", "refresh_token"]),
    ("response_types", ["code"]),
    ("scope", "openid offline email"),
    ("audience", ["https://api.example.com"]),
    ("owner", "someone-else"),
    ("policy_uri", "https://evil.example.com/policy"),
    ("tos_uri", ""),
    ("client_uri", "https://evil.example.com"),
    ("logo_uri", "https://evil.example.com/logo.png"),
    ("allowed_cors_origins", ["https://evil.example.com"]),
    ("contacts", ["ops@example.com"]),
    ("request_uris", []),
    ("request_object_signing_alg", "none"),
    ("userinfo_signed_response_alg", "none"),
    ("frontchannel_logout_uri", "https://app.example.com/other"),
    ("backchannel_logout_uri", ""),
    ("frontchannel_logout_session_required", False),
    ("backchannel_logout_session_required", False),
    ("post_logout_redirect_uris", []),
    ("access_token_strategy", "opaque"),
    ("skip_consent", False),
    ("skip_logout_consent", False),
    ("token_endpoint_auth_method", "client_secret_post"),
    ("authorization_code_grant_access_token_lifespan", "2h"),
    ("refresh_token_grant_refresh_token_lifespan", None),
    ("metadata", {"team": "x", "nested": {"a": [1, 3], "b": "", "c": 1.5}}),
]


def rsa_jwk() -> dict[str, str]:
    """A fresh public RSA signing key as a JWK."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    def b64(n: int) -> str:
        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    numbers = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers()
    return {"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": b64(numbers.n), "e": b64(numbers.e)}


#: One client of team a (no secret: prune does not depend on it).
TEAM_A_CLIENT = """    - client_id: {cid}
      client_name: {cid}
      grant_types: [client_credentials]
      scope: read
"""


def team_a(*ids: str) -> str:
    """A desired state with these team-a clients."""
    return "hydra:\n  clients:\n" + "".join(TEAM_A_CLIENT.format(cid=cid) for cid in ids)


#: The paging test's size: more than one page of 1,000 (Hydra's maximum page size).
N_CLIENTS = 1100
N_WITH_SECRET = 5


def bulk_yaml() -> str:
    """1,100 clients: public ones (no secret to hash, so Hydra creates them fast) and a few with secrets."""
    lines = ["hydra:", "  clients:"]
    for i in range(N_CLIENTS - N_WITH_SECRET):
        lines += [f"    - client_id: bulk-{i:05d}", f"      client_name: Bulk {i}",
                  "      grant_types: [authorization_code]", "      response_types: [code]",
                  "      token_endpoint_auth_method: none", "      scope: openid",
                  f"      redirect_uris: [http://127.0.0.1:9080/cb/{i}]"]
    for i in range(N_WITH_SECRET):
        lines += [f"    - client_id: secret-{i}", "      grant_types: [client_credentials]",
                  "      scope: read", f"      client_secret: ${{env:BULK_SECRET_{i}}}"]
    return "\n".join(lines) + "\n"
