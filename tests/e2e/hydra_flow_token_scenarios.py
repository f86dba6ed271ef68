"""The differential cases of Hydra's token side: code exchange, PKCE, refresh, introspection, revocation.

One function per case (see ``hydra_flow_cases``); the front channel is in ``hydra_flow_scenarios``.

Each function gets a fresh ``Session`` (new cookie jar) on a server where its client ids are
unused, so cases cannot see each other's sessions or consents.  The name of a case is the name
of its function without ``case_``.
"""

from __future__ import annotations

from .hydra_flow_cases import SECRET, Case, Session
from .oauth_flow import CALLBACK, pkce_pair, query_of

OPENID = ["openid", "offline_access"]



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

CASES: dict[str, Case] = {name[len("case_"):]: fn for name, fn in dict(globals()).items()
                          if name.startswith("case_") and callable(fn)}
