"""Request sequences for the Hydra differential tests, and how their answers are normalised.

Each case is a short list of admin requests that is sent, unchanged, to the Hydra emulator and
to real Hydra (both wiped before the case).  Every answer is reduced to what must match: the
status, the body with generated values masked (ids, secrets, timestamps, registration tokens),
and the ``Link``, ``X-Total-Count`` and ``Location`` headers.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

Body = dict[str, Any] | list[Any] | bytes | None


@dataclass(frozen=True)
class Step:
    """One request.  ``{id}`` in ``path`` is the client id of the latest response that had one."""

    method: str
    path: str
    body: Body = None
    port: str = "admin"
    form: dict[str, str] | None = None
    basic: tuple[str, str] | None = None


@dataclass(frozen=True)
class Case:
    """A named sequence of steps; every step's answer is compared."""

    name: str
    steps: list[Step] = field(default_factory=list)


def post(body: Body) -> Step:
    """``POST /admin/clients``."""
    return Step("POST", "/admin/clients", body)


def make(*ids: str, **fields: Any) -> list[Step]:
    """Create clients with these ids (and the same extra fields)."""
    return [post({"client_id": cid, **fields}) for cid in ids]


def get(path: str = "/admin/clients/{id}") -> Step:
    """A GET of ``path``."""
    return Step("GET", path)


def lst(query: str = "") -> Step:
    """``GET /admin/clients`` with a query string."""
    return Step("GET", "/admin/clients" + (f"?{query}" if query else ""))


def token(offset: int) -> str:
    """The page token Hydra v2 issues for ``offset`` (spec §5)."""
    raw = json.dumps({"offset": str(offset), "v": 2}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def tok(basic: tuple[str, str] | None = None, **form: str) -> Step:
    """``POST /oauth2/token`` on the public port with a form (and HTTP Basic credentials)."""
    return Step("POST", "/oauth2/token", port="public", form={"grant_type": "client_credentials", **form},
                basic=basic)


CC = {"client_secret": "cc-secret-1", "grant_types": ["client_credentials"]}
FIVE = make("a1", "a2", "a3", "a4", "a5")
PK_JWKS = {"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "e": "AQAB",
                     "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboI"
                          "Rrop7HnBj5sLIlVR3MV2dOO_39ybqdtV8ueLmp1KIb0J2Wkp-JQHa9vSbX9ANgrIRP8T4hn3d9SKNa1hrnU"
                          "yMZQN3HEJiT0grx64L4UScbq9pFQwDEDzC3xc34l1fY4urTsJt9kG0ygV8iGLnI1NCRiBD0pIlFR8zlKX1"
                          "R-D57Og8ZHLrKm0fMNBN-kQdPUtTNpakG8N5pOmoL7x-rNWCHuF4EcmfzGXQmAyUT-DaMJTFi8wMuEuzyD"
                          "8aXO44bBQ"}]}

CASES: list[Case] = [
    # -- create ----------------------------------------------------------------------------
    Case("create-with-id", [post({"client_id": "c1"}), get()]),
    Case("create-without-id", [post({"client_name": "anon"}), get()]),
    Case("create-with-secret", [post({"client_id": "c1", "client_secret": "abcdef"})]),
    Case("create-generated-secret", [post({"client_id": "c1", "client_name": "n"})]),
    Case("create-empty-body-object", [post({})]),
    Case("create-full", [post({
        "client_id": "full", "client_name": "Full", "client_secret": "full-secret-123",
        "redirect_uris": ["https://app.example.com/cb", "http://localhost:8080/cb"],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types": ["code", "id_token"], "scope": "openid profile email",
        "audience": ["https://api.example.com"], "owner": "team-a",
        "policy_uri": "https://example.com/p", "tos_uri": "https://example.com/t",
        "client_uri": "https://example.com", "logo_uri": "https://example.com/l.png",
        "allowed_cors_origins": ["https://app.example.com"], "contacts": ["ops@example.com"],
        "subject_type": "public", "token_endpoint_auth_method": "client_secret_post",
        "userinfo_signed_response_alg": "none", "metadata": {"owner": "reconcile", "n": 1},
        "post_logout_redirect_uris": ["https://app.example.com/bye"],
        "frontchannel_logout_uri": "https://app.example.com/fc", "frontchannel_logout_session_required": True,
        "backchannel_logout_uri": "https://app.example.com/bc", "backchannel_logout_session_required": False,
        "skip_consent": True, "skip_logout_consent": False, "request_uris": ["https://app.example.com/r"],
        "request_object_signing_alg": "RS256", "jwks_uri": "https://app.example.com/jwks.json",
    }), get("/admin/clients/full")]),
    Case("create-auth-none-hides-secret", [post({"client_id": "pub", "token_endpoint_auth_method": "none"})]),
    Case("create-auth-none-given-secret", [post({"client_id": "pub", "client_secret": "abcdefg",
                                                 "token_endpoint_auth_method": "none"})]),
    Case("create-private-key-jwt-with-jwks", [post({"client_id": "pk", "token_endpoint_auth_method": "private_key_jwt",
                                                    "jwks": PK_JWKS}), get("/admin/clients/pk")]),
    Case("create-private-key-jwt-without-keys", [post({"client_id": "pk",
                                                       "token_endpoint_auth_method": "private_key_jwt"})]),
    Case("create-private-key-jwt-bad-alg", [post({"client_id": "pk", "token_endpoint_auth_method": "private_key_jwt",
                                                  "jwks_uri": "https://e.example/j",
                                                  "token_endpoint_auth_signing_alg": "HS256"})]),
    Case("create-jwks-and-jwks-uri", [post({"client_id": "j", "jwks": PK_JWKS, "jwks_uri": "https://e.example/j"})]),
    Case("create-invalid-jwk", [post({"client_id": "j", "jwks": {"keys": [{"kty": "nope"}]}})]),
    Case("create-duplicate", [*make("dup"), post({"client_id": "dup", "client_name": "again"})]),
    Case("create-secret-too-short", [post({"client_id": "s", "client_secret": "12345"})]),
    Case("create-secret-exactly-six", [post({"client_id": "s", "client_secret": "123456"})]),
    Case("create-redirect-not-absolute", [post({"client_id": "r", "redirect_uris": ["foo"]})]),
    Case("create-redirect-empty-string", [post({"client_id": "r", "redirect_uris": [""]})]),
    Case("create-redirect-fragment", [post({"client_id": "r", "redirect_uris": ["https://a.example/cb#x"]})]),
    Case("create-redirect-relative-path", [post({"client_id": "r", "redirect_uris": ["/cb"]})]),
    Case("create-redirect-custom-scheme", [post({"client_id": "r", "redirect_uris": ["com.example.app:/cb"]})]),
    Case("create-post-logout-mismatch", [post({"client_id": "p", "redirect_uris": ["https://a.example/cb"],
                                               "post_logout_redirect_uris": ["https://b.example/bye"]})]),
    Case("create-post-logout-port-mismatch", [post({"client_id": "p", "redirect_uris": ["https://a.example/cb"],
                                                    "post_logout_redirect_uris": ["https://a.example:8443/x"]})]),
    Case("create-cors-trailing-slash", [post({"client_id": "o", "allowed_cors_origins": ["https://a.example/"]}),
                                        get("/admin/clients/o")]),
    Case("create-cors-with-path", [post({"client_id": "o", "allowed_cors_origins": ["https://a.example/x"]})]),
    Case("create-cors-bad-scheme", [post({"client_id": "o", "allowed_cors_origins": ["ftp://a.example"]})]),
    Case("create-cors-userinfo", [post({"client_id": "o", "allowed_cors_origins": ["https://u:p@a.example"]})]),
    Case("create-userinfo-alg-rs256", [post({"client_id": "u", "userinfo_signed_response_alg": "RS256"})]),
    Case("create-userinfo-alg-bad", [post({"client_id": "u", "userinfo_signed_response_alg": "RS512"})]),
    Case("create-subject-pairwise", [post({"client_id": "u", "subject_type": "pairwise"})]),
    Case("create-subject-bogus", [post({"client_id": "u", "subject_type": "bogus"})]),
    Case("create-token-strategy-upper", [post({"client_id": "t", "access_token_strategy": "JWT"})]),
    Case("create-token-strategy-bad", [post({"client_id": "t", "access_token_strategy": "magic"})]),
    Case("create-unknown-grant-type", [post({"client_id": "g", "grant_types": ["made_up"],
                                             "response_types": ["nope"]})]),
    Case("create-unknown-auth-method", [post({"client_id": "g", "token_endpoint_auth_method": "whatever"})]),
    Case("create-unknown-key-ignored", [post({"client_id": "k", "no_such_field": 1, "client_nmae": "typo"})]),
    Case("create-body-not-json", [post(b"{not json")]),
    Case("create-wrong-type", [post({"client_id": "w", "client_name": 5})]),
    Case("create-wrong-list-type", [post({"client_id": "w", "redirect_uris": "https://a.example/cb"})]),
    Case("create-body-is-array", [post(b"[]")]),
    Case("create-body-empty", [post(b"")]),
    Case("create-trailing-data-ignored", [post(b'{"client_id": "t"} trailing'), get("/admin/clients/t")]),
    Case("create-jwks-key-not-checked", [post({"client_id": "j", "jwks": {"keys": [{"kty": "RSA", "n": "abc",
                                                                                   "e": "AQAB"}]}})]),
    Case("create-metadata-null", [post({"client_id": "m", "metadata": None}), get("/admin/clients/m")]),
    Case("create-metadata-array", [post({"client_id": "m", "metadata": [1, "two"]}), get("/admin/clients/m")]),
    Case("create-metadata-nested", [post({"client_id": "m", "metadata": {"b": {"c": [1.5, True]}, "a": None}})]),
    Case("create-empty-scope-defaults", [post({"client_id": "e", "scope": ""})]),
    Case("create-lifespans", [post({"client_id": "l", "client_credentials_grant_access_token_lifespan": "1h",
                                    "authorization_code_grant_id_token_lifespan": "90s"}), get("/admin/clients/l")]),
    Case("create-bad-lifespan", [post({"client_id": "l", "client_credentials_grant_access_token_lifespan": "soon"})]),
    Case("create-skip-logout-consent", [post({"client_id": "x", "skip_logout_consent": True})]),
    Case("create-ignores-timestamps", [post({"client_id": "x", "created_at": "2001-01-01T00:00:00Z",
                                             "client_secret_expires_at": 99})]),
    Case("create-non-uuid-id", [post({"client_id": "my.client_1~x"}), get("/admin/clients/my.client_1~x")]),
    # -- get -------------------------------------------------------------------------------
    Case("get-unknown", [get("/admin/clients/nope")]),
    Case("get-after-delete", [*make("gone"), Step("DELETE", "/admin/clients/gone"), get("/admin/clients/gone")]),
    Case("legacy-path-redirects", [get("/clients")]),
    # -- list ------------------------------------------------------------------------------
    Case("list-empty", [lst()]),
    Case("list-empty-page-size-2", [lst("page_size=2")]),
    Case("list-empty-with-token", [lst(f"page_size=2&page_token={token(2)}")]),
    Case("list-fewer-than-page", [*make("b", "a", "c"), lst("page_size=5")]),
    Case("list-exactly-one-page", [*make("b", "a", "c"), lst("page_size=3")]),
    Case("list-default-page", [*make("b", "a", "c"), lst()]),
    Case("list-first-page", [*FIVE, lst("page_size=2")]),
    Case("list-middle-page", [*FIVE, lst(f"page_size=2&page_token={token(2)}")]),
    Case("list-last-page", [*FIVE, lst(f"page_size=2&page_token={token(4)}")]),
    Case("list-past-the-end", [*FIVE, lst(f"page_size=2&page_token={token(10)}")]),
    Case("list-unaligned-offset", [*FIVE, lst(f"page_size=2&page_token={token(3)}")]),
    Case("list-page-size-zero", [*FIVE, lst("page_size=0")]),
    Case("list-page-size-negative", [*FIVE, lst("page_size=-1")]),
    Case("list-page-size-not-int", [*FIVE, lst("page_size=abc")]),
    Case("list-page-size-over-max", [*FIVE, lst("page_size=1001")]),
    Case("list-page-size-one", [*FIVE, lst("page_size=1")]),
    Case("list-bad-token", [*FIVE, lst("page_size=2&page_token=%21%21garbage")]),
    Case("list-token-not-json", [*FIVE, lst("page_size=2&page_token=" + base64.urlsafe_b64encode(b"xyz").decode())]),
    Case("list-filter-owner", [*make("o1", "o2", owner="x"), *make("o3"), lst("owner=x&page_size=1")]),
    Case("list-filter-client-name", [*make("n1", client_name="N"), *make("n2"), lst("client_name=N")]),
    Case("list-filter-no-match", [*FIVE, lst("owner=nobody")]),
    Case("list-extra-params-kept", [*FIVE, lst("zeta=1&page_size=2&alpha=2")]),
    Case("list-hides-secrets", [post({"client_id": "h", "client_secret": "abcdefgh"}), lst()]),
    # -- put -------------------------------------------------------------------------------
    Case("put-with-secret", [*make("u", client_name="one", metadata={"k": 1}),
                             Step("PUT", "/admin/clients/u", {"client_id": "u", "client_name": "two",
                                                               "client_secret": "new-secret"}), get("/admin/clients/u")]),
    Case("put-without-secret", [*make("u", client_name="one", scope="a b"),
                                Step("PUT", "/admin/clients/u", {"client_name": "two"}), get("/admin/clients/u")]),
    Case("put-empty-secret", [*make("u"), Step("PUT", "/admin/clients/u", {"client_secret": ""})]),
    Case("put-short-secret", [*make("u"), Step("PUT", "/admin/clients/u", {"client_secret": "abc"})]),
    Case("put-resets-omitted-fields", [*make("u", metadata={"m": 1}, owner="o", redirect_uris=["https://a.example/cb"]),
                                       Step("PUT", "/admin/clients/u", {"client_id": "u"}), get("/admin/clients/u")]),
    Case("put-path-id-wins", [*make("u"), Step("PUT", "/admin/clients/u", {"client_id": "other", "client_name": "x"}),
                              get("/admin/clients/other")]),
    Case("put-unknown", [Step("PUT", "/admin/clients/nope", {"client_name": "x"})]),
    Case("put-unknown-invalid", [Step("PUT", "/admin/clients/nope", {"redirect_uris": ["foo"]})]),
    Case("put-invalid-body", [*make("u"), Step("PUT", "/admin/clients/u", b"nope")]),
    Case("put-empty-scope", [*make("u", scope="a"), Step("PUT", "/admin/clients/u", {"scope": ""})]),
    Case("put-auth-none-echoes-secret", [*make("u"), Step("PUT", "/admin/clients/u", {
        "token_endpoint_auth_method": "none", "client_secret": "abcdefgh"})]),
    # -- patch -----------------------------------------------------------------------------
    Case("patch-replace", [*make("p", client_name="one"),
                           Step("PATCH", "/admin/clients/p", [{"op": "replace", "path": "/client_name", "value": "two"}]),
                           get("/admin/clients/p")]),
    Case("patch-add-to-list", [*make("p", redirect_uris=["https://a.example/1"]),
                               Step("PATCH", "/admin/clients/p", [{"op": "add", "path": "/redirect_uris/-",
                                                                   "value": "https://a.example/2"}])]),
    Case("patch-remove-metadata-key", [*make("p", metadata={"a": 1, "b": 2}),
                                       Step("PATCH", "/admin/clients/p", [{"op": "remove", "path": "/metadata/a"}])]),
    Case("patch-replace-missing-acts-as-add", [*make("p"), Step("PATCH", "/admin/clients/p", [
        {"op": "replace", "path": "/metadata/new", "value": "v"}])]),
    Case("patch-move", [*make("p", client_name="n"), Step("PATCH", "/admin/clients/p", [
        {"op": "move", "from": "/client_name", "path": "/owner"}])]),
    Case("patch-copy", [*make("p", client_name="n"), Step("PATCH", "/admin/clients/p", [
        {"op": "copy", "from": "/client_name", "path": "/owner"}])]),
    Case("patch-test", [*make("p", client_name="n"), Step("PATCH", "/admin/clients/p", [
        {"op": "test", "path": "/client_name", "value": "n"}])]),
    Case("patch-secret-echoed", [*make("p"), Step("PATCH", "/admin/clients/p", [
        {"op": "replace", "path": "/client_secret", "value": "patched-secret"}])]),
    Case("patch-other-field-hides-secret", [*make("p", client_secret="kept-secret"), Step("PATCH", "/admin/clients/p", [
        {"op": "replace", "path": "/owner", "value": "me"}])]),
    Case("patch-invalid-result", [*make("p"), Step("PATCH", "/admin/clients/p", [
        {"op": "add", "path": "/redirect_uris", "value": ["foo"]}])]),
    Case("patch-unknown-id", [Step("PATCH", "/admin/clients/nope", [{"op": "replace", "path": "/owner", "value": "x"}])]),
    Case("patch-not-an-array", [*make("p"), Step("PATCH", "/admin/clients/p", {"op": "replace"})]),
    Case("patch-remove-missing-path", [*make("p"), Step("PATCH", "/admin/clients/p", [
        {"op": "remove", "path": "/metadata/none"}])]),
    Case("patch-client-id-to-unknown", [*make("p"), Step("PATCH", "/admin/clients/p", [
        {"op": "replace", "path": "/client_id", "value": "elsewhere"}]), get("/admin/clients/p")]),
    Case("patch-client-id-to-existing", [*make("p", client_name="P"), *make("q", client_name="Q"),
                                         Step("PATCH", "/admin/clients/p", [
                                             {"op": "replace", "path": "/client_id", "value": "q"}]),
                                         lst()]),
    Case("patch-id-denied", [*make("p"), Step("PATCH", "/admin/clients/p", [
        {"op": "add", "path": "/id", "value": "x"}])]),
    # -- lifespans -------------------------------------------------------------------------
    Case("lifespans-set", [*make("l", client_secret="keep-me-1"), Step("PUT", "/admin/clients/l/lifespans", {
        "client_credentials_grant_access_token_lifespan": "2h", "refresh_token_grant_refresh_token_lifespan": "720h"}),
        get("/admin/clients/l")]),
    Case("lifespans-unknown", [Step("PUT", "/admin/clients/nope/lifespans", {
        "client_credentials_grant_access_token_lifespan": "2h"})]),
    # -- delete ----------------------------------------------------------------------------
    Case("delete-existing", [*make("d"), Step("DELETE", "/admin/clients/d"), lst()]),
    Case("delete-unknown", [Step("DELETE", "/admin/clients/nope")]),
    Case("delete-twice", [*make("d"), Step("DELETE", "/admin/clients/d"), Step("DELETE", "/admin/clients/d")]),
    # -- token endpoint (public port) -----------------------------------------------------
    Case("token-ok", [*make("cc", **CC), tok(("cc", "cc-secret-1"))]),
    Case("token-wrong-secret", [*make("cc", **CC), tok(("cc", "cc-secret-2"))]),
    Case("token-unknown-client", [tok(("ghost", "cc-secret-1"))]),
    Case("token-no-credentials", [*make("cc", **CC), tok()]),
    Case("token-secret-post", [*make("cc", **CC, token_endpoint_auth_method="client_secret_post"),
                               tok(client_id="cc", client_secret="cc-secret-1")]),
    Case("token-post-to-basic-client", [*make("cc", **CC), tok(client_id="cc", client_secret="cc-secret-1")]),
    Case("token-grant-not-allowed", [*make("ac", client_secret="cc-secret-1"), tok(("ac", "cc-secret-1"))]),
    Case("token-missing-grant-type", [*make("cc", **CC), Step("POST", "/oauth2/token", port="public", form={},
                                                              basic=("cc", "cc-secret-1"))]),
    Case("token-unsupported-grant", [*make("cc", **CC), tok(("cc", "cc-secret-1"), grant_type="password")]),
    Case("token-scope-allowed", [*make("cc", **CC, scope="read write"), tok(("cc", "cc-secret-1"), scope="read")]),
    Case("token-scope-not-allowed", [*make("cc", **CC, scope="read"), tok(("cc", "cc-secret-1"), scope="admin")]),
    Case("token-after-rotation", [*make("cc", **CC),
                                  Step("PUT", "/admin/clients/cc", {**CC, "client_secret": "cc-secret-2"}),
                                  tok(("cc", "cc-secret-1")), tok(("cc", "cc-secret-2"))]),
    Case("token-secret-kept-by-put", [*make("cc", **CC), Step("PUT", "/admin/clients/cc", {
        "grant_types": ["client_credentials"]}), tok(("cc", "cc-secret-1"))]),
    Case("token-secret-patched", [*make("cc", **CC), Step("PATCH", "/admin/clients/cc", [
        {"op": "replace", "path": "/client_secret", "value": "cc-secret-3"}]), tok(("cc", "cc-secret-1")),
        tok(("cc", "cc-secret-3"))]),
    Case("token-after-delete", [*make("cc", **CC), Step("DELETE", "/admin/clients/cc"), tok(("cc", "cc-secret-1"))]),
    # -- outside the clients API -----------------------------------------------------------
    Case("unknown-admin-path", [get("/nope")]),
    Case("version", [get("/version")]),
    Case("public-discovery-document", [Step("GET", "/.well-known/openid-configuration", port="public")]),
    Case("public-dynamic-registration", [Step("POST", "/oauth2/register", {"client_name": "x"}, port="public")]),
    Case("public-revocation", [*make("cc", **CC), Step("POST", "/oauth2/revoke", port="public",
                                                       form={"token": "x"}, basic=("cc", "cc-secret-1"))]),
    Case("public-revocation-wrong-secret", [*make("cc", **CC), Step("POST", "/oauth2/revoke", port="public",
                                                                    form={"token": "x"}, basic=("cc", "nope-nope"))]),
    Case("public-dynamic-registration-get", [Step("GET", "/oauth2/register/x", port="public")]),
    Case("admin-jwk-sets", [get("/admin/keys/hydra.openid.id-token")]),
    # -- health ----------------------------------------------------------------------------
    Case("health-ready", [get("/health/ready")]),
    Case("health-alive", [get("/health/alive")]),
]

# -- normalisation -----------------------------------------------------------------------------

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIMESTAMPS = ("created_at", "updated_at")


def sent_secrets(steps: list[Step]) -> set[str]:
    """Every secret value a case sends (kept verbatim when echoed; generated ones are masked)."""
    found: set[str] = set()
    for step in steps:
        if isinstance(step.body, dict) and isinstance(step.body.get("client_secret"), str):
            found.add(step.body["client_secret"])
        if isinstance(step.body, list):
            found.update(op.get("value") for op in step.body
                         if isinstance(op, dict) and op.get("path") == "/client_secret")
    return found


def timestamp_shape(value: str) -> str:
    """A timestamp reduced to its format: whole seconds or a fraction, UTC ``Z`` or an offset."""
    match = re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value)
    if match is None:
        return f"<not RFC 3339: {value!r}>"
    return f"<timestamp{' with fraction' if match.group(1) else ''}{'' if match.group(2) == 'Z' else ' offset'}>"


def mask_client(obj: dict[str, Any], secrets: set[str], public_url: str) -> dict[str, Any]:
    """Mask the generated parts of one client object."""
    out = dict(obj)
    for key in TIMESTAMPS:
        if isinstance(out.get(key), str):
            out[key] = timestamp_shape(out[key])
    if isinstance(out.get("client_id"), str) and UUID.match(out["client_id"]):
        out["client_id"] = "<uuid>"
    secret = out.get("client_secret")
    if isinstance(secret, str) and secret not in secrets:
        shape = "26 chars of [A-Za-z0-9_.~-]" if re.fullmatch(r"[A-Za-z0-9_.~-]{26}", secret) else repr(secret)
        out["client_secret"] = f"<generated: {shape}>"
    if isinstance(out.get("registration_access_token"), str):
        out["registration_access_token"] = "<token ory_at_...>" if out["registration_access_token"].startswith(
            "ory_at_") else "<token>"
    if isinstance(out.get("access_token"), str):
        out["access_token"] = "<access token ory_at_...>" if out["access_token"].startswith("ory_at_") else "<token>"
    uri = out.get("registration_client_uri")
    if isinstance(uri, str):
        uri = uri.replace(public_url, "<public>")
        out["registration_client_uri"] = re.sub(r"/[0-9a-f-]{36}$", "/<uuid>", uri)
    return out


def normalise(status: int, headers: dict[str, str], body: bytes, secrets: set[str],
              public_url: str, admin_url: str) -> dict[str, Any]:
    """What must match between emulator and real Hydra for one answer."""
    parsed: Any
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = body.decode(errors="replace").replace(admin_url, "<admin>")
    if isinstance(parsed, dict) and ("client_id" in parsed or "access_token" in parsed):
        parsed = mask_client(parsed, secrets, public_url)
    elif isinstance(parsed, dict) and "issuer" in parsed:  # the discovery document names the public URL
        parsed = json.loads(json.dumps(parsed).replace(public_url.rstrip("/"), "<public>"))
    elif isinstance(parsed, list):
        parsed = [mask_client(c, secrets, public_url) if isinstance(c, dict) else c for c in parsed]
    out: dict[str, Any] = {"status": status, "body": parsed}
    for name in ("link", "x-total-count", "location", "content-type", "cache-control"):
        if name in headers:
            value = headers[name].replace(admin_url, "<admin>")
            out[name] = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", "<uuid>", value)
    return out
