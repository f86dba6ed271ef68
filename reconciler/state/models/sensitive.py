"""Which fields hold secrets, so that they become ``Secret`` even when written literally.

APISIX encrypts these fields at rest (its ``encrypt_fields``) and Hydra never returns its
client secret; the tool must never print them either.  ``mark_secrets`` wraps them in place.
"""

from __future__ import annotations

from typing import Any, Final

from reconciler.secrets import Secret
from reconciler.state.kinds import Kind

_REDIS: Final = (("redis_password",), ("sentinel_password",))

#: Secret paths inside each plugin's configuration (route and consumer schemas alike).
PLUGIN_SECRETS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "openid-connect": (
        ("client_secret",),
        ("session", "secret"),
        ("session", "redis", "password"),
        ("client_rsa_private_key",),
    ),
    "key-auth": (("key",),),
    "basic-auth": (("password",),),
    "jwt-auth": (("secret",), ("private_key",)),
    "limit-count": _REDIS,
    "limit-req": _REDIS,
    "limit-conn": _REDIS,
    "csrf": (("key",),),
    "hmac-auth": (("secret_key",),),
    "http-logger": (("auth_header",),),
}

#: Field names that hold a secret anywhere inside any plugin's configuration: the table above
#: covers the plugins the tool knows, these names the rest (hmac-auth's ``secret_key``, another
#: auth plugin's ``client_secret``).  The planner masks the same names on the live side.
SECRET_FIELD_NAMES: Final = frozenset({
    "client_secret", "secret", "password", "private_key", "client_rsa_private_key", "redis_password",
    "sentinel_password", "secret_key",
})

#: Secret top-level fields per kind (besides plugin configs).
KIND_SECRETS: Final[dict[Kind, tuple[str, ...]]] = {
    Kind.OAUTH2_CLIENT: ("client_secret",),
    Kind.SSL: ("key", "keys"),
}


def _wrap(value: Any) -> Any:
    if isinstance(value, str):
        return Secret(value, origin=("literal",))
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def _wrap_path(config: Any, path: tuple[str, ...]) -> None:
    for step in path[:-1]:
        if not isinstance(config, dict):
            return
        config = config.get(step)
    if isinstance(config, dict) and path[-1] in config:
        config[path[-1]] = _wrap(config[path[-1]])


def _wrap_named(config: Any) -> None:
    """Wrap, in place, every string under a ``SECRET_FIELD_NAMES`` key at any depth."""
    if isinstance(config, list):
        for item in config:
            _wrap_named(item)
    elif isinstance(config, dict):
        for key, value in config.items():
            if key in SECRET_FIELD_NAMES and isinstance(value, str | list):
                config[key] = _wrap(value)
            else:
                _wrap_named(value)


def mark_plugin_secrets(plugins: Any) -> None:
    """Wrap the secret fields of a ``plugins`` mapping in place."""
    if not isinstance(plugins, dict):
        return
    for name, config in plugins.items():
        for path in PLUGIN_SECRETS.get(name, ()):
            _wrap_path(config, path)
        _wrap_named(config)


#: Nested secret paths per kind: an upstream's mTLS private key, also inside an inline upstream.
KIND_SECRET_PATHS: Final[dict[Kind, tuple[tuple[str, ...], ...]]] = {
    Kind.UPSTREAM: (("tls", "client_key"),),
    Kind.ROUTE: (("upstream", "tls", "client_key"),),
    Kind.SERVICE: (("upstream", "tls", "client_key"),),
}


def mark_secrets(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """Wrap every known secret field of an object body in place, and return it."""
    for name in KIND_SECRETS.get(kind, ()):
        if name in body:
            body[name] = _wrap(body[name])
    for path in KIND_SECRET_PATHS.get(kind, ()):
        _wrap_path(body, path)
    mark_plugin_secrets(body.get("plugins"))
    return body
