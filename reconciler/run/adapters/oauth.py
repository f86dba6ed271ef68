"""Hydra's OAuth2 side for ``reconcile verify``: discovery, the token and revocation endpoints on the
public port, and the login/consent and session endpoints of the admin API.

Unlike the admin adapters these calls are *expected* to fail at times: a wrong secret is an
answer to report, not an error to raise.  So every call returns an ``Answer`` (status, JSON,
``Location``) and only "no answer at all" raises ``ConnectError``, naming the URL.  Client
authentication follows RFC 6749 §2.3.1 as fosite and lua-resty-openidc do: for
``client_secret_basic`` the id and secret are form-url-encoded before base64; for
``client_secret_post`` they go in the form.  Nothing is retried: a token request is not
idempotent, and verify reports what the server said the first time.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import orjson

from reconciler.errors import ConnectError
from reconciler.run.adapters.http import _failure
from reconciler.secrets import Secret


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, kept whole for the report: status, JSON body (if any), text, Location."""

    status: int
    body: Any
    text: str
    location: str | None = None
    url: str = ""

    @property
    def error(self) -> str:
        """The OAuth2 ``error`` code, or ``""``."""
        return str(self.body.get("error", "")) if isinstance(self.body, dict) else ""

    def describe(self) -> str:
        """``HTTP 401 invalid_client: <description>`` or the start of the text."""
        if isinstance(self.body, dict) and "error" in self.body:
            desc = self.body.get("error_description") or ""
            return f"HTTP {self.status} {self.body['error']}: {desc}".rstrip(": ")
        if self.location:
            return f"HTTP {self.status} to {self.location[:200]}"
        text = " ".join(self.text.split())[:200]
        return f"HTTP {self.status}: {text}" if text else f"HTTP {self.status}"


async def send(client: httpx.AsyncClient, method: str, url: str, **kw: Any) -> Answer:
    """One request, never following redirects; ``ConnectError`` when no answer came."""
    try:
        response = await client.request(method, url, follow_redirects=False, **kw)
    except httpx.TransportError as exc:
        origin = url.split("?", 1)[0]
        raise ConnectError(_failure(exc, origin), method=method, url=origin) from exc
    except httpx.InvalidURL as exc:
        raise ConnectError(f"not a valid URL: {exc}", method=method, url=url) from exc
    body: Any = None
    if response.content and "json" in response.headers.get("content-type", ""):
        try:
            body = orjson.loads(response.content)
        except ValueError:
            body = None
    return Answer(response.status_code, body, response.text[:2000], response.headers.get("location"), url)


def client_auth(client_id: str, secret: Secret | None, method: str) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, form fields) that authenticate ``client_id`` by ``method``."""
    plain = secret.reveal() if secret is not None else ""
    if method == "client_secret_post":
        return {}, {"client_id": client_id, "client_secret": plain}
    if method == "none":
        return {}, {"client_id": client_id}
    pair = f"{quote(client_id, safe='')}:{quote(plain, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode()}, {}


class OAuthAdapter:
    """Hydra's public OAuth2 endpoints and the admin login/consent/session endpoints."""

    def __init__(self, client: httpx.AsyncClient, admin_url: str | None) -> None:
        self.client = client
        self.admin_url = admin_url.rstrip("/") if admin_url else None

    async def get_json(self, url: str) -> Answer:
        """GET a JSON document (discovery)."""
        return await send(self.client, "GET", url, headers={"Accept": "application/json"})

    async def token(self, url: str, client_id: str, secret: Secret | None, method: str,
                    form: dict[str, str]) -> Answer:
        """POST the token endpoint with client authentication."""
        headers, fields = client_auth(client_id, secret, method)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return await send(self.client, "POST", url, content=urlencode({**form, **fields}), headers=headers)

    async def revoke(self, url: str, client_id: str, secret: Secret | None, method: str, token: str) -> Answer:
        """Revoke a token we were issued (RFC 7009)."""
        return await self.token(url, client_id, secret, method, {"token": token, "token_type_hint": "access_token"})

    def _admin(self, path: str) -> str:
        if self.admin_url is None:
            raise ConnectError("no Hydra admin URL given (--hydra-admin-url or HYDRA_ADMIN_URL)", url=path)
        return self.admin_url + path

    async def accept_login(self, challenge: str, subject: str) -> Answer:
        """Accept the login for ``subject`` (not remembered, so no login session outlives the run)."""
        return await send(self.client, "PUT", self._admin("/admin/oauth2/auth/requests/login/accept"),
                          params={"login_challenge": challenge}, json={"subject": subject, "remember": False})

    async def consent_request(self, challenge: str) -> Answer:
        """GET the consent request behind ``challenge`` (its requested scopes and audience)."""
        return await send(self.client, "GET", self._admin("/admin/oauth2/auth/requests/consent"),
                          params={"consent_challenge": challenge})

    async def accept_consent(self, challenge: str, scopes: list[str], audience: list[str]) -> Answer:
        """Grant exactly what was requested, not remembered."""
        body = {"grant_scope": scopes, "grant_access_token_audience": audience, "remember": False}
        return await send(self.client, "PUT", self._admin("/admin/oauth2/auth/requests/consent/accept"),
                          params={"consent_challenge": challenge}, json=body)

    async def revoke_sessions(self, subject: str) -> list[Answer]:
        """Revoke every consent and the login sessions of ``subject`` (Hydra answers 204)."""
        consent = await send(self.client, "DELETE", self._admin("/admin/oauth2/auth/sessions/consent"),
                             params={"subject": subject, "all": "true"})
        login = await send(self.client, "DELETE", self._admin("/admin/oauth2/auth/sessions/login"),
                           params={"subject": subject})
        return [consent, login]
