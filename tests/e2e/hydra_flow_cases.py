"""Cases for the differential tests of Hydra's browser flow and OpenID Connect endpoints.

Unlike the client API's cases (fixed request lists in ``hydra_cases``), a flow step needs what
the step before returned (a challenge, a verifier, a code), so each case here is a small
function that drives a ``Session`` and records every answer it gets.  The same function runs
against the emulator and real Hydra; ``normalise`` then masks what is generated (challenges,
verifiers, codes, tokens, ids, times, key material, base URLs) and keeps everything else:
status, the fields and values of every JSON body, redirect targets and their query parameters in
order, the claims of every ID token, and the ``Content-Type`` and ``Cache-Control`` headers.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from .oauth_flow import CALLBACK, Walk, query_of

SECRET = "flow-secret-123"
CODE_CLIENT = {"client_secret": SECRET, "grant_types": ["authorization_code", "refresh_token"],
               "response_types": ["code"], "scope": "openid offline_access email", "redirect_uris": [CALLBACK],
               "audience": ["api"]}
MASKED_PARAMS = {"login_challenge", "consent_challenge", "logout_challenge", "login_verifier", "consent_verifier",
                 "logout_verifier", "code", "code_challenge"}
ID_KEYS = {"challenge", "login_challenge", "session_id", "login_session_id", "sid", "jti", "kid", "at_hash"}
TIME_KEYS = {"iat", "nbf", "auth_time", "rat", "exp", "created_at", "updated_at", "expires_at", "requested_at"}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass
class Session:
    """One case's view of one server: a browser, the admin API, and the recorded answers."""

    walk: Walk
    answers: list[httpx.Response] = field(default_factory=list)

    @property
    def admin(self) -> httpx.Client:
        """The admin API."""
        return self.walk.admin

    def rec(self, response: httpx.Response) -> httpx.Response:
        """Record an answer for comparison and return it."""
        self.answers.append(response)
        return response

    def client(self, client_id: str, **fields: Any) -> None:
        """Create a client (not compared: the client API has its own cases)."""
        answer = self.admin.post("/admin/clients", json={"client_id": client_id, **CODE_CLIENT, **fields})
        assert answer.status_code == 201, answer.text

    def auth(self, client_id: str, **params: str) -> httpx.Response:
        """``GET /oauth2/auth`` (recorded)."""
        scope = params.pop("scope", "openid offline_access")
        return self.rec(self.walk.start(client_id, scope=scope, **params))

    def get(self, url: str) -> httpx.Response:
        """Follow a redirect with the browser's cookies (recorded)."""
        return self.rec(self.walk.follow(url))

    def login(self, response: httpx.Response, subject: str, **body: Any) -> httpx.Response:
        """GET the login request of a redirect, then accept it (both recorded); the accept answer."""
        challenge = query_of(response.headers["location"])["login_challenge"]
        self.rec(self.admin.get("/admin/oauth2/auth/requests/login", params={"login_challenge": challenge}))
        return self.rec(self.admin.put("/admin/oauth2/auth/requests/login/accept",
                                       params={"login_challenge": challenge},
                                       json={"subject": subject, "remember": True, "remember_for": 3600, **body}))

    def consent(self, response: httpx.Response, scopes: list[str], **body: Any) -> httpx.Response:
        """GET the consent request of a redirect, then accept it (both recorded); the accept answer."""
        challenge = query_of(response.headers["location"])["consent_challenge"]
        self.rec(self.admin.get("/admin/oauth2/auth/requests/consent", params={"consent_challenge": challenge}))
        payload = {"grant_scope": scopes, "remember": True, "remember_for": 3600,
                   "session": {"id_token": {"email": "foo@bar.com"}, "access_token": {"team": "photos"}}, **body}
        return self.rec(self.admin.put("/admin/oauth2/auth/requests/consent/accept",
                                       params={"consent_challenge": challenge}, json=payload))

    def code(self, client_id: str, subject: str, scopes: list[str], **params: str) -> str:
        """The whole front channel, every step recorded; the code ("" when refused)."""
        first = self.auth(client_id, scope=" ".join(scopes), **params)
        after_login = self.get(self.login(first, subject).json()["redirect_to"])
        final = self.get(self.consent(after_login, scopes).json()["redirect_to"])
        return query_of(final.headers["location"]).get("code", "")

    def token(self, client: tuple[str, str] | None, **form: str) -> httpx.Response:
        """``POST /oauth2/token`` with HTTP Basic (recorded)."""
        return self.rec(self.walk.browser.post(self.walk.public_url + "/oauth2/token", data=form, auth=client))

    def exchange(self, client_id: str, code: str, **form: str) -> httpx.Response:
        """The code exchange with the right secret (recorded)."""
        return self.token((client_id, SECRET), grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                          **form)

    def introspect(self, token: str) -> httpx.Response:
        """``POST /admin/oauth2/introspect`` (recorded)."""
        return self.rec(self.admin.post("/admin/oauth2/introspect", data={"token": token}))

    def userinfo(self, token: str | None) -> httpx.Response:
        """``GET /userinfo`` with a bearer token (recorded)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.rec(self.walk.browser.get(self.walk.public_url + "/userinfo", headers=headers))


Case = Callable[[Session], None]


# --- normalisation ----------------------------------------------------------------------------


def _url(value: str, bases: dict[str, str]) -> Any:
    for base, name in bases.items():
        value = value.replace(base, name)
    if "?" not in value:
        return value
    head, _, query = value.partition("?")
    pairs = [(k, f"<{k}>" if k in MASKED_PARAMS else v) for k, v in parse_qsl(query, keep_blank_values=True)]
    return [head, pairs]


def _jwt(token: str, bases: dict[str, str]) -> dict[str, Any]:
    head, body, _ = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return {"header": mask(decode(head), bases), "claims": mask(decode(body), bases)}


def mask(value: Any, bases: dict[str, str], key: str = "", parent: dict[str, Any] | None = None) -> Any:
    """Mask generated values in a parsed body, keeping its shape."""
    if isinstance(value, dict):
        return {k: mask(v, bases, k, value) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v, bases, key) for v in value]
    if isinstance(value, int) and key == "expires_in":
        return f"<{round(value / 60)}min>"  # Go counts the seconds left a moment after issuing
    if isinstance(value, int) and not isinstance(value, bool) and key in TIME_KEYS:
        if key == "exp" and parent is not None and isinstance(parent.get("iat"), int):
            return f"<iat+{round((value - parent['iat']) / 60)}min>"
        return "<time>"
    if not isinstance(value, str):
        return value
    if key == "id_token":
        return _jwt(value, bases)
    if key in ("n", "e") or key in ID_KEYS:
        return f"<{key}>"
    if key in TIME_KEYS:
        return "<timestamp>"
    for prefix in ("ory_at_", "ory_rt_", "ory_ac_"):
        if value.startswith(prefix):
            return f"<{prefix}>"
    if value.startswith("http"):
        return _url(value, bases)
    return UUID.sub("<uuid>", value)


def normalise(response: httpx.Response, public_url: str, admin_url: str) -> dict[str, Any]:
    """What must match between the emulator and real Hydra for one answer."""
    bases = {public_url: "<public>", admin_url: "<admin>"}
    out: dict[str, Any] = {"request": f"{response.request.method} {urlsplit(str(response.request.url)).path}",
                           "status": response.status_code}
    try:
        body: Any = response.json() if response.content else None
    except ValueError:
        body = response.text
        for base, name in bases.items():
            body = body.replace(base, name)
        body = re.sub(r'href="[^"]*"', 'href="..."', body)
    out["body"] = mask(body, bases)
    for name in ("location", "content-type", "cache-control", "www-authenticate"):
        if name in response.headers:
            value = response.headers[name]
            out[name] = _url(value, bases) if name == "location" else value
    return out
