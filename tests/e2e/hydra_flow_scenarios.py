"""The differential cases of Hydra's browser flow, one function per case (see ``hydra_flow_cases``).

Each function gets a fresh ``Session`` (new cookie jar) on a server where its client ids are
unused, so cases cannot see each other's sessions or consents.  The name of a case is the name
of its function without ``case_``.
"""

from __future__ import annotations

import httpx

from .hydra_flow_cases import SECRET, Case, Session
from .oauth_flow import CALLBACK, pkce_pair, query_of

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


def case_full_flow(s: Session) -> None:
    s.client("c9")
    code = s.code("c9", "alice", OPENID)
    tokens = s.exchange("c9", code).json()
    s.userinfo(tokens["access_token"])
    s.introspect(tokens["access_token"])
    s.introspect(tokens["refresh_token"])
    refreshed = s.token(("c9", SECRET), grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    s.introspect(tokens["access_token"])
    s.introspect(refreshed["access_token"])
    s.userinfo(refreshed["access_token"])


def case_code_used_twice(s: Session) -> None:
    s.client("c10")
    code = s.code("c10", "bob", OPENID)
    tokens = s.exchange("c10", code).json()
    s.exchange("c10", code)
    s.introspect(tokens["access_token"])


def case_refresh_used_twice(s: Session) -> None:
    s.client("c11")
    tokens = s.exchange("c11", s.code("c11", "carol", OPENID)).json()
    again = s.token(("c11", SECRET), grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    s.token(("c11", SECRET), grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    s.introspect(again["access_token"])


def case_no_openid_no_offline(s: Session) -> None:
    s.client("c12")
    s.exchange("c12", s.code("c12", "dan", ["email"]))


def case_code_wrong_redirect_uri(s: Session) -> None:
    s.client("c13", redirect_uris=[CALLBACK, CALLBACK + "2"])
    code = s.code("c13", "erin", OPENID)
    s.token(("c13", SECRET), grant_type="authorization_code", code=code, redirect_uri=CALLBACK + "2")


def case_code_of_another_client(s: Session) -> None:
    s.client("c14")
    s.client("c14b")
    code = s.code("c14", "fay", OPENID)
    s.token(("c14b", SECRET), grant_type="authorization_code", code=code, redirect_uri=CALLBACK)


def case_code_wrong_secret(s: Session) -> None:
    s.client("c15")
    code = s.code("c15", "gus", OPENID)
    s.token(("c15", "not-the-secret"), grant_type="authorization_code", code=code, redirect_uri=CALLBACK)
    s.exchange("c15", code)


def case_unknown_code(s: Session) -> None:
    s.client("c16")
    s.exchange("c16", "ory_ac_unknown.unknown")
    s.token(("c16", "wrong-secret"), grant_type="authorization_code", code="ory_ac_unknown.unknown")


def case_pkce_s256(s: Session) -> None:
    s.client("c17")
    verifier, challenge = pkce_pair("S256")
    code = s.code("c17", "hal", OPENID, code_challenge=challenge, code_challenge_method="S256")
    s.exchange("c17", code, code_verifier=verifier)


def case_pkce_plain(s: Session) -> None:
    s.client("c18")
    verifier, challenge = pkce_pair("plain")
    code = s.code("c18", "ida", OPENID, code_challenge=challenge, code_challenge_method="plain")
    s.exchange("c18", code, code_verifier=verifier)


def case_pkce_wrong_verifier(s: Session) -> None:
    s.client("c19")
    _, challenge = pkce_pair("S256")
    code = s.code("c19", "jo", OPENID, code_challenge=challenge, code_challenge_method="S256")
    s.exchange("c19", code, code_verifier=pkce_pair()[0])


def case_pkce_missing_verifier(s: Session) -> None:
    s.client("c20")
    _, challenge = pkce_pair("S256")
    s.exchange("c20", s.code("c20", "kim", OPENID, code_challenge=challenge, code_challenge_method="S256"))


def case_pkce_short_verifier(s: Session) -> None:
    s.client("c21")
    code = s.code("c21", "lee", OPENID, code_challenge="short-verifier", code_challenge_method="plain")
    s.exchange("c21", code, code_verifier="short-verifier")


def case_pkce_unsupported_method(s: Session) -> None:
    s.client("c22")
    first = s.auth("c22", code_challenge="x" * 43, code_challenge_method="S512")
    after_login = s.get(s.login(first, "max").json()["redirect_to"])
    s.get(s.consent(after_login, OPENID).json()["redirect_to"])


def case_grant_not_allowed_right_and_wrong_secret(s: Session) -> None:
    s.client("c23", grant_types=["client_credentials"], response_types=["token"], redirect_uris=[])
    s.token(("c23", SECRET), grant_type="authorization_code", code="x")
    s.token(("c23", SECRET), grant_type="refresh_token", refresh_token="x")
    s.token(("c23", "wrong-secret"), grant_type="authorization_code", code="x")


def case_client_without_client_credentials(s: Session) -> None:
    s.client("c24")
    s.token(("c24", SECRET), grant_type="client_credentials")
    s.token(("c24", "wrong-secret"), grant_type="client_credentials")
    s.token(None, grant_type="client_credentials", client_id="c24", client_secret=SECRET)


def case_refresh_unknown(s: Session) -> None:
    s.client("c25")
    s.token(("c25", SECRET), grant_type="refresh_token", refresh_token="ory_rt_unknown.unknown")
    s.token(("c25", SECRET), grant_type="refresh_token")


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


def case_revoke_sessions(s: Session) -> None:
    s.client("c30")
    tokens = s.exchange("c30", s.code("c30", "quinn", OPENID)).json()
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/consent", params={"subject": "quinn", "all": "true"}))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/login", params={"subject": "quinn"}))
    s.introspect(tokens["access_token"])
    s.introspect(tokens["refresh_token"])
    again = s.auth("c30")
    challenge = query_of(again.headers["location"])["login_challenge"]
    s.rec(s.admin.get("/admin/oauth2/auth/requests/login", params={"login_challenge": challenge}))


def case_revoke_sessions_bad_parameters(s: Session) -> None:
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/login"))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/consent"))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/consent", params={"subject": "nobody"}))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/consent", params={"subject": "nobody", "client": "c0"}))
    s.rec(s.admin.delete("/admin/oauth2/auth/sessions/login", params={"subject": "nobody"}))


def case_introspect_edge(s: Session) -> None:
    s.rec(s.admin.post("/admin/oauth2/introspect", data={}))
    s.introspect("ory_at_unknown.unknown")


def case_userinfo_refused(s: Session) -> None:
    s.userinfo(None)
    s.userinfo("ory_at_unknown.unknown")


def case_revoke_tokens(s: Session) -> None:
    s.client("c31")
    first = s.exchange("c31", s.code("c31", "ray", OPENID)).json()
    s.rec(s.walk.browser.post(s.walk.public_url + "/oauth2/revoke", data={"token": first["access_token"]},
                              auth=("c31", SECRET)))
    s.introspect(first["access_token"])
    s.introspect(first["refresh_token"])
    s.rec(s.walk.browser.post(s.walk.public_url + "/oauth2/revoke", data={"token": first["refresh_token"]},
                              auth=("c31", SECRET)))
    s.introspect(first["refresh_token"])


def case_client_credentials_token_introspected(s: Session) -> None:
    s.client("c32", grant_types=["client_credentials"], response_types=["token"], scope="read")
    token = s.token(("c32", SECRET), grant_type="client_credentials", scope="read").json()["access_token"]
    s.introspect(token)
    s.userinfo(token)


def case_short_nonce(s: Session) -> None:
    s.client("c33")
    s.exchange("c33", s.code("c33", "sam", OPENID, nonce="short"))


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


def case_client_secret_post_exchange(s: Session) -> None:
    s.client("c39", token_endpoint_auth_method="client_secret_post")
    code = s.code("c39", "yul", OPENID)
    s.token(("c39", SECRET), grant_type="authorization_code", code=code, redirect_uri=CALLBACK)
    s.token(None, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id="c39",
            client_secret=SECRET)


def case_userinfo_by_post(s: Session) -> None:
    s.client("c40")
    tokens = s.exchange("c40", s.code("c40", "zed", OPENID)).json()
    s.rec(s.walk.browser.post(s.walk.public_url + "/userinfo",
                              headers={"Authorization": f"Bearer {tokens['access_token']}"}))


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
