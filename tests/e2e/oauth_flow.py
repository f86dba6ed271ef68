"""A plain-HTTP walk through Hydra's authorization-code flow, as a gateway or a browser does it.

The flow tests run the same walk against the Hydra emulator and real Hydra: ``/oauth2/auth``,
then the login and consent challenges (accepted through the admin API, or through the login
app's forms), the code at ``redirect_uri``, the token exchange, the ID token verified against
``/.well-known/jwks.json``, ``/userinfo`` and the refresh grant.  ``verify_id_token`` checks an
RS256 signature with ``cryptography`` alone, so the test depends on no JOSE library.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CALLBACK = "http://127.0.0.1:9080/callback"
"""Never contacted: the walk stops at the redirect to it and reads the code."""


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def pkce_pair(method: str = "S256") -> tuple[str, str]:
    """(verifier, challenge) for ``method`` (``S256`` or ``plain``)."""
    verifier = secrets.token_urlsafe(48)
    if method == "plain":
        return verifier, verifier
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verify_id_token(token: str, jwks: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of an RS256 JWT whose signature one key of ``jwks`` verifies; raises otherwise."""
    head_b64, body_b64, sig_b64 = token.split(".")
    header = json.loads(_b64decode(head_b64))
    assert header["alg"] == "RS256", header
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    public = rsa.RSAPublicNumbers(int.from_bytes(_b64decode(key["e"]), "big"),
                                  int.from_bytes(_b64decode(key["n"]), "big")).public_key()
    public.verify(_b64decode(sig_b64), f"{head_b64}.{body_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return header, json.loads(_b64decode(body_b64))


def query_of(location: str) -> dict[str, str]:
    """The first value of every query parameter of a URL."""
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query, keep_blank_values=True).items()}


@dataclass
class Walk:
    """One browser: a cookie jar on the public port, plus the admin API for the login app's part."""

    public_url: str
    admin_url: str
    browser: httpx.Client = field(init=False)
    admin: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.browser = httpx.Client(timeout=30, follow_redirects=False)
        self.admin = httpx.Client(base_url=self.admin_url, timeout=30)

    def close(self) -> None:
        """Close both clients."""
        self.browser.close()
        self.admin.close()

    def start(self, client_id: str, *, scope: str = "openid offline_access", state: str = "state-123456",
              nonce: str = "nonce-123456", redirect_uri: str = CALLBACK, **extra: str) -> httpx.Response:
        """``GET /oauth2/auth``; the answer (a redirect to the login page, or an error)."""
        params = {"client_id": client_id, "response_type": "code", "scope": scope, "redirect_uri": redirect_uri,
                  "state": state, "nonce": nonce, **extra}
        return self.browser.get(self.public_url + "/oauth2/auth", params=params)

    def follow(self, location: str) -> httpx.Response:
        """GET a Hydra URL with the browser's cookies."""
        return self.browser.get(location)

    def accept_login(self, challenge: str, subject: str = "foo@bar.com", remember: bool = True) -> str:
        """Accept through the admin API; the ``redirect_to``."""
        answer = self.admin.put("/admin/oauth2/auth/requests/login/accept", params={"login_challenge": challenge},
                                json={"subject": subject, "remember": remember, "remember_for": 3600})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["redirect_to"])

    def accept_consent(self, challenge: str, scopes: list[str], claims: dict[str, Any] | None = None) -> str:
        """Accept through the admin API with these scopes; the ``redirect_to``."""
        answer = self.admin.put("/admin/oauth2/auth/requests/consent/accept",
                                params={"consent_challenge": challenge},
                                json={"grant_scope": scopes, "remember": True, "remember_for": 3600,
                                      "session": {"id_token": claims or {}}})
        assert answer.status_code == 200, answer.text
        return str(answer.json()["redirect_to"])

    def code_via_admin(self, client_id: str, scopes: list[str], **start: str) -> tuple[str, dict[str, str]]:
        """Run auth -> login -> consent with admin-API accepts; (code, callback query)."""
        first = self.start(client_id, scope=" ".join(scopes), **start)
        assert first.status_code == 302, first.text
        login = query_of(first.headers["location"])["login_challenge"]
        after_login = self.follow(self.accept_login(login))
        assert after_login.status_code == 302, after_login.text
        consent = query_of(after_login.headers["location"])["consent_challenge"]
        final = self.follow(self.accept_consent(consent, scopes, {"email": "foo@bar.com"}))
        assert final.status_code == 303, final.text
        callback = query_of(final.headers["location"])
        return callback["code"], callback

    def code_via_login_app(self, client_id: str, scopes: list[str], **start: str) -> tuple[str, dict[str, str]]:
        """Run auth -> the login app's form -> its consent page's "Allow access"; (code, callback query)."""
        response = self.start(client_id, scope=" ".join(scopes), **start)
        while response.status_code in (302, 303) and not response.headers["location"].startswith(CALLBACK):
            response = self.browser.get(urljoin(str(response.url), response.headers["location"]))
            if response.status_code == 200 and "<form" in response.text:
                response = self._submit(response)
        assert response.status_code == 303, (response.status_code, response.text)
        callback = query_of(response.headers["location"])
        return callback["code"], callback

    def _submit(self, page: httpx.Response) -> httpx.Response:
        """Fill the login form with the demo user, or press "Allow access" on the consent page."""
        action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        assert action, page.text
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        if 'name="email"' in page.text:
            fields.update({"email": "foo@bar.com", "password": "foobar", "remember": "1", "submit": "Log in"})
        else:
            assert "Allow access" in page.text, page.text
            scopes = re.findall(r'<input type="checkbox" name="grant_scope" value="([^"]+)"', page.text)
            pairs = [*fields.items(), *(("grant_scope", s) for s in scopes), ("remember", "1"),
                     ("submit", "Allow access")]
            return self.browser.post(urljoin(str(page.url), action.group(1)), content=urlencode(pairs),
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        return self.browser.post(urljoin(str(page.url), action.group(1)), data=fields)

    def token(self, client: tuple[str, str], **form: str) -> httpx.Response:
        """``POST /oauth2/token`` with HTTP Basic credentials."""
        return self.browser.post(self.public_url + "/oauth2/token", data=form, auth=client)

