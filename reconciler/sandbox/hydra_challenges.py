"""The admin side of Hydra's login and consent: get, accept and reject challenges, revoke sessions.

The login app (the sandbox's, the seed's hydra-login-consent-node, or ``reconcile verify``
acting for a synthetic subject) reads ``GET /admin/oauth2/auth/requests/{login,consent,logout}``
and answers with ``PUT .../accept`` or ``.../reject``; ``verify`` cleans up with
``DELETE /admin/oauth2/auth/sessions/{consent,login}?subject=...``.  Bodies, parameter names
(``login_challenge`` or ``challenge``), the ``prompt=login`` restart when another subject logs
in on a remembered session, and the error texts are those of Hydra v2.3.0
(``consent/handler.go``), pinned by ``tests/e2e/test_hydra_flow_differential.py``.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from reconciler.sandbox.http import Request, Response
from reconciler.sandbox.hydra_model import ClientError
from reconciler.sandbox.hydra_public import INVALID_REQUEST
from reconciler.sandbox.hydra_wire import NO_CACHE, error_response, go_response, json_response

if TYPE_CHECKING:
    from reconciler.sandbox.hydra import HydraEmulator
    from reconciler.sandbox.hydra_flow import Flow, FlowPort

NOT_FOUND = ClientError(404, "Not Found", "Unable to locate the requested resource")


def _missing(name: str) -> ClientError:
    return ClientError(400, "invalid_request", f"{INVALID_REQUEST} Query parameter '{name}' is not defined but "
                       "should have been.")


class ChallengeAdmin:
    """The admin endpoints over ``FlowPort``'s flows, sessions and remembered consents."""

    def __init__(self, emulator: HydraEmulator) -> None:
        self.emulator = emulator

    @property
    def flow(self) -> FlowPort:
        """The browser side's state."""
        return self.emulator.flow

    def admin(self, request: Request, rest: str) -> Response:
        """``/admin/oauth2/auth/requests/...`` and ``/admin/oauth2/auth/sessions/...``."""
        try:
            if rest.startswith("/sessions/"):
                return self._revoke_sessions(request, rest[len("/sessions/"):])
            kind, _, action = rest[len("/requests/"):].partition("/")
            answer = self._request_action(request, kind, action)
            if answer is None:
                return go_response(204, b"", [NO_CACHE])
            return json_response(200, json.dumps(answer, separators=(",", ":")))
        except ClientError as err:
            return error_response(err)

    def _request_action(self, request: Request, kind: str, action: str) -> dict[str, Any] | None:
        challenge = request.arg(f"{kind}_challenge") or request.arg("challenge") or ""
        if not challenge:
            raise _missing("challenge")
        if kind == "logout":
            return self.emulator.oidc.logout_action(challenge, action)
        flow = self.flow.flows.get(challenge)
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
                    del self.flow.flows[challenge]
                    params = {**flow.params, "prompt": "login"}
                    return {"redirect_to": self.emulator.issuer + "oauth2/auth?" + urlencode(sorted(params.items()))}
                flow.subject, flow.login = subject, body
            else:
                flow.consent = body
                if body.get("remember"):
                    self.flow.consents.append({"subject": flow.subject, "client_id": flow.client_id,
                                          "grant_scope": list(body.get("grant_scope") or []),
                                          "session_id": flow.session_id})
        else:
            flow.error = body
        verifier = secrets.token_urlsafe(48)
        setattr(flow, f"{kind}_verifier", verifier)
        self.flow.flows[verifier] = flow
        return {"redirect_to": self.flow.return_url(flow, f"{kind}_verifier", verifier)}

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
                               "subject": flow.remembered_subject if kind == "login" else flow.subject,
                               "oidc_context": {}, "client": client,
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
            for key in [k for k, s in self.flow.sessions.items() if k == sid or (subject and s["subject"] == subject)]:
                del self.flow.sessions[key]
        else:
            if not subject:
                raise _missing("subject")
            client, everything = request.arg("client") or "", request.arg("all") == "true"
            if not client and not everything:
                raise ClientError(400, "invalid_request", f"{INVALID_REQUEST} Query parameter both 'client' and "
                                  "'all' is not defined but one of them should have been.")
            self.flow.consents = [c for c in self.flow.consents
                             if not (c["subject"] == subject and (everything or c["client_id"] == client))]
            self.emulator.grants.revoke_subject(subject, None if everything else client)
        return go_response(204, b"", [NO_CACHE])
