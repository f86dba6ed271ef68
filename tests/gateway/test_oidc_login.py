"""openid-connect through the sandbox gateway, against the Hydra emulator and a real Ory Hydra v2.3.0.

This is the seed's login (shared/seed walkthrough, Step 6) without the screens: the desired
state declares the Hydra client and the APISIX route that references it, ``reconcile apply``
writes both, and the authorization-code flow runs through the gateway with the login and
consent challenges accepted through Hydra's admin API.  Every test runs against both Hydras
(the real one is the referee for the emulator's flow).  Expected behaviour is
``shared/spec/apisix-data-plane.md`` §4 (checklist numbers cited per test).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

from .conftest import Echo
from .oidc_flow import login

CLIENT_SECRET = "photo-secret-0123456789"
SESSION_SECRET = "session-secret-0123456789abcdef"

STATE = """\
hydra:
  issuer: {issuer}
  clients:
    - client_id: photo
      client_name: photo backup
      client_secret: ${{env:CLIENT_SECRET}}
      grant_types: [authorization_code, refresh_token, client_credentials]
      response_types: [code]
      scope: openid offline
      redirect_uris: [{gateway}/callback]
      token_endpoint_auth_method: {method}
apisix:
  upstreams:
    - id: echo
      type: roundrobin
      nodes:
        "{node}": 1
  routes:
    - id: photo
      uri: /*
      upstream_id: echo
      plugins:
        openid-connect:
          client: photo
          bearer_only: false
          token_endpoint_auth_method: {method}
          redirect_uri: {gateway}/callback
          scope: openid offline
          use_pkce: true
          session:
            secret: ${{env:SESSION_SECRET}}
"""


@dataclass
class Setup:
    """A sandbox with real Hydra and the gateway, the echo upstream, and the CLI environment."""

    box: Sandbox
    echo: Echo
    root: Path
    env: dict[str, str]

    def apply(self, method: str = "client_secret_basic") -> None:
        path = self.root / "state.yaml"
        path.write_text(STATE.format(issuer=self.box.hydra_public_url + "/", gateway=self.box.gateway_url,
                                     node=self.echo.node, method=method))
        result = CliRunner().invoke(cli, ["apply", "--auto-approve", str(path)], env=self.env)
        assert result.exit_code == 0, result.output
        assert CLIENT_SECRET not in result.output and SESSION_SECRET not in result.output

    def admin(self, method: str, path: str, body: Any = None) -> httpx.Response:
        return httpx.request(method, f"{self.box.apisix_admin_url}/apisix/admin{path}", json=body,
                             headers={"X-API-KEY": self.box.apisix_admin_key}, timeout=10)

    def client(self) -> httpx.Client:
        return httpx.Client(timeout=15, trust_env=False, follow_redirects=False)


def warm_up_keys(public_url: str, deadline: float = 90.0) -> None:
    """Ask for the JWKS until Hydra answers: on a loaded machine the first request, which makes
    the keys, can be dropped (``Server disconnected``) before it completes."""
    import time

    until = time.monotonic() + deadline
    while True:
        try:
            httpx.get(public_url + "/.well-known/jwks.json", timeout=60).raise_for_status()
            return
        except httpx.TransportError:
            if time.monotonic() > until:
                raise
            time.sleep(0.5)


def _setup(real: bool, echoes: list[Echo], tmp_path: Path) -> Iterator[Setup]:
    with Sandbox(real_hydra=real, gateway=True) as box:
        # Hydra makes its signing keys on first use, which can outlast the plugin's 3 s IdP timeout
        # on a loaded machine; APISIX would fail that login the same way, so warm the keys up first.
        warm_up_keys(box.hydra_public_url)
        env = {"HYDRA_ADMIN_URL": box.hydra_admin_url, "APISIX_ADMIN_URL": box.apisix_admin_url,
               "APISIX_ADMIN_KEY": box.apisix_admin_key, "CLIENT_SECRET": CLIENT_SECRET,
               "SESSION_SECRET": SESSION_SECRET, "NO_COLOR": "1"}
        yield Setup(box, echoes[0], tmp_path, env)


@pytest.fixture(params=[pytest.param(False, id="emulated-hydra"),
                        pytest.param(True, id="real-hydra", marks=pytest.mark.real_hydra)])
def setup(echoes: list[Echo], tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Setup]:
    """The sandbox with the gateway, once with the Hydra emulator and once with real Hydra."""
    yield from _setup(request.param, echoes, tmp_path)


@pytest.fixture
def real_setup(echoes: list[Echo], tmp_path: Path) -> Iterator[Setup]:
    """The sandbox with the gateway and real Hydra only (for what the emulator does not issue)."""
    yield from _setup(True, echoes, tmp_path)


def decode(header: str) -> Any:
    return json.loads(base64.b64decode(header))


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_login_through_the_gateway(setup: Setup, method: str) -> None:
    """Checklists 13, 15, 17, 18: redirect with state and PKCE, callback, session, identity headers."""
    setup.apply(method)
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/photos?album=1", setup.box.hydra_admin_url)
        assert walk.authorize is not None and walk.authorize.status_code == 302
        params = walk.query(walk.authorize)
        assert params["response_type"] == "code" and params["client_id"] == "photo"
        assert params["redirect_uri"] == setup.box.gateway_url + "/callback"
        assert params["scope"] == "openid offline"
        assert len(params["state"]) == 32 and int(params["state"], 16) >= 0
        assert "nonce" not in params  # use_nonce defaults to false in APISIX
        assert params["code_challenge_method"] == "S256" and len(params["code_challenge"]) == 43
        assert walk.authorize.headers["cache-control"] == "no-cache, no-store, max-age=0"
        cookie = walk.authorize.headers["set-cookie"]
        assert cookie.startswith("session=") and cookie.endswith("; Path=/; SameSite=Lax; HttpOnly")
        assert walk.callback is not None, [(r.status_code, r.headers.get("location")) for r in walk.hops]
        assert walk.callback.status_code == 302
        assert walk.callback.headers["location"] == "/photos?album=1"
        assert walk.callback.headers["set-cookie"] != cookie
        assert walk.final is not None and walk.final.status_code == 200
        seen = walk.final.json()
        assert seen["target"] == "/photos?album=1"
        headers = seen["headers"]
        assert headers["x-access-token"]
        id_claims = decode(headers["x-id-token"])
        assert id_claims["sub"] == "foo@bar.com" and id_claims["aud"] == ["photo"]
        assert id_claims["iss"] == setup.box.hydra_public_url + "/"
        assert decode(headers["x-userinfo"])["sub"] == "foo@bar.com"
        assert "session=" in headers["cookie"]
        assert len(setup.echo.seen) == 1  # the callback never reached the upstream
        # The session serves later requests without the provider; forged identity headers are dropped.
        again = client.get(setup.box.gateway_url + "/other", headers={"X-Userinfo": "forged", "X-ID-Token": "x"})
        assert again.status_code == 200
        assert decode(again.json()["headers"]["x-userinfo"])["sub"] == "foo@bar.com"
        assert decode(again.json()["headers"]["x-id-token"])["sub"] == "foo@bar.com"


def test_pkce_verifier_matches_the_challenge(setup: Setup) -> None:
    """Checklist 15: Hydra refuses a code whose verifier does not match; a completed login proves it did."""
    setup.apply()
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/", setup.box.hydra_admin_url)
    assert walk.final is not None and walk.final.status_code == 200
    challenge = walk.query(walk.authorize)["code_challenge"]  # type: ignore[arg-type]
    assert challenge != base64.urlsafe_b64encode(hashlib.sha256(b"").digest()).rstrip(b"=").decode()


def test_wrong_client_secret_in_the_route_breaks_the_callback(setup: Setup) -> None:
    """Checklist 21 ([A] ``openid-connect11.t`` TEST 5): token endpoint 401 → 500, no Location."""
    setup.apply()
    route = setup.admin("GET", "/routes/photo").json()["value"]
    route["plugins"]["openid-connect"]["client_secret"] = "not-the-secret"
    for key in ("create_time", "update_time"):
        route.pop(key, None)
    assert setup.admin("PUT", "/routes/photo", route).status_code == 200
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/", setup.box.hydra_admin_url)
    last = walk.hops[-1]
    assert walk.final is None
    assert last.status_code == 500 and "location" not in last.headers
    assert urlsplit(str(last.url)).path == "/callback"
    assert setup.echo.seen == []


def test_callback_without_session_or_with_unknown_state(setup: Setup) -> None:
    """Checklist 20 ([A] ``openid-connect11.t`` TEST 2-4)."""
    setup.apply()
    with setup.client() as client:
        bare = client.get(setup.box.gateway_url + "/callback?code=x&state=y")
        assert bare.status_code == 500
        first = client.get(setup.box.gateway_url + "/page?tab=A")
        assert first.status_code == 302
        stale = client.get(setup.box.gateway_url + "/callback?code=x&state=" + "0" * 32)
        assert stale.status_code == 302 and stale.headers["location"] == "/page?tab=A"
        posted = client.post(setup.box.gateway_url + "/callback?code=x&state=" + "0" * 32)
        assert posted.status_code == 500


def test_unauth_action_deny_and_pass(setup: Setup) -> None:
    """Checklist 25 ([A] ``openid-connect2.t`` TEST 6/8)."""
    setup.apply()
    route = setup.admin("GET", "/routes/photo").json()["value"]
    for key in ("create_time", "update_time"):
        route.pop(key, None)
    with setup.client() as client:
        route["plugins"]["openid-connect"]["unauth_action"] = "deny"
        setup.admin("PUT", "/routes/photo", route)
        denied = client.get(setup.box.gateway_url + "/")
        assert denied.status_code == 401 and "www-authenticate" not in denied.headers
        route["plugins"]["openid-connect"]["unauth_action"] = "pass"
        setup.admin("PUT", "/routes/photo", route)
        passed = client.get(setup.box.gateway_url + "/", headers={"X-Userinfo": "forged"})
        assert passed.status_code == 200 and "x-userinfo" not in passed.json()["headers"]


def test_logout_goes_to_hydra_end_session(setup: Setup) -> None:
    """Checklist 29 ([O] ``openidc_logout()``): 302 to the end-session endpoint with the ID token hint."""
    setup.apply()
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/", setup.box.hydra_admin_url)
        assert walk.final is not None and walk.final.status_code == 200
        out = client.get(setup.box.gateway_url + "/logout")
    assert out.status_code == 302
    location = urlsplit(out.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == \
        setup.box.hydra_public_url + "/oauth2/sessions/logout"
    assert "id_token_hint=" in location.query
    assert "Max-Age=0" in out.headers["set-cookie"]


def _client_token(setup: Setup, scope: str | None = None) -> str:
    form = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    answer = httpx.post(setup.box.hydra_public_url + "/oauth2/token", data=form,
                        auth=("photo", CLIENT_SECRET), timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def test_bearer_only_with_introspection(setup: Setup) -> None:
    """Checklists 31, 32 (§4.10): no token 401 with realm, ``Authorization: foo`` 400, bad token 401."""
    setup.apply()
    route = setup.admin("GET", "/routes/photo").json()["value"]
    for key in ("create_time", "update_time"):
        route.pop(key, None)
    route["plugins"]["openid-connect"].update({
        "bearer_only": True, "introspection_endpoint": setup.box.hydra_admin_url + "/admin/oauth2/introspect"})
    setup.admin("PUT", "/routes/photo", route)
    token = _client_token(setup)
    with setup.client() as client:
        url = setup.box.gateway_url + "/api"
        missing = client.get(url)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="apisix"'
        assert client.get(url, headers={"Authorization": "foo"}).status_code == 400
        bad = client.get(url, headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401
        assert bad.headers["www-authenticate"] == \
            'Bearer realm="apisix", error="invalid_token", error_description="invalid token"'
        good = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert good.status_code == 200
        assert good.json()["headers"]["x-access-token"] == token
        assert decode(good.json()["headers"]["x-userinfo"])["client_id"] == "photo"


def _route(setup: Setup) -> dict[str, Any]:
    route: dict[str, Any] = setup.admin("GET", "/routes/photo").json()["value"]
    for key in ("create_time", "update_time"):
        route.pop(key, None)
    return route


def test_expired_access_token_is_refreshed(setup: Setup) -> None:
    """Checklist 28 ([O] ``openidc_access_token()``): an expired token is renewed with the refresh token.

    ``access_token_expires_leeway: 3600`` makes Hydra's one-hour token count as expired at once,
    so every request after the login refreshes at Hydra (which rotates the tokens)."""
    setup.apply()
    route = _route(setup)
    route["plugins"]["openid-connect"]["access_token_expires_leeway"] = 3600
    assert setup.admin("PUT", "/routes/photo", route).status_code == 200
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/", setup.box.hydra_admin_url)
        assert walk.final is not None and walk.final.status_code == 200
        assert "session=" in walk.final.headers["set-cookie"]  # re-saved with the new tokens
        first = walk.final.json()["headers"]["x-access-token"]
        again = client.get(setup.box.gateway_url + "/")
        assert again.status_code == 200
        assert again.json()["headers"]["x-access-token"] != first


def test_refresh_failure_sends_the_browser_back_to_login(setup: Setup) -> None:
    """[O]: a refresh the provider refuses loses the access token; the request is unauthenticated (302)."""
    setup.apply()
    route = _route(setup)
    route["plugins"]["openid-connect"]["access_token_expires_leeway"] = 3600
    setup.admin("PUT", "/routes/photo", route)
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/", setup.box.hydra_admin_url)
        assert walk.final is not None and walk.final.status_code == 200
        revoked = httpx.delete(setup.box.hydra_admin_url + "/admin/oauth2/auth/sessions/consent",
                               params={"subject": "foo@bar.com", "all": "true"}, timeout=10)
        assert revoked.status_code == 204, revoked.text
        again = client.get(setup.box.gateway_url + "/")
    assert again.status_code == 302
    assert again.headers["location"].startswith(setup.box.hydra_public_url + "/oauth2/auth?")


@pytest.mark.real_hydra
def test_bearer_only_with_jwks(real_setup: Setup) -> None:
    """§4.10 (``use_jwks``): a JWT access token signed by Hydra passes; a forged signature is 401.

    Real Hydra only: the emulator issues opaque access tokens even for ``access_token_strategy: jwt``."""
    setup = real_setup
    setup.apply()
    created = httpx.post(setup.box.hydra_admin_url + "/admin/clients", timeout=10, json={
        "client_id": "machine", "client_secret": "machine-secret-0123", "grant_types": ["client_credentials"],
        "access_token_strategy": "jwt", "token_endpoint_auth_method": "client_secret_basic"})
    assert created.status_code == 201, created.text
    answer = httpx.post(setup.box.hydra_public_url + "/oauth2/token", data={"grant_type": "client_credentials"},
                        auth=("machine", "machine-secret-0123"), timeout=10)
    token = answer.json()["access_token"]
    assert token.count(".") == 2
    route = _route(setup)
    route["plugins"]["openid-connect"].update({"bearer_only": True, "use_jwks": True})
    setup.admin("PUT", "/routes/photo", route)
    head, body, signature = token.split(".")
    forged = f"{head}.{body}.{signature[:-4]}AAAA"
    with setup.client() as client:
        good = client.get(setup.box.gateway_url + "/api", headers={"Authorization": f"Bearer {token}"})
        assert good.status_code == 200
        assert decode(good.json()["headers"]["x-userinfo"])["client_id"] == "machine"
        bad = client.get(setup.box.gateway_url + "/api", headers={"Authorization": f"Bearer {forged}"})
        assert bad.status_code == 401 and 'error="invalid_token"' in bad.headers["www-authenticate"]


def test_two_tabs_both_log_in(setup: Setup) -> None:
    """Checklist 23 ([A] ``openid-connect11.t`` TEST 5; [O] 1.9.0 keeps several pending states)."""
    setup.apply()
    with setup.client() as client:
        tab_a = client.get(setup.box.gateway_url + "/a?tab=A")
        tab_b = client.get(setup.box.gateway_url + "/b?tab=B")
        assert tab_a.status_code == tab_b.status_code == 302
        walk = login(client, "", setup.box.hydra_admin_url, first=tab_a)
    assert walk.callback is not None and walk.callback.headers["location"] == "/a?tab=A"
    assert walk.final is not None and walk.final.status_code == 200


def test_default_redirect_uri(setup: Setup) -> None:
    """Checklist 14 ([A] ``openid-connect2.t`` TEST 10/16): ``http://<Host with port>/hello/.apisix/redirect``."""
    setup.apply()
    route = _route(setup)
    del route["plugins"]["openid-connect"]["redirect_uri"]
    assert setup.admin("PUT", "/routes/photo", route).status_code == 200
    with setup.client() as client:
        first = client.get(setup.box.gateway_url + "/hello/")
    assert first.status_code == 302
    params = {k: v[0] for k, v in parse_qs(urlsplit(first.headers["location"]).query).items()}
    assert params["redirect_uri"] == setup.box.gateway_url + "/hello/.apisix/redirect"


def _bearer_route(setup: Setup, **extra: Any) -> None:
    route = _route(setup)
    route["plugins"]["openid-connect"].update({
        "bearer_only": True, "introspection_endpoint": setup.box.hydra_admin_url + "/admin/oauth2/introspect",
        **extra})
    assert setup.admin("PUT", "/routes/photo", route).status_code == 200, route


def test_bearer_required_scopes_and_claim_schema(setup: Setup) -> None:
    """Checklist 33 ([A] ``rewrite()``): the 403 names every required scope in configuration order;
    ``claim_schema`` refuses with 401 ``invalid_token``."""
    setup.apply()
    _bearer_route(setup, required_scopes=["openid", "offline"])
    url = setup.box.gateway_url + "/api"
    with setup.client() as client:
        narrow = client.get(url, headers={"Authorization": f"Bearer {_client_token(setup, 'openid')}"})
        assert narrow.status_code == 403
        assert narrow.content == b'{"error":"required scopes openid, offline not present"}'
        wide = client.get(url, headers={"Authorization": f"Bearer {_client_token(setup, 'openid offline')}"})
        assert wide.status_code == 200
        _bearer_route(setup, claim_schema={"type": "object", "required": ["client_id"],
                                           "properties": {"client_id": {"type": "string", "enum": ["other"]}}})
        token = _client_token(setup, "openid offline")  # passes required_scopes, still on the route
        refused = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
        assert 'error="invalid_token"' in refused.headers["www-authenticate"]


def test_x_access_token_without_authorization_is_refused(setup: Setup) -> None:
    """§4.10 ([A] ``get_bearer_access_token()``): counted as a token, but the library reads only
    ``Authorization``, so the check fails with 401 ``no Authorization header found``."""
    setup.apply()
    _bearer_route(setup)
    with setup.client() as client:
        answer = client.get(setup.box.gateway_url + "/api", headers={"X-Access-Token": _client_token(setup)})
    assert answer.status_code == 401
    assert 'error_description="no Authorization header found"' in answer.headers["www-authenticate"]


def test_session_required_scopes_with_opaque_tokens(setup: Setup) -> None:
    """[A] 3.18 ``session_scopes()``: scopes come from a JWT access token or the ID token's ``scope``
    claim; Hydra's opaque tokens and scope-less ID tokens leave them unknown, so the login ends in 403."""
    setup.apply()
    route = _route(setup)
    route["plugins"]["openid-connect"]["required_scopes"] = ["openid"]
    setup.admin("PUT", "/routes/photo", route)
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/", setup.box.hydra_admin_url)
    assert walk.final is not None and walk.final.status_code == 403
    assert walk.final.content == b'{"error":"required scopes not present"}'


def test_logout_passes_post_logout_redirect_uri(setup: Setup) -> None:
    """[A] ``openid-connect.t`` TEST 38: with an end-session endpoint the configured
    ``post_logout_redirect_uri`` rides along; a second logout without a session has no hint."""
    setup.apply()
    route = _route(setup)
    route["plugins"]["openid-connect"]["post_logout_redirect_uri"] = setup.box.gateway_url + "/bye"
    setup.admin("PUT", "/routes/photo", route)
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/", setup.box.hydra_admin_url)
        assert walk.final is not None and walk.final.status_code == 200
        out = client.get(setup.box.gateway_url + "/logout")
        again = client.get(setup.box.gateway_url + "/logout")
    query = parse_qs(urlsplit(out.headers["location"]).query)
    assert query["post_logout_redirect_uri"] == [setup.box.gateway_url + "/bye"]
    assert query["id_token_hint"][0].count(".") == 2
    assert again.status_code == 302 and "id_token_hint" not in again.headers["location"]


def test_use_nonce_is_sent_and_checked(setup: Setup) -> None:
    """[O] ``openidc_authorize()``/``openidc_validate_id_token()``: with ``use_nonce`` a 32-hex nonce is
    sent and the ID token must carry it back."""
    setup.apply()
    route = _route(setup)
    route["plugins"]["openid-connect"]["use_nonce"] = True
    setup.admin("PUT", "/routes/photo", route)
    with setup.client() as client:
        walk = login(client, setup.box.gateway_url + "/", setup.box.hydra_admin_url)
    assert walk.authorize is not None
    nonce = walk.query(walk.authorize)["nonce"]
    assert len(nonce) == 32
    assert walk.final is not None and walk.final.status_code == 200
    assert decode(walk.final.json()["headers"]["x-id-token"])["nonce"] == nonce
