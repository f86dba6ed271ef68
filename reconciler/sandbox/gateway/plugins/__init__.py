"""The data-plane plugins the sandbox's gateway runs, by name.

Why a registry: the phase runner looks plugins up by the names in a route's merged config;
a plugin the gateway does not implement is skipped (listed in docs/emulator-fidelity.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reconciler.sandbox.gateway.plugins.base import Plugin

if TYPE_CHECKING:
    from reconciler.sandbox.gateway.gateway import Gateway

__all__ = ["Plugin", "make_registry"]


def make_registry(gateway: Gateway) -> dict[str, Plugin]:
    """One instance of every implemented plugin (each keeps its own state: counters, caches)."""
    from reconciler.sandbox.gateway.plugins.auth import BasicAuth, KeyAuth
    from reconciler.sandbox.gateway.plugins.oidc import OpenIdConnect
    from reconciler.sandbox.gateway.plugins.traffic import LimitCount, ProxyRewrite

    plugins: list[Plugin] = [OpenIdConnect(gateway), BasicAuth(), KeyAuth(), ProxyRewrite(), LimitCount()]
    return {plugin.name: plugin for plugin in plugins}
