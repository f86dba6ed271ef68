"""Which fields hold secrets, so that they become ``Secret`` even when written literally.

APISIX encrypts these fields at rest (its ``encrypt_fields``) and Hydra never returns its
client secret; the tool must never print them either.  The plugin paths are here; each kind's
own secret paths are in its ``KindSpec`` (``reconciler.state.registry.mark_secrets`` wraps both).
"""

from __future__ import annotations

from typing import Any, Final

from reconciler.secrets import Secret, is_reference

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

def _wrap(value: Any) -> Any:
    if isinstance(value, str):
        return value if is_reference(value) else Secret(value, origin=("literal",))
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


def wrap_path(config: Any, path: tuple[str, ...]) -> None:
    """Wrap, in place, the value at ``path`` (a string, or a list of strings) when it is there."""
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
            wrap_path(config, path)
        _wrap_named(config)
