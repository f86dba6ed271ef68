"""Typed models for the APISIX plugins the tool knows well, and the ``plugins`` containers.

Any other plugin stays a free mapping (APISIX validates it), but the plugins that carry
credentials or decide who gets in are checked field by field against the 3.18 schemas, plus
the rules newer APISIX enforces that older ones silently "fixed" by inventing secrets.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from reconciler.state.models.closed_sets import WindowType
from reconciler.state.models.common import Strict

PosInt = Annotated[int, Field(ge=1)]


class _Plugin(Strict):
    """Base of typed plugin configs: accepts ``_meta`` like every APISIX plugin."""

    model_config = ConfigDict(populate_by_name=False)
    meta: dict[str, Any] | None = Field(
        None, alias="_meta", description="APISIX plugin meta: disable, error_response, priority, filter."
    )


class OIDCSession(Strict):
    """openid-connect ``session``: ``secret`` is required inside it."""

    secret: str = Field(min_length=16, description="Session cookie encryption secret (>= 16 characters).")
    cookie_name: str | None = None
    cookie_path: str | None = None
    cookie_domain: str | None = None
    cookie_secure: bool | None = None
    cookie_http_only: bool | None = None
    cookie_same_site: Literal["Strict", "Lax", "None", "Default"] | None = None
    idling_timeout: int | None = None
    rolling_timeout: int | None = None
    absolute_timeout: int | None = None
    cookie: dict[str, Any] | None = Field(None, description="Deprecated: {lifetime}.")
    storage: Literal["cookie", "redis"] | None = None
    redis: dict[str, Any] | None = Field(None, description="Redis session storage settings.")

    @model_validator(mode="after")
    def _redis_needs_config(self) -> OIDCSession:
        if self.storage == "redis" and self.redis is None:
            raise ValueError("session.redis is required when session.storage is 'redis'")
        return self


class OpenIDConnect(_Plugin):
    """openid-connect (3.18 fields) plus ``client``, our reference to a Hydra client by id."""

    client: str | None = Field(
        None,
        description="client_id of a Hydra client declared in this desired state; fills client_id, "
        "client_secret and discovery at resolution time.",
    )
    client_id: str | None = Field(None, description="OAuth2 client id (leave out when `client` is given).")
    client_secret: str | None = Field(None, description="OAuth2 client secret (sensitive).")
    discovery: str | None = Field(None, description="OpenID discovery document URL.")
    scope: str | None = Field(None, description="Space-separated scopes requested (default 'openid').")
    ssl_verify: bool | None = None
    timeout: PosInt | None = None
    introspection_endpoint: str | None = None
    introspection_endpoint_auth_method: str | None = None
    token_endpoint_auth_method: str | None = Field(None, description="Default client_secret_basic.")
    bearer_only: bool | None = Field(None, description="Only check bearer tokens (default false).")
    session: OIDCSession | None = None
    realm: str | None = None
    claim_validator: dict[str, Any] | None = None
    logout_path: str | None = None
    redirect_uri: str | None = Field(None, description="Redirect URI; must be one of the client's.")
    post_logout_redirect_uri: str | None = None
    unauth_action: Literal["auth", "deny", "pass"] | None = None
    public_key: str | None = None
    use_jwks: bool | None = None
    token_signing_alg_values_expected: str | None = None
    use_pkce: bool | None = None
    par: dict[str, Any] | None = None
    dpop: dict[str, Any] | None = None
    set_access_token_header: bool | None = None
    access_token_in_authorization_header: bool | None = None
    set_id_token_header: bool | None = None
    set_raw_id_token_header: bool | None = None
    set_userinfo_header: bool | None = None
    set_refresh_token_header: bool | None = None
    proxy_opts: dict[str, str] | None = None
    authorization_params: dict[str, Any] | None = None
    client_rsa_private_key: str | None = Field(None, description="Sensitive.")
    client_rsa_private_key_id: str | None = None
    client_jwt_assertion_expires_in: int | None = None
    client_jwt_assertion_alg: Literal["HS256", "HS512", "RS256", "RS512", "ES256", "ES512"] | None = None
    client_jwt_assertion_audience: str | None = None
    renew_access_token_on_expiry: bool | None = None
    access_token_expires_in: int | None = None
    refresh_session_interval: int | None = None
    iat_slack: int | None = None
    accept_none_alg: bool | None = None
    accept_unsupported_alg: bool | None = None
    access_token_expires_leeway: int | None = None
    force_reauthorize: bool | None = None
    use_nonce: bool | None = None
    revoke_tokens_on_logout: bool | None = None
    jwk_expires_in: int | None = None
    jwt_verification_cache_ignore: bool | None = None
    cache_segment: str | None = None
    introspection_interval: int | None = None
    introspection_expiry_claim: str | None = None
    introspection_addon_headers: list[Annotated[str, Field(pattern=r"^[^:]+$")]] | None = Field(
        None, min_length=1
    )
    required_scopes: list[str] | None = None
    claim_schema: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _apisix_rules(self) -> OpenIDConnect:
        if self.client is not None and self.client_id is not None:
            raise ValueError("give either 'client' (a Hydra client of this desired state) or 'client_id'")
        if self.client is None and self.client_id is None:
            raise ValueError("'client_id' is required (or 'client', naming a declared Hydra client)")
        if self.client is None and self.discovery is None:
            raise ValueError("'discovery' is required (or 'client', to derive it from hydra.issuer)")
        if not self.bearer_only and self.session is None:
            raise ValueError(
                'property "session.secret" is required when "bearer_only" is false: APISIX 3.14+ '
                "rejects the plugin without it, and up to 3.13 APISIX invents a random one on every "
                "write, so plans would never settle"
            )
        if self.client is None and self.client_secret is None:
            exempt = (
                self.bearer_only
                and (self.public_key or self.use_jwks or self.introspection_endpoint_auth_method == "private_key_jwt")
            ) or (
                not self.bearer_only and (self.token_endpoint_auth_method == "private_key_jwt" or self.use_pkce)
            )
            if not exempt:
                raise ValueError('property "client_secret" is required')
        return self


class KeyAuth(_Plugin):
    """key-auth on a route/service: where to read the key."""

    header: str | None = Field(None, description="Header holding the key (default apikey).")
    query: str | None = Field(None, description="Query argument holding the key (default apikey).")
    hide_credentials: bool | None = None
    anonymous_consumer: str | None = None
    realm: str | None = None


class KeyAuthConsumer(_Plugin):
    """key-auth on a consumer or credential."""

    key: str = Field(min_length=1, description="The API key (sensitive).")


class BasicAuth(_Plugin):
    """basic-auth on a route/service."""

    hide_credentials: bool | None = None
    anonymous_consumer: str | None = None
    realm: str | None = None


class BasicAuthConsumer(_Plugin):
    """basic-auth on a consumer or credential."""

    username: str = Field(min_length=1, description="Basic-auth user name.")
    password: str = Field(min_length=1, description="Basic-auth password (sensitive).")


class JwtAuth(_Plugin):
    """jwt-auth on a route/service."""

    header: str | None = None
    query: str | None = None
    cookie: str | None = None
    hide_credentials: bool | None = None
    key_claim_name: str | None = None
    store_in_ctx: bool | None = None
    anonymous_consumer: str | None = None
    realm: str | None = None
    claims_to_verify: list[Literal["exp", "nbf"]] | None = None


JwtAlgorithm = Literal[
    "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
    "PS256", "PS384", "PS512", "EdDSA",
]  # fmt: skip


class JwtAuthConsumer(_Plugin):
    """jwt-auth on a consumer or credential; HS algorithms need ``secret`` (3.14+ rule)."""

    key: str = Field(min_length=1, description="Value of the key claim identifying the consumer.")
    secret: str | None = Field(None, description="HMAC secret (sensitive); required for HS algorithms.")
    algorithm: JwtAlgorithm | None = Field(None, description="Default HS256.")
    public_key: str | None = Field(None, description="Required for non-HS algorithms.")
    private_key: str | None = Field(None, description="Sensitive.")
    exp: int | None = None
    base64_secret: bool | None = None
    lifetime_grace_period: int | None = None

    @model_validator(mode="after")
    def _keys_for_algorithm(self) -> JwtAuthConsumer:
        algorithm = self.algorithm or "HS256"
        if algorithm.startswith("HS"):
            if self.secret is None:
                raise ValueError(
                    'property "secret" is required when using HS based algorithms: APISIX 3.14+ rejects '
                    "it without one, and up to 3.13 APISIX invents a random one on every write"
                )
        elif self.public_key is None:
            raise ValueError(f'property "public_key" is required when "algorithm" is {algorithm!r}')
        return self


class LimitCount(_Plugin):
    """limit-count (3.18): ``count`` + ``time_window``, or ``rules``."""

    count: PosInt | None = None
    time_window: PosInt | None = None
    rules: list[dict[str, Any]] | None = None
    key: str | None = None
    key_type: Literal["var", "var_combination", "constant"] | None = None
    rejected_code: Annotated[int, Field(ge=200, le=599)] | None = None
    rejected_msg: str | None = None
    policy: Literal["local", "redis", "redis-cluster", "redis-sentinel"] | None = None
    allow_degradation: bool | None = None
    show_limit_quota_header: bool | None = None
    group: str | None = None
    window_type: WindowType | None = None
    sync_interval: int | None = None
    redis_host: str | None = None
    redis_port: int | None = None
    redis_username: str | None = None
    redis_password: str | None = Field(None, description="Sensitive.")
    redis_database: int | None = None
    redis_timeout: int | None = None
    redis_ssl: bool | None = None
    redis_ssl_verify: bool | None = None
    redis_cluster_nodes: list[str] | None = None
    redis_cluster_name: str | None = None
    redis_cluster_ssl: bool | None = None
    redis_cluster_ssl_verify: bool | None = None
    redis_sentinels: list[dict[str, Any]] | None = None
    redis_master_name: str | None = None
    sentinel_username: str | None = None
    sentinel_password: str | None = Field(None, description="Sensitive.")
    redis_role: str | None = None

    @model_validator(mode="after")
    def _count_or_rules(self) -> LimitCount:
        simple = self.count is not None or self.time_window is not None
        if self.rules is not None and simple:
            raise ValueError("give either 'count' and 'time_window', or 'rules', not both")
        if self.rules is None and (self.count is None or self.time_window is None):
            raise ValueError("'count' and 'time_window' are required together (or give 'rules')")
        return self


class ProxyRewrite(_Plugin):
    """proxy-rewrite: at least one property."""

    uri: Annotated[str, Field(pattern=r"^/")] | None = Field(None, description="New upstream URI (starts with /).")
    method: (
        Literal["GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "MKCOL", "COPY", "MOVE", "PROPFIND",
                "LOCK", "UNLOCK", "PATCH", "TRACE"] | None
    ) = None  # fmt: skip
    regex_uri: list[str] | None = Field(None, min_length=2, description="[regex, replacement, ...].")
    host: str | None = None
    headers: dict[str, Any] | None = Field(None, description="{add, set, remove} or a flat map.")
    use_real_request_uri_unsafe: bool | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ProxyRewrite:
        if not self.model_fields_set - {"meta"}:
            raise ValueError("proxy-rewrite needs at least one property")
        return self


class Cors(_Plugin):
    """cors."""

    allow_origins: str | None = None
    allow_methods: str | None = None
    allow_headers: str | None = None
    expose_headers: str | None = None
    max_age: int | None = None
    allow_credential: bool | None = None
    allow_origins_by_regex: list[str] | None = None
    allow_origins_by_metadata: list[str] | None = None
    timing_allow_origins: str | None = None
    timing_allow_origins_by_regex: list[str] | None = None


_FREE = "Any other APISIX plugin, as a mapping of its configuration."


class Plugins(Strict):
    """``plugins`` of a route, service, plugin_config, consumer_group or global_rule."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"description": _FREE})
    __pydantic_extra__: dict[str, dict[str, Any]] = Field(init=False)

    openid_connect: OpenIDConnect | None = Field(None, alias="openid-connect")
    key_auth: KeyAuth | None = Field(None, alias="key-auth")
    basic_auth: BasicAuth | None = Field(None, alias="basic-auth")
    jwt_auth: JwtAuth | None = Field(None, alias="jwt-auth")
    limit_count: LimitCount | None = Field(None, alias="limit-count")
    proxy_rewrite: ProxyRewrite | None = Field(None, alias="proxy-rewrite")
    cors: Cors | None = None


class ConsumerPlugins(Strict):
    """``plugins`` of a consumer or credential: auth plugins use their consumer schema."""

    model_config = ConfigDict(extra="allow")
    __pydantic_extra__: dict[str, dict[str, Any]] = Field(init=False)

    key_auth: KeyAuthConsumer | None = Field(None, alias="key-auth")
    basic_auth: BasicAuthConsumer | None = Field(None, alias="basic-auth")
    jwt_auth: JwtAuthConsumer | None = Field(None, alias="jwt-auth")
    limit_count: LimitCount | None = Field(None, alias="limit-count")
    proxy_rewrite: ProxyRewrite | None = Field(None, alias="proxy-rewrite")
    cors: Cors | None = None


#: Auth plugins a credential may hold (APISIX: "only supports auth type plugins").
AUTH_PLUGINS = frozenset({"key-auth", "basic-auth", "jwt-auth", "hmac-auth", "ldap-auth", "jwe-decrypt"})
