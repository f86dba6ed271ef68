"""The differential cases of Hydra's front channel: discovery, ``/oauth2/auth``, login, consent, logout.

One function per case (see ``hydra_flow_cases``); the token side is in
``hydra_flow_token_scenarios``.

Each function gets a fresh ``Session`` (new cookie jar) on a server where its client ids are
unused, so cases cannot see each other's sessions or consents.  The name of a case is the name
of its function without ``case_``.
"""

from __future__ import annotations

import httpx

from .hydra_flow_cases import Case, Session
from .oauth_flow import query_of

OPENID = ["openid", "offline_access"]



def case_discovery(s: Session) -> None:
    s.rec(s.walk.browser.get(s.walk.public_url + "/.well-known/openid-configuration"))


def case_jwks(s: Session) -> None:
    s.rec(s.walk.browser.get(s.walk.public_url + "/.well-known/jwks.json"))


def case_auth_unknown_client(s: Session) -> None:
    s.auth("ghost")


def case_auth_unregistered_redirect(s: Session) -> None:
    s.client("c1")
    s.auth("c1", redirect_uri="http://127.0.0.1:9999/elsewhere")


def case_auth_openid_without_redirect(s: Session) -> None:
    s.client("c2")
    s.rec(s.walk.browser.get(s.walk.public_url + "/oauth2/auth", params={
        "client_id": "c2", "response_type": "code", "scope": "openid", "state": "state-123456"}))


def case_auth_short_state(s: Session) -> None:
    s.client("c3")
    s.auth("c3", state="abc")


def case_auth_scope_not_allowed(s: Session) -> None:
    s.client("c4")
    s.auth("c4", scope="openid admin")


def case_auth_response_type_not_allowed(s: Session) -> None:
    s.client("c5")
    s.auth("c5", response_type="token")


def case_auth_audience_not_allowed(s: Session) -> None:
    s.client("c6")
    s.auth("c6", audience="other")


def case_login_request(s: Session) -> None:
    s.client("c7")
    first = s.auth("c7", audience="api")
    challenge = query_of(first.headers["location"])["login_challenge"]
    s.rec(s.admin.get("/admin/oauth2/auth/requests/login", params={"login_challenge": challenge}))


def case_login_request_unknown(s: Session) -> None:
    s.rec(s.admin.get("/admin/oauth2/auth/requests/login", params={"login_challenge": "nope"}))
    s.rec(s.admin.get("/admin/oauth2/auth/requests/consent", params={"consent_challenge": "nope"}))
    s.rec(s.admin.put("/admin/oauth2/auth/requests/login/accept", params={"login_challenge": "nope"},
                      json={"subject": "x"}))
    s.rec(s.admin.get("/admin/oauth2/auth/requests/logout", params={"logout_challenge": "nope"}))


def case_login_request_missing_challenge(s: Session) -> None:
    s.rec(s.admin.get("/admin/oauth2/auth/requests/login"))
    s.rec(s.admin.get("/admin/oauth2/auth/requests/consent"))


def case_login_accept_empty_subject(s: Session) -> None:
    s.client("c8")
    s.login(s.auth("c8"), "")


def case_login_reject(s: Session) -> None:
    s.client("c26")
    challenge = query_of(s.auth("c26").headers["location"])["login_challenge"]
    answer = s.rec(s.admin.put("/admin/oauth2/auth/requests/login/reject", params={"login_challenge": challenge},
                               json={"error": "access_denied", "error_description": "The user said no"}))
    s.get(answer.json()["redirect_to"])


def case_consent_reject(s: Session) -> None:
    s.client("c27")
    after_login = s.get(s.login(s.auth("c27"), "nia").json()["redirect_to"])
    challenge = query_of(after_login.headers["location"])["consent_challenge"]
    answer = s.rec(s.admin.put("/admin/oauth2/auth/requests/consent/reject",
                               params={"consent_challenge": challenge},
                               json={"error": "access_denied", "error_description": "Not this time"}))
    s.get(answer.json()["redirect_to"])


def case_remembered_login_and_consent(s: Session) -> None:
    s.client("c28")
    s.code("c28", "oli", OPENID)
    second = s.auth("c28", scope="openid offline_access")
    after_login = s.get(s.login(second, "oli").json()["redirect_to"])
    challenge = query_of(after_login.headers["location"])["consent_challenge"]
    s.rec(s.admin.get("/admin/oauth2/auth/requests/consent", params={"consent_challenge": challenge}))


def case_remembered_login_other_subject(s: Session) -> None:
    s.client("c29")
    s.code("c29", "pat", OPENID)
    s.login(s.auth("c29"), "someone-else")


def case_revoke_sessions_bad_parameters(s: Session) -> None:
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/login"))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/consent"))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/consent", params={"subject": "nobody"}))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/consent", params={"subject": "nobody", "client": "c0"}))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/login", params={"subject": "nobody"}))


def case_logout_without_session(s: Session) -> None:
    s.rec(s.walk.browser.get(s.walk.public_url + "/oauth2/sessions/logout"))


def case_error_page(s: Session) -> None:
    s.rec(s.walk.browser.get(s.walk.public_url + "/oauth2/fallbacks/error",
                             params={"error": "invalid_client", "error_description": "Nope"}))


def case_login_accepted_twice(s: Session) -> None:
    s.client("c34")
    first = s.auth("c34")
    s.login(first, "tia")
    challenge = query_of(first.headers["location"])["login_challenge"]
    s.rec(s.admin.put("/admin/oauth2/auth/requests/login/accept", params={"login_challenge": challenge},
                      json={"subject": "tia"}))
    s.rec(s.admin.get("/admin/oauth2/auth/requests/login", params={"login_challenge": challenge}))


def case_consent_accepted_twice(s: Session) -> None:
    s.client("c35")
    after_login = s.get(s.login(s.auth("c35"), "uma").json()["redirect_to"])
    s.consent(after_login, OPENID)
    challenge = query_of(after_login.headers["location"])["consent_challenge"]
    s.rec(s.admin.put("/admin/oauth2/auth/requests/consent/accept", params={"consent_challenge": challenge},
                      json={"grant_scope": OPENID}))
    s.rec(s.admin.get("/admin/oauth2/auth/requests/consent", params={"consent_challenge": challenge}))


def case_login_verifier_used_twice(s: Session) -> None:
    s.client("c36")
    back = s.login(s.auth("c36"), "vic").json()["redirect_to"]
    s.get(back)
    s.get(back)


def case_logout_with_session(s: Session) -> None:
    s.client("c37")
    s.code("c37", "wes", OPENID)
    first = s.get(s.walk.public_url + "/oauth2/sessions/logout")
    challenge = query_of(first.headers["location"])["logout_challenge"]
    s.rec(s.admin.get("/admin/oauth2/auth/requests/logout", params={"logout_challenge": challenge}))
    accepted = s.rec(s.admin.put("/admin/oauth2/auth/requests/logout/accept",
                                 params={"logout_challenge": challenge}))
    s.get(accepted.json()["redirect_to"])
    again = s.auth("c37")
    login = query_of(again.headers["location"])["login_challenge"]
    s.rec(s.admin.get("/admin/oauth2/auth/requests/login", params={"login_challenge": login}))


def case_logout_reject(s: Session) -> None:
    s.client("c38")
    s.code("c38", "xan", OPENID)
    first = s.get(s.walk.public_url + "/oauth2/sessions/logout")
    challenge = query_of(first.headers["location"])["logout_challenge"]
    s.rec(s.admin.put("/admin/oauth2/auth/requests/logout/reject", params={"logout_challenge": challenge}))
    s.rec(s.admin.get("/admin/oauth2/auth/requests/logout", params={"logout_challenge": challenge}))


def case_verifiers_without_cookies(s: Session) -> None:
    s.client("c41")
    back = s.login(s.auth("c41"), "amy").json()["redirect_to"]
    s.rec(httpx.get(back, timeout=30))
    after_login = s.get(back)
    final = s.consent(after_login, OPENID).json()["redirect_to"]
    s.rec(httpx.get(final, timeout=30))
    s.get(final)


def case_two_logins_in_one_browser(s: Session) -> None:
    s.client("c42")
    first = s.auth("c42")
    second = s.auth("c42", state="state-second")
    s.get(s.login(first, "bea").json()["redirect_to"])
    s.get(s.login(second, "bea").json()["redirect_to"])


def case_unknown_and_spent_verifiers(s: Session) -> None:
    s.client("c43")
    s.auth("c43", login_verifier="not-a-verifier")
    s.auth("c43", consent_verifier="not-a-verifier")
    after_login = s.get(s.login(s.auth("c43"), "cy").json()["redirect_to"])
    final = s.consent(after_login, OPENID).json()["redirect_to"]
    s.get(final)
    s.get(final)

CASES: dict[str, Case] = {name[len("case_"):]: fn for name, fn in dict(globals()).items()
                          if name.startswith("case_") and callable(fn)}
