"""The emulated Hydra's browser flow: ``/oauth2/auth``, login and consent challenges, sessions.

A gateway's openid-connect plugin, ``reconcile verify`` and the sandbox's login app all walk
Hydra's authorization-code flow, so the emulator must hand out login and consent challenges,
take the login app's accept or reject on the admin port, remember a login session in a cookie
(``skip`` on the next login) and a remembered consent (``skip`` on the next consent), and end
with a code at the client's ``redirect_uri``.  The order of checks and the error texts follow
fosite's ``authorize_request_handler.go`` (client, then redirect URI: errors go to Hydra's error
page; then response type, scope, audience, state: errors go back to the client with ``303``)
and Hydra's ``consent/strategy_default.go``; every answer shape is pinned by
``tests/e2e/test_hydra_flow_differential.py`` against the real v2.3.0 binary.

Like Hydra, each step sets a CSRF cookie (one per client) and the way back checks it, so a
client that drops cookies fails here as it does on real Hydra (``request_forbidden``).
What is left out (see docs/emulator-fidelity.md): ``prompt`` other than ``login``,
``max_age``, request objects, pairwise subjects and challenge expiry.  The admin side (get,
accept, reject, revoke sessions) is in ``hydra_challenges``; logout is in ``hydra_oidc``.
"""

from __future__ import annotations

import secrets
import time
import uuid
import zlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from reconciler.sandbox.http import Request, Response
from reconciler.sandbox.hydra_public import INVALID_CLIENT, INVALID_REQUEST, INVALID_SCOPE, wildcard_match
from reconciler.sandbox.hydra_wire import NO_CACHE, go_redirect, go_response

if TYPE_CHECKING:
    from reconciler.sandbox.hydra import HydraEmulator

SESSION_COOKIE = "ory_hydra_session_dev"
UNSUPPORTED_RESPONSE_TYPE = "The authorization server does not support obtaining a token using this method."
INVALID_STATE = ("The state is missing or does not have enough characters and is therefore considered too weak. "
                 "Request parameter 'state' must be at least be 8 characters long to ensure sufficient entropy.")
MIN_ENTROPY = 8
CSRF_MAX_AGE = 1800


@dataclass
class Flow:
    """One authorization request on its way through login and consent."""

    client_id: str
    params: dict[str, str]
    request_url: str
    scope: list[str]
    audience: list[str]
    session_id: str
    login_challenge: str = field(default_factory=lambda: secrets.token_urlsafe(48))
    login_skip: bool = False
    subject: str = ""
    remembered_subject: str = ""
    login_csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    consent_csrf: str = ""
    login_verifier: str = ""
    login: dict[str, Any] | None = None
    consent_challenge: str = ""
    consent_verifier: str = ""
    consent_skip: bool = False
    consent: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    auth_time: int = 0
    done: bool = False


class _Redirect(Exception):
    """Stop handling and answer with this response."""

    def __init__(self, response: Response) -> None:
        super().__init__("redirect")
        self.response = response


def found(location: str, extra: list[tuple[str, str]] | None = None) -> Response:
    """Go's ``http.Redirect`` with 302: a tiny HTML body naming the target."""
    return go_redirect(302, location, body=True, extra=[NO_CACHE, *(extra or [])])


def csrf_name(kind: str, client_id: str) -> str:
    """The CSRF cookie of a login or consent step, one per client as in Hydra v2."""
    return f"ory_hydra_{kind}_csrf_dev_{zlib.crc32(client_id.encode())}"


def csrf_cookie(kind: str, client_id: str, value: str) -> tuple[str, str]:
    """The ``Set-Cookie`` header of a CSRF cookie (lives as long as a challenge, 30 minutes)."""
    return ("Set-Cookie", f"{csrf_name(kind, client_id)}={value}; Path=/; Max-Age={CSRF_MAX_AGE}; HttpOnly; "
                          "SameSite=Lax")


def see_other(uri: str, params: dict[str, str]) -> Response:
    """fosite's redirect back to the client (``303``, query response mode)."""
    location = uri + ("&" if "?" in uri else "?") + urlencode(sorted(params.items()))
    return go_response(303, b"", [("Cache-Control", "no-store"), ("Location", location), ("Pragma", "no-cache")])


class FlowPort:
    """``/oauth2/auth`` on the public port and the login/consent/logout admin endpoints."""

    def __init__(self, emulator: HydraEmulator) -> None:
        self.emulator = emulator
        self.flows: dict[str, Flow] = {}
        """Every flow, under its login challenge, consent challenge and both verifiers."""
        self.sessions: dict[str, dict[str, Any]] = {}
        """Remembered login sessions by id: subject and auth time."""
        self.consents: list[dict[str, Any]] = []
        """Remembered consents: subject, client, granted scope and audience, session claims."""

    # --- public port ---------------------------------------------------------------------

    def authorize(self, request: Request) -> Response:
        """``GET /oauth2/auth``: validate, then step through login and consent."""
        params = {name: values[0] for name, values in request.query.items() if values}
        try:
            for kind in ("login", "consent"):
                verifier = params.get(f"{kind}_verifier")
                if verifier:  # fosite validates the request again on every pass
                    checked = dict(params)
                    self._validate(checked)
                    flow = self._flow_by_verifier(verifier, kind, checked)
                    return self._after_login(request, flow) if kind == "login" else self._after_consent(request, flow)
            return self._start(request, params)
        except _Redirect as stop:
            return stop.response

    def _error_page(self, error: str, description: str) -> _Redirect:
        query = urlencode({"error": error, "error_description": description})
        return _Redirect(found(self.emulator.issuer + "oauth2/fallbacks/error?" + query))

    def _validate(self, params: dict[str, str]) -> tuple[dict[str, Any], list[str], list[str]]:
        """fosite's checks in fosite's order; the client, scope and audience on success."""
        record = self.emulator.clients.get(params.get("client_id", ""))
        if record is None:
            raise self._error_page("invalid_client", f"{INVALID_CLIENT} The requested OAuth 2.0 Client does not "
                                   "exist.")
        client: dict[str, Any] = record["client"]
        scope = list(dict.fromkeys(params.get("scope", "").split()))
        redirect_uri = params.get("redirect_uri", "")
        registered = client["redirect_uris"] or []
        if not redirect_uri:
            if "openid" in scope or len(registered) != 1:
                raise self._error_page("invalid_request", f"{INVALID_REQUEST} The 'redirect_uri' parameter is "
                                       "required when using OpenID Connect 1.0.")
            redirect_uri = registered[0]
        elif redirect_uri not in registered:
            raise self._error_page("invalid_request", f"{INVALID_REQUEST} The 'redirect_uri' parameter does not "
                                   "match any of the OAuth 2.0 Client's pre-registered redirect urls.")
        params["redirect_uri"] = redirect_uri
        state = params.get("state", "")

        def back(error: str, description: str) -> _Redirect:
            return _Redirect(see_other(redirect_uri, {"error": error, "error_description": description,
                                                      "state": state}))

        response_type = params.get("response_type", "")
        if not response_type:
            raise back("unsupported_response_type", f"{UNSUPPORTED_RESPONSE_TYPE} `The request is missing the "
                       "'response_type' parameter.")
        if response_type not in (client["response_types"] or []):
            raise back("unsupported_response_type", f"{UNSUPPORTED_RESPONSE_TYPE} The client is not allowed to "
                       f"request response_type '{response_type}'.")
        for wanted in scope:
            if not wildcard_match(client["scope"].split(), wanted):
                raise back("invalid_scope", f"{INVALID_SCOPE} The OAuth 2.0 Client is not allowed to request "
                           f"scope '{wanted}'.")
        audience = params.get("audience", "").split()
        for wanted in audience:
            if wanted not in (client["audience"] or []):
                raise back("invalid_request", f"{INVALID_REQUEST} Requested audience '{wanted}' has not been "
                           "whitelisted by the OAuth 2.0 Client.")
        if len(state) < MIN_ENTROPY:
            raise back("invalid_state", INVALID_STATE)
        return client, scope, audience

    def _start(self, request: Request, params: dict[str, str]) -> Response:
        _, scope, audience = self._validate(dict(params))
        query = request.target.partition("?")[2]
        flow = Flow(client_id=params["client_id"], params=params, scope=scope, audience=audience,
                    request_url=self.emulator.issuer + "oauth2/auth" + ("?" + query if query else ""),
                    session_id=str(uuid.uuid4()))
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE, ""))
        if session is not None and "login" not in params.get("prompt", "").split():
            flow.session_id, flow.login_skip = request.cookies[SESSION_COOKIE], True
            flow.subject = flow.remembered_subject = session["subject"]
        self.flows[flow.login_challenge] = flow
        target = self.emulator.login_url
        return found(target + ("&" if "?" in target else "?") + urlencode({"login_challenge": flow.login_challenge}),
                     [csrf_cookie("login", flow.client_id, flow.login_csrf)])

    def return_url(self, flow: Flow, name: str, verifier: str) -> str:
        """Where the browser goes back to ``/oauth2/auth`` with a verifier (parameters sorted, as Go's)."""
        params = {k: v for k, v in flow.params.items() if k not in ("login_verifier", "consent_verifier")}
        params[name] = verifier
        return self.emulator.issuer + "oauth2/auth?" + urlencode(sorted(params.items()))

    def _flow_by_verifier(self, verifier: str, kind: str, params: dict[str, str]) -> Flow:
        flow = self.flows.get(verifier)
        if flow is not None and getattr(flow, f"{kind}_verifier") == verifier and not flow.done:
            return flow
        if flow is not None:
            why = "has already been used"
        else:  # Hydra's two texts for a verifier it cannot decrypt
            why = "is invalid" if kind == "login" else "has already been used, has not been granted, or is invalid"
        raise _Redirect(see_other(params["redirect_uri"], {
            "error": "access_denied", "error_description": "The resource owner or authorization server denied the "
            f"request. The {kind} verifier {why}.", "state": params.get("state", "")}))

    def _denied(self, flow: Flow) -> _Redirect:
        error = flow.error or {}
        return _Redirect(see_other(flow.params.get("redirect_uri") or self._registered(flow)[0], {
            "error": error.get("error") or "request_denied",
            "error_description": error.get("error_description") or "",
            "state": flow.params.get("state", "")}))

    def _registered(self, flow: Flow) -> list[str]:
        record = self.emulator.clients.get(flow.client_id)
        return list(record["client"]["redirect_uris"] or [""]) if record else [""]

    def _after_login(self, request: Request, original: Flow) -> Response:
        self._check_csrf(request, "login", original, original.login_csrf)
        if original.error is not None:
            raise self._denied(original)
        # Hydra v2's login verifier carries the flow itself and can be replayed until the consent
        # step ends the flow: each use starts a consent of its own.
        flow = replace(original)
        login = flow.login or {}
        flow.consent_csrf = secrets.token_urlsafe(24)
        extra = [csrf_cookie("consent", flow.client_id, flow.consent_csrf)]
        now = int(time.time())
        if flow.login_skip:
            flow.auth_time = int(self.sessions.get(flow.session_id, {}).get("auth_time", now))
        else:
            flow.auth_time = now
            if login.get("remember"):
                remember_for = int(login.get("remember_for") or 0)
                self.sessions[flow.session_id] = {"subject": flow.subject, "auth_time": now}
                cookie = f"{SESSION_COOKIE}={flow.session_id}; Path=/"
                if remember_for > 0:
                    cookie += f"; Max-Age={remember_for}"
                extra.append(("Set-Cookie", cookie + "; HttpOnly; SameSite=Lax"))
        record = self.emulator.clients.get(flow.client_id)
        skip_consent = bool(record and record["client"].get("skip_consent"))
        flow.consent_skip = skip_consent or any(
            c["subject"] == flow.subject and c["client_id"] == flow.client_id
            and set(flow.scope) <= set(c["grant_scope"]) for c in self.consents)
        flow.consent_challenge = secrets.token_urlsafe(48)
        self.flows[flow.consent_challenge] = flow
        target = self.emulator.consent_url
        location = target + ("&" if "?" in target else "?") + urlencode({"consent_challenge": flow.consent_challenge})
        return found(location, extra)

    def _check_csrf(self, request: Request, kind: str, flow: Flow, expected: str) -> None:
        """Hydra's CSRF cookie check on the way back from the login or consent app."""
        got = request.cookies.get(csrf_name(kind, flow.client_id), "")
        if got == expected:
            return
        why = ("No CSRF value available in the session cookie." if not got else
               "The CSRF value from the token does not match the CSRF value from the data store.")
        raise _Redirect(see_other(flow.params["redirect_uri"], {
            "error": "request_forbidden", "error_description": f"The request is not allowed. {why}",
            "state": flow.params.get("state", "")}))

    def _after_consent(self, request: Request, flow: Flow) -> Response:
        flow.done = True  # spent before the CSRF check, as on real Hydra
        self._check_csrf(request, "consent", flow, flow.consent_csrf)
        if flow.error is not None:
            raise self._denied(flow)
        consent = flow.consent or {}
        outcome = self.emulator.grants.authorize(flow, consent)  # a code, or fosite's PKCE refusal
        return see_other(flow.params["redirect_uri"], {**outcome, "state": flow.params.get("state", "")})
