"""``reconcile dump``: live state as desired-state YAML that plans as empty, without secrets."""

from __future__ import annotations

import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from reconciler.config import Connection, Options
from reconciler.run.dump import dump_live
from reconciler.sandbox.runner import Sandbox
from reconciler.secrets import Secret

from .conftest import Edge, make_edge

pytestmark = pytest.mark.timeout(180)

RICH = Path(__file__).resolve().parents[2] / "examples" / "rich"
RICH_SECRETS = {
    "RICH_ALICE_KEY": "alice-key-canary-0001",
    "RICH_BOB_KEY": "bob-key-canary-0002",
    "RICH_BOB_PASSWORD": "bob-password-canary-0003",
    "RICH_CAROL_JWT_SECRET": "carol-jwt-canary-0004-long-enough",
    "RICH_PHOTO_WEB_SECRET": "photo-web-canary-0005",
    "RICH_REPORTING_SECRET": "reporting-canary-0006",
    "RICH_SESSION_SECRET": "session-canary-0007-0123456789abcdef",
}


@pytest.fixture(params=["3.18.0", "3.13.0"])
def rich(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Edge]:
    """A sandbox (APISIX in 3.18 and 3.13 modes) with the rich example applied."""
    monkeypatch.chdir(tmp_path)
    with Sandbox(real_hydra=False, apisix_version=request.param) as box:
        edge = make_edge(box, tmp_path)
        shutil.rmtree(edge.desired)
        shutil.copytree(RICH, edge.desired)
        if request.param.startswith("3.13"):  # 3.13's openid-connect session has no cookie options yet
            routes = edge.desired / "routes.yaml"
            routes.write_text(routes.read_text().replace("            cookie_same_site: Lax\n", ""))
        edge.env.update(RICH_SECRETS)
        result = edge.cli("apply", str(edge.desired), "--auto-approve")
        assert result.exit_code == 0, result.output
        yield edge


def connection(edge: Edge) -> Connection:
    return Connection(edge.box.hydra_admin_url, edge.box.apisix_admin_url, Secret(edge.box.apisix_admin_key))


def test_dump_of_the_rich_example_plans_as_empty(rich: Edge) -> None:
    out = rich.root / "dumped"
    result = rich.cli("dump", "--out", str(out))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert "hydra-clients.yaml" in names and "apisix-routes.yaml" in names and "secrets.env.example" in names
    for path in out.glob("*.yaml"):
        text = path.read_text()
        assert text.startswith("# yaml-language-server: $schema=")
        assert "managed-by" not in text and "reconcile:" not in text
        for value in RICH_SECRETS.values():
            assert value not in text
        yaml.safe_load(text)
    for value in RICH_SECRETS.values():
        assert value not in result.output
        assert value not in (out / "secrets.env.example").read_text()
    assert "client_secret: not readable from Hydra" in (out / "hydra-clients.yaml").read_text()

    dump = dump_live(connection(rich), Options(), scope="owned", systems=frozenset({"hydra", "apisix"}), out_dir=out)
    env = {s.name: s.value.reveal() for s in dump.secrets if s.value is not None}
    assert "RECONCILE_ROUTE_PHOTO_WEB_OIDC_SESSION_SECRET" in env
    for name in env:
        assert name in result.output
    assert env["RECONCILE_CONSUMER_ALICE_KEY_AUTH_KEY"] == RICH_SECRETS["RICH_ALICE_KEY"]

    validated = rich.cli("validate", str(out), env=env)
    assert validated.exit_code == 0, validated.output
    plan = rich.cli("plan", str(out), "--detailed-exitcode", env=env)
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout


def test_scope_all_needs_adopt_and_scope_owned_skips_foreign(edge: Edge) -> None:
    assert edge.cli("apply", str(edge.desired), "--auto-approve").exit_code == 0
    edge.apisix("PUT", "/routes/foreign", json={"uri": "/foreign", "upstream_id": "web-backend"}).raise_for_status()
    owned, every = edge.root / "owned", edge.root / "all"
    assert edge.cli("dump", "--out", str(owned)).exit_code == 0
    assert "foreign" not in (owned / "apisix-routes.yaml").read_text()
    assert edge.cli("dump", "--out", str(every), "--scope", "all", "--system", "apisix").exit_code == 0
    assert "id: foreign" in (every / "apisix-routes.yaml").read_text()
    assert not (every / "hydra-clients.yaml").exists()
    env = {"RECONCILE_CONSUMER_ALICE_KEY_AUTH_KEY": edge.env["ALICE_KEY"]}
    plan = edge.cli("plan", str(every), "--adopt", "--output", "json", env=env)
    assert plan.exit_code == 0, plan.output
    assert '"reason": "adopted"' in plan.stdout and '"address": "route.foreign"' in plan.stdout


def test_scope_selector_needs_a_selector(edge: Edge) -> None:
    result = edge.cli("dump", "--out", str(edge.root / "x"), "--scope", "selector")
    assert result.exit_code == 1
    assert "--selector" in result.stderr


def test_scope_selector_round_trips_with_the_same_selector(edge: Edge) -> None:
    assert edge.cli("apply", str(edge.desired), "--auto-approve", "--selector", "team=a").exit_code == 0
    edge.apisix("PUT", "/routes/other-team", json={"uri": "/b", "upstream_id": "web-backend",
                                                    "labels": {"team": "b"}}).raise_for_status()
    out = edge.root / "team-a"
    result = edge.cli("dump", "--out", str(out), "--scope", "selector", "--selector", "team=a")
    assert result.exit_code == 0, result.output
    routes = (out / "apisix-routes.yaml").read_text()
    assert "id: web" in routes and "other-team" not in routes and "team:" not in routes
    assert "client_id: web-app" in (out / "hydra-clients.yaml").read_text()
    env = {"RECONCILE_CONSUMER_ALICE_KEY_AUTH_KEY": edge.env["ALICE_KEY"]}
    plan = edge.cli("plan", str(out), "--selector", "team=a", "--detailed-exitcode", env=env)
    assert plan.exit_code == 0, plan.output


def shell_env(path: Path) -> dict[str, str]:
    """The variables a POSIX shell gets from ``set -a; . FILE`` (an independent dotenv reader)."""
    out = subprocess.run(["bash", "-c", 'set -a; . "$1"; env -0', "_", str(path)], env={"PATH": "/usr/bin:/bin"},
                         capture_output=True, check=True).stdout.decode()
    return dict(item.split("=", 1) for item in out.split("\0") if "=" in item)


def test_secrets_out_round_trips_and_stays_private(rich: Edge) -> None:
    out = rich.root / "dumped"
    secrets = out / "live.env"
    result = rich.cli("dump", "--out", str(out), "--secrets-out", str(secrets))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert result.stderr.count("\n") == 1 and "never commit it" in result.stderr
    assert "/live.env" in (out / ".gitignore").read_text().splitlines()
    for value in RICH_SECRETS.values():
        assert value not in result.output
        for path in out.glob("*.yaml"):
            assert value not in path.read_text()
    env = shell_env(secrets)
    assert env["RECONCILE_CONSUMER_ALICE_KEY_AUTH_KEY"] == RICH_SECRETS["RICH_ALICE_KEY"]
    assert env["RECONCILE_ROUTE_PHOTO_WEB_OIDC_SESSION_SECRET"] == RICH_SECRETS["RICH_SESSION_SECRET"]
    plan = rich.cli("plan", str(out), "--detailed-exitcode", env=env)
    assert plan.exit_code == 0, plan.output
    assert "No changes" in plan.stdout

    before = secrets.read_text()
    again = rich.cli("dump", "--out", str(rich.root / "other"), "--secrets-out", str(secrets))
    assert again.exit_code != 0 and "--force" in again.stderr
    assert not (rich.root / "other").exists() and secrets.read_text() == before
    forced = rich.cli("dump", "--out", str(out), "--secrets-out", str(secrets), "--force")
    assert forced.exit_code == 0, forced.output
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert (out / ".gitignore").read_text().splitlines().count("/live.env") == 1
