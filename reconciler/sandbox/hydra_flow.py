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

What is left out (see docs/emulator-fidelity.md): CSRF cookies, ``prompt``/``max_age``,
request objects, pairwise subjects and challenge expiry; logout is in ``hydra_oidc``.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from reconciler.sandbox.http import Request, Response
from reconciler.sandbox.hydra_model import ClientError
from reconciler.sandbox.hydra_public import INVALID_CLIENT, INVALID_REQUEST, INVALID_SCOPE, wildcard_match
from reconciler.sandbox.hydra_wire import NO_CACHE, go_response, html_escape

if TYPE_CHECKING:
    from reconciler.sandbox.hydra import HydraEmulator

SESSION_COOKIE = "ory_hydra_session_dev"
UNSUPPORTED_RESPONSE_TYPE = "The authorization server does not support obtaining a token using this method."
INVALID_STATE = ("The state is missing or does not have enough characters and is therefore considered too weak. "
                 "Request parameter 'state' must be at least be 8 characters long to ensure sufficient entropy.")
NOT_FOUND = ClientError(404, "Not Found", "Unable to locate the requested resource")
MIN_ENTROPY = 8


def _missing(name: str) -> ClientError:
    return ClientError(400, "invalid_request", f"{INVALID_REQUEST} Query parameter '{name}' is not defined but "
                       "should have been.")


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
    body = f'<a href="{html_escape(location)}">Found</a>.\n\n'.encode()
    headers = [NO_CACHE, ("Content-Type", "text/html; charset=utf-8"), ("Location", location), *(extra or [])]
    return go_response(302, body, headers)


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
            if params.get("login_verifier"):
                return self._after_login(request, params["login_verifier"])
            if params.get("consent_verifier"):
                return self._after_consent(params["consent_verifier"])
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
            flow.session_id, flow.login_skip, flow.subject = request.cookies[SESSION_COOKIE], True, session["subject"]
        self.flows[flow.login_challenge] = flow
        target = self.emulator.login_url
        return found(target + ("&" if "?" in target else "?") + urlencode({"login_challenge": flow.login_challenge}))

    def _return_url(self, flow: Flow, name: str, verifier: str) -> str:
        params = {k: v for k, v in flow.params.items() if k not in ("login_verifier", "consent_verifier")}
        params[name] = verifier
        return self.emulator.issuer + "oauth2/auth?" + urlencode(sorted(params.items()))

    def _flow_by_verifier(self, verifier: str, kind: str) -> Flow:
        flow = self.flows.get(verifier)
        if flow is None or getattr(flow, f"{kind}_verifier") != verifier or flow.done:
            raise self._error_page("invalid_request", f"{INVALID_REQUEST} The {kind} verifier has already been "
                                   "used, has not been granted, or is invalid.")
        return flow

    def _denied(self, flow: Flow) -> _Redirect:
        error = flow.error or {}
        flow.done = True
        return _Redirect(see_other(flow.params.get("redirect_uri") or self._registered(flow)[0], {
            "error": error.get("error") or "request_denied",
            "error_description": error.get("error_description") or "",
            "state": flow.params.get("state", "")}))

    def _registered(self, flow: Flow) -> list[str]:
        record = self.emulator.clients.get(flow.client_id)
        return list(record["client"]["redirect_uris"] or [""]) if record else [""]

    def _after_login(self, request: Request, verifier: str) -> Response:
        flow = self._flow_by_verifier(verifier, "login")
        if flow.error is not None:
            raise self._denied(flow)
        login = flow.login or {}
        flow.login_verifier = ""
        self.flows.pop(verifier, None)
        extra: list[tuple[str, str]] = []
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

    def _after_consent(self, verifier: str) -> Response:
        flow = self._flow_by_verifier(verifier, "consent")
        if flow.error is not None:
            raise self._denied(flow)
        flow.done = True
        self.flows.pop(verifier, None)
        consent = flow.consent or {}
        outcome = self.emulator.grants.authorize(flow, consent)
        if "error" in outcome:
            return see_other(flow.params["redirect_uri"], {**outcome, "state": flow.params.get("state", "")})
        return see_other(flow.params["redirect_uri"], {**outcome, "state": flow.params.get("state", "")})

    # --- admin port ----------------------------------------------------------------------

    def admin(self, request: Request, rest: str) -> Response:
        """``/admin/oauth2/auth/requests/...`` and ``/admin/oauth2/auth/sessions/...``."""
        from reconciler.sandbox.hydra_wire import error_response, json_response

        try:
            if rest.startswith("/sessions/"):
                return self._revoke_sessions(request, rest[len("/sessions/"):])
            kind, _, action = rest[len("/requests/"):].partition("/")
            return json_response(200, json.dumps(self._request_action(request, kind, action),
                                                 separators=(",", ":")))
        except ClientError as err:
            return error_response(err)

    def _request_action(self, request: Request, kind: str, action: str) -> dict[str, Any]:
        challenge = request.arg(f"{kind}_challenge") or request.arg("challenge") or ""
        if not challenge:
            raise _missing("challenge")
        if kind == "logout":
            return self.emulator.oidc.logout_action(challenge, action)
        flow = self.flows.get(challenge)
        if flow is None or getattr(flow, f"{kind}_challenge") != challenge:
            raise NOT_FOUND
        if not action:
            return self._describe(flow, kind)
        body = self._json_body(request)
        if action == "accept":
            if kind == "login":
                subject = str(body.get("subject") or "")
                if not subject:
                    raise ClientError(400, "invalid_request", f"{INVALID_REQUEST} Field 'subject' must not be empty.")
                if flow.login_skip and subject != flow.subject:
                    # Another user on a remembered session: Hydra restarts the flow with prompt=login.
                    del self.flows[challenge]
                    params = {**flow.params, "prompt": "login"}
                    return {"redirect_to": self.emulator.issuer + "oauth2/auth?" + urlencode(sorted(params.items()))}
                flow.subject, flow.login = subject, body
            else:
                flow.consent = body
                if body.get("remember"):
                    self.consents.append({"subject": flow.subject, "client_id": flow.client_id,
                                          "grant_scope": list(body.get("grant_scope") or []),
                                          "session_id": flow.session_id})
        else:
            flow.error = body
        verifier = secrets.token_urlsafe(48)
        setattr(flow, f"{kind}_verifier", verifier)
        self.flows[verifier] = flow
        return {"redirect_to": self._return_url(flow, f"{kind}_verifier", verifier)}

    @staticmethod
    def _json_body(request: Request) -> dict[str, Any]:
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ClientError(400, "invalid_request", f"{INVALID_REQUEST} Unable to decode body because: "
                              "invalid JSON") from None
        return body if isinstance(body, dict) else {}

    def _describe(self, flow: Flow, kind: str) -> dict[str, Any]:
        record = self.emulator.clients.get(flow.client_id)
        client = json.loads(self.emulator.client_json(flow.client_id)) if record else {}
        out: dict[str, Any] = {"challenge": getattr(flow, f"{kind}_challenge"), "requested_scope": flow.scope,
                               "requested_access_token_audience": flow.audience,
                               "skip": flow.login_skip if kind == "login" else flow.consent_skip,
                               "subject": flow.subject, "oidc_context": {}, "client": client,
                               "request_url": flow.request_url}
        if kind == "login":
            out["session_id"] = flow.session_id
        else:
            login = flow.login or {}
            out.update({"login_challenge": flow.login_challenge, "login_session_id": flow.session_id,
                        "acr": login.get("acr", ""), "amr": login.get("amr") or [],
                        "context": login.get("context")})
        return out

    def _revoke_sessions(self, request: Request, which: str) -> Response:
        subject = request.arg("subject") or ""
        if which == "login":
            sid = request.arg("sid") or ""
            if not subject and not sid:
                raise ClientError(400, "invalid_request", f"{INVALID_REQUEST} Either 'subject' or 'sid' query "
                                  "parameters need to be defined.")
            for key in [k for k, s in self.sessions.items() if k == sid or (subject and s["subject"] == subject)]:
                del self.sessions[key]
        else:
            if not subject:
                raise _missing("subject")
            client, everything = request.arg("client") or "", request.arg("all") == "true"
            if not client and not everything:
                raise ClientError(400, "invalid_request", f"{INVALID_REQUEST} Query parameter both 'client' and "
                                  "'all' is not defined but one of them should have been.")
            self.consents = [c for c in self.consents
                             if not (c["subject"] == subject and (everything or c["client_id"] == client))]
            self.emulator.grants.revoke_subject(subject, None if everything else client)
        return go_response(204, b"", [NO_CACHE])
