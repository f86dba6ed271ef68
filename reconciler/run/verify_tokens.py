"""Proof at Hydra's token endpoint that a secret authenticates, with no browser and no gateway.

fosite (``access_request_handler.go``: ``NewAccessRequest``) authenticates the client *before*
it looks at the grant type, so one ``grant_type=client_credentials`` request settles it:

* the client may use that grant: 200 with a token, which we revoke at once;
* it may not: a right secret gives 400 ``unauthorized_client``, a wrong one (or an unknown client,
  or the wrong ``token_endpoint_auth_method``) 401 ``invalid_client``.

Those answers of real Hydra v2.3.0 are pinned by ``tests/verify/test_verify_real_hydra.py``.
The plugin check does the same with the ``client_id``/``client_secret`` that APISIX's GET
returns, at the token endpoint its discovery document names, after checking the issuer, the
redirect URI and the scopes against the Hydra client.
"""

from __future__ import annotations

from reconciler.plan.checks import Check, scope_allowed
from reconciler.run.verify_base import Context, Failed, Skipped, Track

UNAUTHORIZED_CLIENT = "unauthorized_client"
INVALID_CLIENT = "invalid_client"


async def prove_secret(ctx: Context, track: Track, token_url: str, revoke_url: str | None, check: Check,
                       client_id: str, whose: str) -> str:
    """One client_credentials request; revoke a token we got.  ``whose`` names the secret's holder."""
    secret, method = check.params.get("secret"), str(check.params.get("auth_method"))
    track.step = "token"
    answer = await ctx.oauth.token(token_url, client_id, secret, method, {"grant_type": "client_credentials"})
    if answer.status == 200 and isinstance(answer.body, dict) and answer.body.get("access_token"):
        track.step = "revoke"
        if revoke_url:
            revoked = await ctx.oauth.revoke(revoke_url, client_id, secret, method, str(answer.body["access_token"]))
            if revoked.status != 200:
                raise Failed("revoke", "the test token could not be revoked", revoked)
        return f"{whose} authenticates ({method}): a client_credentials token was issued and revoked"
    if answer.status == 400 and answer.error == UNAUTHORIZED_CLIENT:
        return (f"{whose} authenticates ({method}): Hydra accepted it and refused only the grant "
                f"(unauthorized_client: the client may not use client_credentials)")
    if answer.error == INVALID_CLIENT:
        raise Failed("token", f"Hydra refused {whose} for client {client_id!r} (invalid_client: a wrong secret, "
                              f"an unknown client, or another token_endpoint_auth_method than {method!r})", answer)
    raise Failed("token", f"unexpected answer from the token endpoint {token_url}", answer)


async def client_secret(ctx: Context, check: Check, track: Track) -> str:
    """The secret in Git authenticates the Hydra client."""
    method = str(check.params.get("auth_method"))
    if method == "none":
        raise Skipped("token_endpoint_auth_method is none: a public client has no secret to check")
    if method not in ("client_secret_basic", "client_secret_post"):
        raise Skipped(f"token_endpoint_auth_method is {method}: only client secrets are checked")
    if check.params.get("secret") is None:
        raise Skipped("no client_secret is declared: the secret is not managed here")
    if not check.params.get("present", True):
        raise Failed("read", f"Hydra has no client {check.key!r} (run `reconcile apply`)")
    if ctx.hydra_public_url is None:
        raise Failed("token", "no Hydra public URL (give --hydra-public-url or HYDRA_PUBLIC_URL, "
                              "or declare hydra.issuer)")
    base = ctx.hydra_public_url.rstrip("/")
    return await prove_secret(ctx, track, base + "/oauth2/token", base + "/oauth2/revoke", check, check.key,
                              "the client_secret in the desired state")


async def oidc_plugin(ctx: Context, check: Check, track: Track) -> str:
    """The plugin APISIX holds can log users in at Hydra."""
    p = check.params
    track.step = "read"
    if not p.get("present"):
        raise Failed("read", f"{check.kind.value} {check.key} is not on APISIX (run `reconcile apply`)")
    if not p.get("has_plugin"):
        raise Failed("read", f"{check.kind.value} {check.key} on APISIX has no openid-connect plugin")
    track.step = "discovery"
    doc = await ctx.discover(str(p["discovery"]))
    client = p.get("client")
    client_id = str(p["client_id"])
    if client is None and p.get("hydra_read"):
        raise Failed("client", f"Hydra has no client {client_id!r}")
    if client is not None:
        if not p.get("bearer_only"):
            track.step = "redirect_uri"
            if p["redirect_uri"] not in client["redirect_uris"]:
                raise Failed("redirect_uri", f"redirect_uri {p['redirect_uri']!r} is not registered on Hydra "
                                             f"client {client_id!r} ({', '.join(client['redirect_uris']) or 'none'})")
        track.step = "scope"
        missing = [s for s in p["scopes"] if not scope_allowed(client["scopes"], s)]
        if missing:
            raise Failed("scope", f"scope {' '.join(missing)!r} is not allowed by Hydra client {client_id!r} "
                                  f"(scope {' '.join(client['scopes'])!r})")
    message = await prove_secret(ctx, track, str(doc["token_endpoint"]), _str(doc.get("revocation_endpoint")),
                                 check, client_id, "the client_secret APISIX holds")
    unread = "" if client is not None else "; redirect_uri and scopes not checked (Hydra's clients were not read)"
    return f"discovery names {doc.get('issuer')}; {message}{unread}"


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
