"""The sandbox's login and consent app, standing in for the seed's hydra-login-consent-node.

Hydra does not log anyone in: it sends the browser to a login app with a ``login_challenge``
and to a consent app with a ``consent_challenge``, and that app tells Hydra's admin API who
logged in and what they allowed.  The seed walkthrough runs ory/hydra-login-consent-node; the
sandbox serves the same pages so that a browser, ``reconcile verify`` or a test can finish a
login against the emulator or real Hydra with nothing else installed:

* ``GET /login``: a login form (demo user ``foo@bar.com`` / ``foobar``), or, when Hydra says
  ``skip`` (a remembered session), an immediate accept with Hydra's subject;
* ``POST /login``: accept (``remember`` for an hour when ticked), reject on "Deny access", or
  the form again with the node app's "The username / password combination is not correct";
* ``GET /consent``: the requested scopes as ticked boxes with "Allow access" and "Deny access",
  or an immediate accept when Hydra says ``skip`` or the client has ``skip_consent``;
* ``POST /consent``: accept the ticked scopes and the requested audience, putting ``email`` in
  the ID token when the ``email`` scope is granted, or reject with ``access_denied``;
* ``GET``/``POST /logout``: confirm or refuse a logout challenge.

The app talks to Hydra's admin URL with ``httpx.AsyncClient``: it shares the event loop with
the Hydra emulator, so a blocking call would deadlock.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs

import httpx

from reconciler.sandbox.http import Request, Response

DEMO_USER = "foo@bar.com"
DEMO_PASSWORD = "foobar"
REMEMBER_FOR = 3600
BAD_CREDENTIALS = "The username / password combination is not correct"
PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{title}</title></head>
<body>
<h1>{title}</h1>
{body}
</body>
</html>
"""


def _page(status: int, title: str, body: str) -> Response:
    text = PAGE.format(title=html.escape(title), body=body)
    return Response(status, text.encode(), [("Content-Type", "text/html; charset=utf-8"),
                                            ("Cache-Control", "no-store")])


def _redirect(location: str) -> Response:
    return Response(302, b"", [("Location", location), ("Cache-Control", "no-store")])


def _hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{name}" value="{html.escape(value, quote=True)}">'


class LoginApp:
    """The app's handler; ``admin_url`` is Hydra's admin base URL (settable after start)."""

    def __init__(self, admin_url: str = "", timeout: float = 10.0) -> None:
        self.admin_url = admin_url.rstrip("/")
        self.timeout = timeout

    async def handle(self, request: Request) -> Response:
        """Route one request."""
        path = request.path.rstrip("/") or "/"
        if path == "/":
            return _page(200, "Login and consent", "<p>This app serves Hydra's login, consent and logout "
                         "pages.</p>")
        if path not in ("/login", "/consent", "/logout") or request.method not in ("GET", "POST"):
            return _page(404, "Not found", "<p>There is no such page.</p>")
        form = self._form(request)
        kind = path[1:]
        challenge = form.get("challenge") or request.arg(f"{kind}_challenge") or ""
        if not challenge:
            return _page(400, "Bad request", f"<p>Expected a {kind} challenge to be set but received none.</p>")
        try:
            async with httpx.AsyncClient(base_url=self.admin_url, timeout=self.timeout) as hydra:
                answer: Response = await getattr(self, f"_{kind}")(hydra, request.method, challenge, form)
                return answer
        except httpx.HTTPError as exc:
            return _page(502, "Hydra is unreachable", f"<p>Hydra's admin API did not answer: "
                         f"{html.escape(type(exc).__name__)}.</p>")
        except _HydraRefused as refused:
            return _page(refused.status, "Hydra refused the request", f"<p>{html.escape(refused.detail)}</p>")

    @staticmethod
    def _form(request: Request) -> dict[str, Any]:
        if request.method != "POST":
            return {}
        parsed = parse_qs(request.body.decode("utf-8", errors="replace"), keep_blank_values=True)
        out: dict[str, Any] = {k: v[0] for k, v in parsed.items()}
        out["grant_scope"] = parsed.get("grant_scope", [])
        return out

    @staticmethod
    async def _call(hydra: httpx.AsyncClient, method: str, kind: str, action: str, challenge: str,
                    body: dict[str, Any] | None = None) -> dict[str, Any]:
        path = f"/admin/oauth2/auth/requests/{kind}" + (f"/{action}" if action else "")
        answer = await hydra.request(method, path, params={f"{kind}_challenge": challenge}, json=body)
        if answer.status_code >= 400:
            try:
                detail = answer.json().get("error_description") or answer.json().get("error") or answer.text
            except ValueError:
                detail = answer.text
            raise _HydraRefused(answer.status_code if answer.status_code < 500 else 502, str(detail))
        data: dict[str, Any] = answer.json() if answer.content else {}
        return data

    async def _login(self, hydra: httpx.AsyncClient, method: str, challenge: str,
                     form: dict[str, Any]) -> Response:
        if method == "GET":
            info = await self._call(hydra, "GET", "login", "", challenge)
            if info.get("skip"):
                done = await self._call(hydra, "PUT", "login", "accept", challenge, {"subject": info["subject"]})
                return _redirect(done["redirect_to"])
            return self._login_form(challenge, "")
        if form.get("submit") == "Deny access":
            done = await self._call(hydra, "PUT", "login", "reject", challenge, {
                "error": "access_denied", "error_description": "The resource owner denied the request"})
            return _redirect(done["redirect_to"])
        if form.get("email") != DEMO_USER or form.get("password") != DEMO_PASSWORD:
            return self._login_form(challenge, BAD_CREDENTIALS)
        remember = bool(form.get("remember"))
        done = await self._call(hydra, "PUT", "login", "accept", challenge, {
            "subject": DEMO_USER, "remember": remember, "remember_for": REMEMBER_FOR if remember else 0})
        return _redirect(done["redirect_to"])

    @staticmethod
    def _login_form(challenge: str, error: str) -> Response:
        notice = f'<p class="error">{html.escape(error)}</p>\n' if error else ""
        body = (f"{notice}<p>Hint: the demo user is {DEMO_USER} with the password {DEMO_PASSWORD}.</p>\n"
                '<form action="/login" method="POST">\n'
                f"{_hidden('challenge', challenge)}\n"
                '<p><label for="email">Email</label> <input type="email" id="email" name="email" '
                'placeholder="email@foobar.com"></p>\n'
                '<p><label for="password">Password</label> <input type="password" id="password" '
                'name="password"></p>\n'
                '<p><input type="checkbox" id="remember" name="remember" value="1"> '
                '<label for="remember">Remember me</label></p>\n'
                '<p><input type="submit" id="accept" name="submit" value="Log in"> '
                '<input type="submit" id="reject" name="submit" value="Deny access"></p>\n</form>')
        return _page(200 if not error else 401, "Please log in", body)

    async def _consent(self, hydra: httpx.AsyncClient, method: str, challenge: str,
                       form: dict[str, Any]) -> Response:
        info = await self._call(hydra, "GET", "consent", "", challenge)
        requested = list(info.get("requested_scope") or [])
        client = info.get("client") or {}
        if method == "GET" and not (info.get("skip") or client.get("skip_consent")):
            return self._consent_form(challenge, info, requested)
        if method == "POST" and form.get("submit") != "Allow access":
            done = await self._call(hydra, "PUT", "consent", "reject", challenge, {
                "error": "access_denied", "error_description": "The resource owner denied the request"})
            return _redirect(done["redirect_to"])
        granted = [s for s in form.get("grant_scope", []) if s in requested] if method == "POST" else requested
        id_token = {"email": info.get("subject", "")} if "email" in granted else {}
        remember = bool(form.get("remember")) if method == "POST" else False
        done = await self._call(hydra, "PUT", "consent", "accept", challenge, {
            "grant_scope": granted, "grant_access_token_audience": info.get("requested_access_token_audience") or [],
            "remember": remember, "remember_for": REMEMBER_FOR if remember else 0,
            "session": {"access_token": {}, "id_token": id_token}})
        return _redirect(done["redirect_to"])

    @staticmethod
    def _consent_form(challenge: str, info: dict[str, Any], requested: list[str]) -> Response:
        client = info.get("client") or {}
        name = client.get("client_name") or client.get("client_id") or "an application"
        boxes = "\n".join(f'<p><input type="checkbox" name="grant_scope" value="{html.escape(s, quote=True)}" '
                          f'id="{html.escape(s, quote=True)}" checked> <label for="{html.escape(s, quote=True)}">'
                          f"{html.escape(s)}</label></p>" for s in requested)
        body = (f"<p>Hi {html.escape(info.get('subject', ''))}, application <strong>{html.escape(name)}</strong> "
                "wants access to resources on your behalf and to:</p>\n"
                '<form action="/consent" method="POST">\n'
                f"{_hidden('challenge', challenge)}\n{boxes}\n"
                '<p><input type="checkbox" id="remember" name="remember" value="1"> '
                '<label for="remember">Do not ask me again</label></p>\n'
                '<p><input type="submit" id="accept" name="submit" value="Allow access"> '
                '<input type="submit" id="reject" name="submit" value="Deny access"></p>\n</form>')
        return _page(200, "An application requests access to your data!", body)

    async def _logout(self, hydra: httpx.AsyncClient, method: str, challenge: str,
                      form: dict[str, Any]) -> Response:
        if method == "GET":
            await self._call(hydra, "GET", "logout", "", challenge)
            body = ('<form action="/logout" method="POST">\n'
                    f"{_hidden('challenge', challenge)}\n"
                    '<p><input type="submit" id="accept" name="submit" value="Yes"> '
                    '<input type="submit" id="reject" name="submit" value="No"></p>\n</form>')
            return _page(200, "Do you wish to log out?", body)
        if form.get("submit") != "Yes":
            await self._call(hydra, "PUT", "logout", "reject", challenge)
            return _page(200, "Still logged in", "<p>You are still logged in.</p>")
        done = await self._call(hydra, "PUT", "logout", "accept", challenge)
        return _redirect(done["redirect_to"])


class _HydraRefused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
