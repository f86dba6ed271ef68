"""What Hydra's token endpoint answers a secret probe, pinned on real Hydra v2.3.0 and the emulator.

``reconcile verify`` proves that Hydra holds the secret in Git with one token request.  For a
client without the ``client_credentials`` grant no token can be issued, so the answer itself
must show whether the client authenticated.  fosite authenticates the client before any grant
handler runs (``access_request_handler.go``: ``NewAccessRequest`` checks the client, then loops
over ``TokenEndpointHandlers``), and the client-credentials handler refuses a client without
that grant with ``unauthorized_client`` (``handler/oauth2/flow_client_credentials.go``).  So:

* wrong secret, or unknown client: 401 ``invalid_client`` (whatever the grant);
* right secret, grant not allowed: 400 ``unauthorized_client``, hint
  "The OAuth 2.0 Client is not allowed to use authorization grant 'client_credentials'.";
* right secret sent with another method than ``token_endpoint_auth_method``: 401
  ``invalid_client`` with a hint naming both methods, so a probe must use the declared method;
* a public client (``none``): 400 ``invalid_grant``, no secret to prove.

Each expectation is asserted literally on both servers, not only their equality.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from reconciler.sandbox.runner import Sandbox

SECRET = "probe-secret-123"
NOT_ALLOWED = ("The client is not authorized to request a token using this method. The OAuth 2.0 Client is not "
               "allowed to use authorization grant 'client_credentials'.")
INVALID_CLIENT = ("Client authentication failed (e.g., unknown client, no client authentication included, or "
                  "unsupported authentication method).")
CLIENTS = [
    {"client_id": "web", "client_secret": SECRET, "grant_types": ["authorization_code", "refresh_token"],
     "response_types": ["code"], "redirect_uris": ["http://127.0.0.1:9080/callback"], "scope": "openid offline"},
    {"client_id": "web-post", "client_secret": SECRET, "grant_types": ["authorization_code"],
     "response_types": ["code"], "redirect_uris": ["http://127.0.0.1:9080/callback"],
     "token_endpoint_auth_method": "client_secret_post"},
    {"client_id": "machine", "client_secret": SECRET, "grant_types": ["client_credentials"], "scope": "read"},
    {"client_id": "spa", "grant_types": ["authorization_code"], "response_types": ["code"],
     "redirect_uris": ["http://127.0.0.1:9080/callback"], "token_endpoint_auth_method": "none"},
]


@pytest.fixture(scope="module", params=["emulator", pytest.param("real", marks=pytest.mark.real_hydra)])
def public(request: pytest.FixtureRequest) -> Iterator[str]:
    """The public URL of a sandbox Hydra holding ``CLIENTS``."""
    with Sandbox(real_hydra=request.param == "real") as box:
        for client in CLIENTS:
            created = httpx.post(box.hydra_admin_url + "/admin/clients", json=client, timeout=30)
            assert created.status_code == 201, created.text
        yield box.hydra_public_url


def probe(public: str, client_id: str, secret: str | None, *, post: bool = False) -> httpx.Response:
    """``grant_type=client_credentials`` with HTTP Basic, or the secret in the body."""
    form = {"grant_type": "client_credentials"}
    if post:
        form.update({"client_id": client_id, **({"client_secret": secret} if secret is not None else {})})
        return httpx.post(public + "/oauth2/token", data=form, timeout=30)
    return httpx.post(public + "/oauth2/token", data=form, auth=(client_id, secret or ""), timeout=30)


def test_right_secret_without_the_grant_is_unauthorized_client(public: str) -> None:
    answer = probe(public, "web", SECRET)
    assert (answer.status_code, answer.json()) == (400, {"error": "unauthorized_client",
                                                         "error_description": NOT_ALLOWED})


def test_wrong_secret_without_the_grant_is_invalid_client(public: str) -> None:
    answer = probe(public, "web", "not-the-secret")
    assert (answer.status_code, answer.json()) == (401, {"error": "invalid_client",
                                                         "error_description": INVALID_CLIENT})


def test_unknown_client_is_invalid_client(public: str) -> None:
    answer = probe(public, "nobody", SECRET)
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")


def test_client_secret_post_client_answers_only_to_its_method(public: str) -> None:
    right = probe(public, "web-post", SECRET, post=True)
    assert (right.status_code, right.json()["error"]) == (400, "unauthorized_client")
    wrong = probe(public, "web-post", "not-the-secret", post=True)
    assert (wrong.status_code, wrong.json()["error"]) == (401, "invalid_client")
    basic = probe(public, "web-post", SECRET)
    assert (basic.status_code, basic.json()["error"]) == (401, "invalid_client")
    assert "'client_secret_post', but method 'client_secret_basic' was requested" in basic.json()["error_description"]


def test_client_with_the_grant_gets_a_token_that_can_be_revoked(public: str) -> None:
    answer = probe(public, "machine", SECRET)
    assert answer.status_code == 200, answer.text
    token = answer.json()
    assert token["access_token"].startswith("ory_at_") and token["token_type"] == "bearer"
    assert 3590 <= token["expires_in"] <= 3600
    revoked = httpx.post(public + "/oauth2/revoke", data={"token": token["access_token"]}, auth=("machine", SECRET),
                         timeout=30)
    assert revoked.status_code == 200
    assert probe(public, "machine", "not-the-secret").status_code == 401


def test_public_client_has_no_secret_to_prove(public: str) -> None:
    answer = probe(public, "spa", None, post=True)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
