"""A real OAuth 2.0 ``client_credentials`` token request, to prove a client secret works.

Hydra's admin API never returns a secret, so the only proof that a stored secret is the one we
meant is to authenticate with it at the token endpoint of the public port.  Used against real
Hydra and against the Hydra emulator's minimal ``/oauth2/token``.
"""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx


def basic_auth(client_id: str, secret: str) -> str:
    """The ``Authorization`` value for ``client_secret_basic``: RFC 6749 §2.3.1 form-encodes both parts."""
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return "Basic " + base64.b64encode(raw).decode()


def request_token(public_url: str, client_id: str, secret: str, *, scope: str | None = None,
                  method: str = "client_secret_basic", timeout: float = 10.0) -> httpx.Response:
    """POST ``/oauth2/token`` with ``grant_type=client_credentials``; returns the raw response."""
    form = {"grant_type": "client_credentials"}
    headers = {"Accept": "application/json"}
    if scope is not None:
        form["scope"] = scope
    if method == "client_secret_post":
        form.update(client_id=client_id, client_secret=secret)
    else:
        headers["Authorization"] = basic_auth(client_id, secret)
    url = public_url.rstrip("/") + "/oauth2/token"
    return httpx.post(url, data=form, headers=headers, timeout=timeout)


def secret_works(public_url: str, client_id: str, secret: str) -> bool:
    """True when the token endpoint issues a bearer token for these credentials, False on 401.

    Any other answer is unexpected and raises, so a broken server never reads as "wrong secret".
    """
    response = request_token(public_url, client_id, secret)
    if response.status_code == 200:
        body = response.json()
        return bool(body.get("access_token")) and str(body.get("token_type", "")).lower() == "bearer"
    if response.status_code == 401 and response.json().get("error") == "invalid_client":
        return False
    raise AssertionError(f"unexpected token answer {response.status_code}: {response.text}")
