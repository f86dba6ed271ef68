"""The desired Ory Hydra OAuth2 client (every writable field of v2.3).

Hydra accepts any grant type, response type and auth method, silently drops unknown keys and
fills an empty scope with a default, so a typo would become a broken login in production.
This model closes those doors and applies the checks Hydra itself makes (secret length,
redirect URIs, post-logout URIs, userinfo alg, access-token strategy).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, field_validator, model_validator

from reconciler.state.models.common import Strict
from reconciler.state.models.durations import parse_duration

GRANT_TYPES = (
    "authorization_code",
    "refresh_token",
    "client_credentials",
    "implicit",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:device_code",
)
RESPONSE_TYPES = (
    "code", "token", "id_token", "none",
    "code token", "code id_token", "id_token token", "code id_token token",
)  # fmt: skip
AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
LIFESPANS = (
    "authorization_code_grant_access_token_lifespan",
    "authorization_code_grant_id_token_lifespan",
    "authorization_code_grant_refresh_token_lifespan",
    "client_credentials_grant_access_token_lifespan",
    "implicit_grant_access_token_lifespan",
    "implicit_grant_id_token_lifespan",
    "jwt_bearer_grant_access_token_lifespan",
    "refresh_token_grant_id_token_lifespan",
    "refresh_token_grant_access_token_lifespan",
    "refresh_token_grant_refresh_token_lifespan",
)


def _check_duration(value: str) -> str:
    parse_duration(value)
    return value


Duration = Annotated[
    str,
    AfterValidator(_check_duration),
    Field(description="Go duration such as '1h', '30m', '1h30m' (stored by Hydra as '1h0m0s')."),
]


def _check_response_type(value: str) -> str:
    words = value.split()
    if not words or any(w not in ("code", "token", "id_token", "none") for w in words):
        raise ValueError(f"unknown response type {value!r} (known: {', '.join(RESPONSE_TYPES)})")
    return value


def _absolute_uri(value: str, field: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme or not (parts.netloc or parts.path):
        raise ValueError(f"{field} {value!r} must be an absolute URI (with a scheme)")
    if "#" in value:
        raise ValueError(f"{field} {value!r} must not contain a fragment (#)")
    return value


def _redirect_uri(value: str) -> str:
    return _absolute_uri(value, "redirect URI")


def _cors_origin(origin: str) -> str:
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"CORS origin {origin!r} must be an http or https origin")
    if parts.username or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"CORS origin {origin!r} must not have user info, path, query or fragment")
    return origin


def _origin(uri: str) -> tuple[str, str, int | None]:
    parts = urlsplit(uri)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), (parts.port or default)


class OAuth2Client(Strict):
    """``hydra.clients[]``: one OAuth2 client; ``client_id`` is required (we always choose ids)."""

    client_id: str = Field(min_length=1, max_length=255, pattern=r"^[^/]+$", description="Client id (no '/').")
    client_name: str | None = None
    client_secret: str | None = Field(
        None, min_length=6, description="Secret (>= 6 characters; use ${env:...}); omit to leave it unmanaged."
    )
    redirect_uris: list[Annotated[str, AfterValidator(_redirect_uri)]] | None = Field(
        None, description="Absolute redirect URIs without fragments."
    )
    grant_types: list[Literal[GRANT_TYPES]] | None = Field(None, description="OAuth2 grant types.")  # type: ignore[valid-type]
    response_types: list[Annotated[str, AfterValidator(_check_response_type)]] | None = None
    scope: str | list[str] = Field(description="Scopes: a space-separated string or a list; never empty.")
    audience: list[str] | None = None
    owner: str | None = None
    policy_uri: str | None = None
    tos_uri: str | None = None
    client_uri: str | None = None
    logo_uri: str | None = None
    allowed_cors_origins: list[Annotated[str, AfterValidator(_cors_origin)]] | None = None
    contacts: list[str] | None = None
    subject_type: Literal["public", "pairwise"] | None = None
    sector_identifier_uri: str | None = None
    jwks_uri: str | None = None
    jwks: dict[str, Any] | None = None
    token_endpoint_auth_method: Literal[AUTH_METHODS] | None = None  # type: ignore[valid-type]
    token_endpoint_auth_signing_alg: str | None = None
    request_uris: list[str] | None = None
    request_object_signing_alg: str | None = None
    userinfo_signed_response_alg: Literal["none", "RS256"] | None = None
    frontchannel_logout_uri: str | None = None
    backchannel_logout_uri: str | None = None
    frontchannel_logout_session_required: bool | None = None
    backchannel_logout_session_required: bool | None = None
    post_logout_redirect_uris: list[str] | None = None
    metadata: dict[str, Any] | None = Field(None, description="Free metadata (the tool adds its marker).")
    access_token_strategy: Literal["jwt", "opaque"] | None = None
    skip_consent: bool | None = None
    skip_logout_consent: bool | None = None
    authorization_code_grant_access_token_lifespan: Duration | None = None
    authorization_code_grant_id_token_lifespan: Duration | None = None
    authorization_code_grant_refresh_token_lifespan: Duration | None = None
    client_credentials_grant_access_token_lifespan: Duration | None = None
    implicit_grant_access_token_lifespan: Duration | None = None
    implicit_grant_id_token_lifespan: Duration | None = None
    jwt_bearer_grant_access_token_lifespan: Duration | None = None
    refresh_token_grant_id_token_lifespan: Duration | None = None
    refresh_token_grant_access_token_lifespan: Duration | None = None
    refresh_token_grant_refresh_token_lifespan: Duration | None = None

    @field_validator("scope")
    @classmethod
    def _scope_not_empty(cls, value: str | list[str]) -> str | list[str]:
        words = value.split() if isinstance(value, str) else value
        if not words or any(not w or " " in w for w in words):
            raise ValueError("scope must name at least one scope (Hydra would fill 'offline_access offline openid')")
        return value

    @model_validator(mode="after")
    def _cross_field(self) -> OAuth2Client:
        origins = {_origin(u) for u in self.redirect_uris or []}
        for uri in self.post_logout_redirect_uris or []:
            _absolute_uri(uri, "post_logout_redirect_uri")
            if _origin(uri) not in origins:
                raise ValueError(
                    f"post_logout_redirect_uri {uri!r} must match the domain, port and scheme of a redirect URI"
                )
        if self.jwks is not None and self.jwks_uri is not None:
            raise ValueError("give either 'jwks' or 'jwks_uri', not both")
        if self.token_endpoint_auth_method == "private_key_jwt" and self.jwks is None and self.jwks_uri is None:
            raise ValueError("token_endpoint_auth_method private_key_jwt needs 'jwks' or 'jwks_uri'")
        return self
