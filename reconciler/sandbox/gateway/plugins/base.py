"""What every data-plane plugin of the gateway looks like, and how a phase runs a set of them.

Why a protocol and one runner: APISIX runs plugins per phase in descending priority, where
``_meta.priority`` re-sorts, ``_meta.disable`` skips, and ``_meta.error_response`` replaces the
body of any answer of 400 or more ([A] ``apisix/plugin.lua: filter()``, ``run_plugin()``;
``shared/spec/apisix-data-plane.md`` §3).  A plugin returns a ``Response`` to end the request,
or None to let it continue.  Plugins the gateway does not implement are skipped and listed in
docs/emulator-fidelity.md.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.sandbox.gateway.context import TEXT_PLAIN, Ctx
from reconciler.sandbox.http import Response

Conf = dict[str, Any]


class Plugin(Protocol):
    """One plugin: ``phase`` is ``rewrite`` or ``access``; ``auth`` plugins may attach a consumer."""

    name: str
    priority: int
    phase: str
    auth: bool

    async def run(self, conf: Conf, ctx: Ctx) -> Response | None:
        """Do the plugin's work; a Response ends the request."""


def _priority(plugin: Plugin, conf: Conf) -> int:
    meta = conf.get("_meta")
    if isinstance(meta, dict) and isinstance(meta.get("priority"), int):
        return int(meta["priority"])
    return plugin.priority


def _error_response(response: Response, conf: Conf) -> Response:
    meta = conf.get("_meta")
    if response.status < 400 or not isinstance(meta, dict) or meta.get("error_response") is None:
        return response
    body = meta["error_response"]
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":")) + "\n"
    headers = [(k, v) for k, v in response.headers if k.lower() != "content-type"]
    return Response(response.status, text.encode(), [("Content-Type", TEXT_PLAIN), *headers])


def ordered(registry: Mapping[str, Plugin], plugins: Mapping[str, Conf], phase: str,
            only: set[str] | None = None) -> list[tuple[Plugin, Conf]]:
    """The known, enabled plugins of ``phase`` in the order APISIX runs them."""
    chosen: list[tuple[Plugin, Conf]] = []
    for name, conf in plugins.items():
        plugin = registry.get(name)
        if plugin is None or plugin.phase != phase or (only is not None and name not in only):
            continue
        meta = conf.get("_meta") if isinstance(conf, dict) else None
        if isinstance(meta, dict) and meta.get("disable"):
            continue
        chosen.append((plugin, conf))
    chosen.sort(key=lambda item: -_priority(*item))
    return chosen


async def run_phase(registry: Mapping[str, Plugin], plugins: Mapping[str, Conf], phase: str, ctx: Ctx,
                    only: set[str] | None = None) -> Response | None:
    """Run one phase; the first Response ends it (and the request)."""
    for plugin, conf in ordered(registry, plugins, phase, only):
        answer = await plugin.run(conf, ctx)
        if answer is not None:
            return _error_response(answer, conf)
    return None
