"""``dump`` gives back what the user wrote: ``client:`` links, ``hydra.issuer``, and with
``--like PATH`` the existing files and secret names, on the sandbox, round-tripping to an
empty plan."""

from __future__ import annotations

from pathlib import Path

import yaml

from .conftest import Edge

STATE = """\
hydra:
  issuer: {issuer}/
  clients:
    - client_id: shop-web
      client_secret: ${{env:SHOP_WEB_SECRET}}
      grant_types: [authorization_code, refresh_token]
      response_types: [code]
      scope: openid offline
      redirect_uris: [https://shop.example.com/callback]
apisix:
  upstreams:
    - id: shop
      nodes: {{"10.0.0.21:8080": 1}}
  routes:
    - id: shop-web
      uri: /shop/*
      upstream_id: shop
      plugins:
        openid-connect:
          client: shop-web
          bearer_only: false
          redirect_uri: https://shop.example.com/callback
          scope: openid offline
          session: {{secret: "${{env:SHOP_SESSION_SECRET}}"}}
"""
SECRETS = {"SHOP_WEB_SECRET": "shop-web-canary-4242", "SHOP_SESSION_SECRET": "session-canary-0123456789abcdef"}


def applied(edge: Edge) -> Edge:
    for old in edge.desired.glob("*.yaml"):
        old.unlink()
    edge.desired.mkdir(exist_ok=True)
    (edge.desired / "hydra.yaml").write_text(STATE.format(issuer=edge.box.hydra_public_url).split("apisix:")[0])
    (edge.desired / "gateway.yaml").write_text("apisix:" + STATE.format(issuer="").split("apisix:")[1])
    edge.env.update(SECRETS)
    result = edge.cli("apply", str(edge.desired), "--auto-approve")
    assert result.exit_code == 0, result.output
    return edge


def dotenv(path: Path) -> dict[str, str]:
    return {k: v.strip('"') for k, _, v in (line.partition("=") for line in path.read_text().splitlines()
                                            if line and not line.startswith("#"))}


def test_dump_rebuilds_client_links_and_the_issuer(edge: Edge) -> None:
    applied(edge)
    out, env_file = edge.root / "dumped", edge.root / "live.env"
    result = edge.cli("dump", "--out", str(out), "--secrets-out", str(env_file))
    assert result.exit_code == 0, result.output
    routes = yaml.safe_load((out / "apisix-routes.yaml").read_text())["apisix"]["routes"]
    oidc = routes[0]["plugins"]["openid-connect"]
    assert oidc["client"] == "shop-web"
    assert not {"client_id", "client_secret", "discovery"} & set(oidc)
    hydra = yaml.safe_load((out / "hydra-clients.yaml").read_text())["hydra"]
    assert hydra["issuer"] == edge.box.hydra_public_url + "/"
    assert hydra["clients"][0]["client_secret"] == "${env:RECONCILE_OAUTH2_CLIENT_SHOP_WEB_CLIENT_SECRET}"
    assert "not readable from Hydra" not in (out / "hydra-clients.yaml").read_text()  # the one client is managed
    values = dotenv(env_file)
    assert values["RECONCILE_OAUTH2_CLIENT_SHOP_WEB_CLIENT_SECRET"] == SECRETS["SHOP_WEB_SECRET"]
    assert not any(name.endswith("OIDC_CLIENT_SECRET") for name in values)
    for value in SECRETS.values():
        assert all(value not in p.read_text() for p in out.glob("*.yaml"))
    plan = edge.cli("plan", str(out), "--detailed-exitcode", env=values)
    assert plan.exit_code == 0, plan.output


def test_dump_like_reuses_files_and_secret_names(edge: Edge) -> None:
    applied(edge)
    out = edge.root / "again"
    result = edge.cli("dump", "--out", str(out), "--like", str(edge.desired))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.yaml")) == ["gateway.yaml", "hydra.yaml"]
    gateway = (out / "gateway.yaml").read_text()
    assert "${env:SHOP_SESSION_SECRET}" in gateway and "client: shop-web" in gateway
    assert "upstreams:" in gateway and "routes:" in gateway
    hydra = yaml.safe_load((out / "hydra.yaml").read_text())["hydra"]
    assert hydra["issuer"] == edge.box.hydra_public_url + "/"
    assert hydra["clients"][0]["client_secret"] == "${env:SHOP_WEB_SECRET}"
    # the same environment the original state uses plans the dump as empty
    plan = edge.cli("plan", str(out), "--detailed-exitcode")
    assert plan.exit_code == 0, plan.output


def test_a_plugin_with_another_secret_keeps_its_literals(edge: Edge) -> None:
    """Two plugins disagreeing on one client's secret cannot both be links: the second stays literal."""
    applied(edge)
    route = edge.apisix("GET", "/routes/shop-web").json()["value"]
    route["plugins"]["openid-connect"]["client_secret"] = "a-different-secret-99"
    route.pop("create_time", None)
    route.pop("update_time", None)
    route["id"] = "shop-web-2"
    route["uri"] = "/shop2/*"
    edge.apisix("PUT", "/routes/shop-web-2", json=route).raise_for_status()
    out = edge.root / "dumped"
    assert edge.cli("dump", "--out", str(out)).exit_code == 0
    routes = {r["id"]: r for r in yaml.safe_load((out / "apisix-routes.yaml").read_text())["apisix"]["routes"]}
    assert routes["shop-web"]["plugins"]["openid-connect"]["client"] == "shop-web"
    assert routes["shop-web-2"]["plugins"]["openid-connect"]["client_id"] == "shop-web"
