"""Logins through the gateway, as a browser would do them but with no browser.

The authorization-code flow walks the seed's Step 6 hop by hop: the route redirects to Hydra's
authorization endpoint; Hydra sends us to its login app with a ``login_challenge`` (the app
must answer); instead of typing a password we accept the login for a synthetic subject through Hydra's admin API
(``PUT /admin/oauth2/auth/requests/login/accept``), then the consent likewise; Hydra
redirects to the route's ``redirect_uri`` with a code; the gateway exchanges it (with the
``client_secret`` it holds) and redirects back; and the upstream answers.  Each hop is a named
step, so a failure says where the login breaks.  Logins are accepted with ``remember: false``
and the subject's sessions are revoked at the end of the run (see ``verify.py``).

``bearer_only`` routes must refuse a request without a token and accept one with a token the
client gets by client_credentials; ``key-auth`` routes likewise with a declared consumer key.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from reconciler.errors import AdminAPIError
from reconciler.plan.checks import Check
from reconciler.run.adapters.gateway import GatewaySession
from reconciler.run.adapters.oauth import Answer
from reconciler.run.verify_base import Context, Failed, Skipped, Track

REDIRECTS = (301, 302, 303, 307, 308)
MAX_HOPS = 10


def _query(url: str | None, name: str) -> str | None:
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


def _target(ctx: Context, check: Check) -> tuple[str, dict[str, str]]:
    """The URL and headers of a request the route matches; ``Skipped`` when none can be made."""
    methods = check.params.get("methods") or []
    if methods and "GET" not in methods:
        raise Skipped(f"the route does not match GET (methods {', '.join(methods)})")
    path = check.params.get("path")
    if not path:
        raise Skipped("no request path can be derived from the route's uri")
    assert ctx.gateway_url is not None
    host = check.params.get("host")
    return ctx.gateway_url.rstrip("/") + path, ({"Host": host} if host else {})


def _hydra_error(answer: Answer) -> str | None:
    """Hydra's error on a redirect (``?error=...&error_description=...``)."""
    error = _query(answer.location, "error")
    if error is None:
        return None
    return f"{error}: {_query(answer.location, 'error_description') or ''}".rstrip(": ")


async def login_flow(ctx: Context, check: Check, track: Track) -> str:
    """The authorization-code flow through the gateway for the synthetic subject."""
    url, headers = _target(ctx, check)
    async with ctx.flow_gate, ctx.browser() as browser:
        track.step = "gateway redirect"
        first = await browser.get(url, headers=headers)
        doc = await ctx.discover(str(check.params.get("discovery") or ""), "discovery")
        auth_endpoint = str(doc["authorization_endpoint"])
        if first.status not in REDIRECTS or not (first.location or "").startswith(auth_endpoint):
            raise Failed(track.step, f"GET {url} did not redirect to Hydra's authorization endpoint "
                                     f"{auth_endpoint}", first)
        track.step = "login challenge"
        ctx.flows_started += 1
        at_hydra = await browser.get(str(first.location))
        challenge = _query(at_hydra.location, "login_challenge")
        if at_hydra.status not in REDIRECTS or challenge is None:
            why = _hydra_error(at_hydra)
            raise Failed(track.step, f"Hydra did not ask for a login ({why})" if why else
                         "Hydra did not redirect to its login app with a login_challenge", at_hydra)
        track.step = "login page"
        await _login_page(browser, str(at_hydra.location))
        track.step = "accept login"
        accepted = await ctx.oauth.accept_login(challenge, ctx.subject)
        next_url = _redirect_to(track, accepted)
        track.step = "consent challenge"
        at_hydra = await browser.get(next_url)
        consent = _query(at_hydra.location, "consent_challenge")
        if at_hydra.status not in REDIRECTS or consent is None:
            raise Failed(track.step, f"Hydra did not ask for consent ({_hydra_error(at_hydra) or 'no challenge'})",
                         at_hydra)
        track.step = "accept consent"
        request = await ctx.oauth.consent_request(consent)
        if request.status != 200 or not isinstance(request.body, dict):
            raise Failed(track.step, "the consent request cannot be read", request)
        scopes = [str(s) for s in request.body.get("requested_scope") or []]
        audience = [str(a) for a in request.body.get("requested_access_token_audience") or []]
        next_url = _redirect_to(track, await ctx.oauth.accept_consent(consent, scopes, audience))
        track.step = "code"
        at_hydra = await browser.get(next_url)
        if at_hydra.status not in REDIRECTS or _query(at_hydra.location, "code") is None:
            why = _hydra_error(at_hydra)
            raise Failed(track.step, f"Hydra issued no code ({why})" if why else "Hydra issued no code", at_hydra)
        track.step = "callback"
        back = await browser.get(str(at_hydra.location), headers=headers)
        if back.status not in REDIRECTS:
            raise Failed(track.step, f"the gateway's callback {_no_query(at_hydra.location)} did not complete the "
                                     "login (its code exchange at Hydra or its ID token check failed)", back)
        track.step = "upstream"
        final = await browser.get(url, headers=headers)
        hops = 0
        while final.status in REDIRECTS and final.location and hops < MAX_HOPS:
            hops += 1
            final = await browser.get(final.location, headers=headers if final.location.startswith(url) else {})
        if not 200 <= final.status < 300:
            raise Failed(track.step, f"after the login, GET {url} did not reach the upstream", final)
        return f"logged in as {ctx.subject!r} through {url}; the upstream answered HTTP {final.status}"


async def _login_page(browser: GatewaySession, url: str) -> None:
    """The login app Hydra sends users to must answer (a browser could not log in otherwise); we
    then accept the login through the admin API instead of typing a password into it."""
    try:
        page = await browser.get(url)
    except AdminAPIError as exc:
        raise Failed("login page", f"Hydra's login app at {_no_query(url)} does not answer", str(exc)) from None
    if page.status >= 500:
        raise Failed("login page", f"Hydra's login app at {_no_query(url)} failed", page)


def _no_query(url: str | None) -> str:
    return (url or "").split("?", 1)[0]


def _redirect_to(track: Track, answer: Answer) -> str:
    if answer.status != 200 or not isinstance(answer.body, dict) or not answer.body.get("redirect_to"):
        raise Failed(track.step, "Hydra's admin API refused to accept the challenge", answer)
    return str(answer.body["redirect_to"])


async def bearer_only(ctx: Context, check: Check, track: Track) -> str:
    """A bearer_only route refuses no token and accepts a client_credentials token."""
    url, headers = _target(ctx, check)
    async with ctx.browser() as browser:
        track.step = "without token"
        bare = await browser.get(url, headers=headers)
        if bare.status != 401:
            raise Failed(track.step, f"GET {url} without a token was not refused with 401", bare)
        track.step = "discovery"
        doc = await ctx.discover(str(check.params.get("discovery") or ""))
        track.step = "token"
        p = check.params
        got = await ctx.oauth.token(str(doc["token_endpoint"]), str(p["client_id"]), p.get("secret"),
                                    str(p["auth_method"]), {"grant_type": "client_credentials"})
        token = got.body.get("access_token") if isinstance(got.body, dict) else None
        if not token:
            if got.error == "unauthorized_client":
                return f"GET {url} without a token is refused (401); the client may not get a token to try one"
            raise Failed(track.step, "no token for the route's client", got)
        try:
            track.step = "with token"
            ok = await browser.get(url, headers={**headers, "Authorization": f"Bearer {token}"})
            if not 200 <= ok.status < 400:
                raise Failed(track.step, f"GET {url} with a valid token was not let through", ok)
        finally:
            revoke = doc.get("revocation_endpoint")
            if isinstance(revoke, str):
                await ctx.oauth.revoke(revoke, str(p["client_id"]), p.get("secret"), str(p["auth_method"]), token)
        return f"GET {url} is refused without a token (401) and let through with one (HTTP {ok.status})"


async def key_auth(ctx: Context, check: Check, track: Track) -> str:
    """A key-auth route refuses no key and accepts a declared consumer key."""
    url, headers = _target(ctx, check)
    key = check.params.get("key")
    async with ctx.browser() as browser:
        track.step = "without key"
        bare = await browser.get(url, headers=headers)
        if bare.status != 401:
            raise Failed(track.step, f"GET {url} without a key was not refused with 401", bare)
        if key is None:
            return f"GET {url} without a key is refused (401); no consumer key is declared to try one"
        track.step = "with key"
        ok = await browser.get(url, headers={**headers, str(check.params["header"]): key.reveal()})
        if not 200 <= ok.status < 400:
            raise Failed(track.step, f"GET {url} with a declared consumer key was not let through", ok)
        return f"GET {url} is refused without a key (401) and let through with one (HTTP {ok.status})"
