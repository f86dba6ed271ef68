"""The whole authorization-code flow through the sandbox's login app, on the emulator and real Hydra.

A plain ``httpx`` client plays the browser (no gateway): ``/oauth2/auth`` -> the login app's
form with the demo user -> its consent page's "Allow access" -> the code at the callback ->
the token exchange -> the ID token verified against the JWKS -> ``/userinfo`` -> the refresh
grant.  The same test runs against a sandbox with the Hydra emulator and one with real Hydra
v2.3.0, whose ``URLS_LOGIN``/``URLS_CONSENT`` the sandbox points at the login app.  The login
app's refusals (wrong password, "Deny access", an unknown challenge) and the remembered login
are checked too, and the upstream hello page answers.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.runner import Sandbox

from .oauth_flow import CALLBACK, Walk, pkce_pair, query_of, verify_id_token

SECRET = "login-flow-secret"
CLIENT = {"client_id": "photos", "client_secret": SECRET, "client_name": "Photo backup",
          "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
          "scope": "openid offline_access email", "redirect_uris": [CALLBACK]}


@pytest.fixture(scope="module", params=["emulator", pytest.param("real", marks=pytest.mark.real_hydra)])
def box(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox (free ports) with the emulator or real Hydra, and the test client created."""
    with Sandbox(real_hydra=request.param == "real") as sandbox:
        created = httpx.post(sandbox.hydra_admin_url + "/admin/clients", json=CLIENT, timeout=30)
        assert created.status_code == 201, created.text
        yield sandbox


@pytest.fixture
def walk(box: Sandbox) -> Iterator[Walk]:
    """A fresh browser (empty cookie jar)."""
    browser = Walk(box.hydra_public_url, box.hydra_admin_url)
    yield browser
    browser.close()


def test_authorization_code_flow_through_the_login_app(box: Sandbox, walk: Walk) -> None:
    verifier, challenge = pkce_pair()
    code, callback = walk.code_via_login_app("photos", ["openid", "offline_access", "email"],
                                             code_challenge=challenge, code_challenge_method="S256")
    assert code.startswith("ory_ac_") and callback["state"] == "state-123456"
    assert callback["scope"] == "openid offline_access email"
    tokens = walk.token(("photos", SECRET), grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                        code_verifier=verifier).json()
    assert tokens["access_token"].startswith("ory_at_") and tokens["refresh_token"].startswith("ory_rt_")
    jwks = httpx.get(box.hydra_public_url + "/.well-known/jwks.json", timeout=30).json()
    issuer = httpx.get(box.hydra_public_url + "/.well-known/openid-configuration", timeout=30).json()["issuer"]
    _, claims = verify_id_token(tokens["id_token"], jwks)
    assert claims["iss"] == issuer == box.hydra_public_url + "/"
    assert claims["sub"] == "foo@bar.com" and claims["aud"] == ["photos"] and claims["nonce"] == "nonce-123456"
    assert claims["email"] == "foo@bar.com"
    info = httpx.get(box.hydra_public_url + "/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"},
                     timeout=30)
    assert info.status_code == 200 and info.json()["sub"] == "foo@bar.com"
    refreshed = walk.token(("photos", SECRET), grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    assert verify_id_token(refreshed.json()["id_token"], jwks)[1]["sub"] == "foo@bar.com"
    again = walk.token(("photos", SECRET), grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_a_remembered_login_skips_the_form(box: Sandbox, walk: Walk) -> None:
    walk.code_via_login_app("photos", ["openid"])
    first = walk.start("photos", scope="openid")
    login_page = walk.browser.get(first.headers["location"])
    assert login_page.status_code == 302, "the login app accepts a skipped login without a form"
    back = walk.browser.get(login_page.headers["location"])
    assert back.status_code == 302 and "consent_challenge=" in back.headers["location"]


def test_a_wrong_password_shows_the_form_again(box: Sandbox, walk: Walk) -> None:
    first = walk.start("photos", scope="openid")
    challenge = query_of(first.headers["location"])["login_challenge"]
    page = walk.browser.post(box.login_url + "/login", data={"challenge": challenge, "email": "foo@bar.com",
                                                             "password": "wrong", "submit": "Log in"})
    assert page.status_code == 401
    assert "The username / password combination is not correct" in page.text and 'name="email"' in page.text


def test_deny_access_at_the_login_returns_access_denied_to_the_client(box: Sandbox, walk: Walk) -> None:
    first = walk.start("photos", scope="openid")
    challenge = query_of(first.headers["location"])["login_challenge"]
    denied = walk.browser.post(box.login_url + "/login", data={"challenge": challenge, "submit": "Deny access"})
    assert denied.status_code == 302
    final = walk.browser.get(denied.headers["location"])
    assert final.status_code == 303 and final.headers["location"].startswith(CALLBACK)
    assert query_of(final.headers["location"])["error"] == "access_denied"


def test_deny_access_at_the_consent_returns_access_denied(box: Sandbox, walk: Walk) -> None:
    forget = walk.admin.delete("/admin/oauth2/auth/sessions/consent", params={"subject": "foo@bar.com", "all": "true"})
    assert forget.status_code == 204  # earlier tests ticked "Do not ask me again"
    first = walk.start("photos", scope="openid")
    challenge = query_of(first.headers["location"])["login_challenge"]
    accepted = walk.browser.post(box.login_url + "/login", data={"challenge": challenge, "email": "foo@bar.com",
                                                                 "password": "foobar", "submit": "Log in"})
    consent_redirect = walk.browser.get(accepted.headers["location"])
    consent = query_of(consent_redirect.headers["location"])["consent_challenge"]
    page = walk.browser.get(consent_redirect.headers["location"])
    assert "Allow access" in page.text and 'value="openid"' in page.text
    denied = walk.browser.post(box.login_url + "/consent", data={"challenge": consent, "submit": "Deny access"})
    final = walk.browser.get(denied.headers["location"])
    assert query_of(final.headers["location"])["error"] == "access_denied"


def test_unknown_or_missing_challenges_are_refused(box: Sandbox) -> None:
    missing = httpx.get(box.login_url + "/login", timeout=30)
    assert missing.status_code == 400 and "Expected a login challenge" in missing.text
    unknown = httpx.get(box.login_url + "/consent", params={"consent_challenge": "nope"}, timeout=30)
    assert unknown.status_code == 404 and "Hydra refused the request" in unknown.text


def test_the_upstream_hello_page_answers(box: Sandbox) -> None:
    page = httpx.get(box.upstream_url + "/any/path", timeout=30)
    assert page.status_code == 200 and "Hello from the upstream" in page.text and "/any/path" in page.text
    assert httpx.post(box.upstream_url + "/", timeout=30).status_code == 405


def test_cli_ports_make_the_issuer_and_the_login_urls() -> None:
    from reconciler.sandbox.realhydra import free_port

    from .test_sandbox_cli import SandboxProcess

    public_port, login_port, upstream_port = free_port(), free_port(), free_port()
    box = SandboxProcess("--hydra-public-port", str(public_port), "--login-port", str(login_port),
                         "--upstream-port", str(upstream_port))
    try:
        assert box.info["login"] == f"http://127.0.0.1:{login_port}"
        assert box.info["upstream"] == f"http://127.0.0.1:{upstream_port}"
        issuer = f"http://127.0.0.1:{public_port}/"
        assert httpx.get(issuer + ".well-known/openid-configuration", timeout=30).json()["issuer"] == issuer
        created = httpx.post(box.info["hydra-admin"] + "/admin/clients", json=CLIENT, timeout=30)
        assert created.status_code == 201, created.text
        walk = Walk(box.info["hydra-public"], box.info["hydra-admin"])
        try:
            first = walk.start("photos", scope="openid")
            assert first.headers["location"].startswith(f"http://127.0.0.1:{login_port}/login?login_challenge=")
            form = walk.browser.get(first.headers["location"])
            assert form.status_code == 200 and 'name="email"' in form.text
        finally:
            walk.close()
    finally:
        assert box.stop()[0] == 0


def test_the_login_app_names_an_unreachable_hydra() -> None:
    from reconciler.sandbox.http import HTTPServer, ServerThread
    from reconciler.sandbox.login_app import LoginApp
    from reconciler.sandbox.realhydra import free_port

    app = LoginApp(f"http://127.0.0.1:{free_port()}", timeout=5)
    server = HTTPServer(app.handle)
    with ServerThread(server):
        page = httpx.get(server.url + "/login", params={"login_challenge": "abc"}, timeout=30)
    assert page.status_code == 502 and "Hydra is unreachable" in page.text
