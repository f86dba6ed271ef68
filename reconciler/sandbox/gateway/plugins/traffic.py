"""proxy-rewrite (1008, rewrite) and limit-count (1002, access, local policy, fixed window).

Why together: both shape what reaches the upstream after authentication, and both are small.
proxy-rewrite follows [A] ``apisix/plugins/proxy-rewrite.lua: rewrite()`` (``uri`` with ``$var``
and the original query re-appended, ``regex_uri`` pairs with the first matching one applied once,
``host`` as the upstream host under ``pass_host: pass``, ``headers`` add/set/remove in that order
where a flat map means set, ``method``).  limit-count follows [A]
``apisix/plugins/limit-count/init.lua`` and ``limit-count-local.lua`` (``shared/spec/
apisix-data-plane.md`` §5): the window starts at a key's first request; counters belong to the
object holding the config (route, service, plugin config, consumer, consumer group, global rule)
and the config's version, or to ``group`` when set (``gen_limit_key()``: the spec's "per route" is
narrower than 3.18's ``parent.resource_key``); ``X-RateLimit-*`` go on every answer; the
rejection is ``rejected_code`` (503) with ``{"error_msg": rejected_msg}`` or nginx's page.
"""

from __future__ import annotations

import json
import math
import re
import time
from typing import Any
from urllib.parse import quote

from reconciler.sandbox.gateway.context import Ctx, exit_json, nginx_page
from reconciler.sandbox.gateway.router import request_var
from reconciler.sandbox.gateway.view import RESOURCE
from reconciler.sandbox.http import Response

URI_SAFE = "/:@!$&'()*+,;=-._~"
VAR = re.compile(r"\$(\{(\w+)\}|(\w+))")


def resolve_vars(text: str, ctx: Ctx, groups: tuple[str | None, ...] = ()) -> str:
    """``core.utils.resolve_var``: ``$name``/``${name}`` from nginx variables, ``$1`` from ``groups``."""
    def one(match: re.Match[str]) -> str:
        name = match.group(2) or match.group(3)
        if name.isdigit():
            index = int(name) - 1
            return (groups[index] or "") if 0 <= index < len(groups) else ""
        return request_var(ctx.request, name, ctx.host) or ""
    return VAR.sub(one, text)


class ProxyRewrite:
    """proxy-rewrite."""

    name = "proxy-rewrite"
    priority = 1008
    phase = "rewrite"
    auth = False

    async def run(self, conf: dict[str, Any], ctx: Ctx) -> Response | None:
        path = ctx.request.path  # nginx's $uri: decoded and normalised
        groups: tuple[str | None, ...] = ()
        new = path
        if conf.get("uri"):
            new = resolve_vars(str(conf["uri"]), ctx)
        elif conf.get("regex_uri"):
            pairs = list(conf["regex_uri"])
            for i in range(0, len(pairs) - 1, 2):
                try:
                    found = re.search(pairs[i], path)
                except re.error as exc:
                    return exit_json(500, {"error_msg": f"failed to match the uri {path} ({pairs[i]})  : {exc}"})
                if found is not None:
                    groups = found.groups()
                    replacement = resolve_vars(str(pairs[i + 1]), ctx, groups)
                    new = path[:found.start()] + replacement + path[found.end():]
                    break
        # Even without uri/regex_uri the upstream gets ``$uri`` (escaped) plus the query, not the raw
        # request line ([A] ``rewrite()``: ``upstream_uri = ctx.var.uri`` ... ``is_args``).
        base, sep, own_query = new.partition("?")
        new = quote(base, safe=URI_SAFE) + sep + own_query
        if "?" in ctx.request.target:
            new = new + ("&" if sep else "?") + ctx.request.raw_query
        ctx.upstream_uri = new
        if conf.get("host"):
            ctx.upstream_host = str(conf["host"])
        if conf.get("method"):
            ctx.upstream_method = str(conf["method"])
        headers = conf.get("headers") or {}
        if headers and not any(k in headers for k in ("add", "set", "remove")):
            headers = {"set": headers}
        for name, value in (headers.get("add") or {}).items():
            old = ctx.upstream_headers.get(name.lower())
            text = resolve_vars(str(value), ctx, groups)
            ctx.upstream_headers[name.lower()] = f"{old}, {text}" if old else text
        for name, value in (headers.get("set") or {}).items():
            ctx.upstream_headers[name.lower()] = resolve_vars(str(value), ctx, groups)
        for name in headers.get("remove") or []:
            ctx.upstream_headers.pop(str(name).lower(), None)
        return None


def _reset_text(seconds: float) -> str:
    """``math_floor(reset * 100) / 100`` printed as Lua prints numbers (``60``, ``59.99``)."""
    text = f"{math.floor(seconds * 100) / 100:.2f}".rstrip("0").rstrip(".")
    return text or "0"


class LimitCount:
    """limit-count with the local policy and a fixed window."""

    name = "limit-count"
    priority = 1002
    phase = "access"
    auth = False

    def __init__(self) -> None:
        self._windows: dict[tuple[str, ...], tuple[float, int]] = {}

    def _key(self, conf: dict[str, Any], ctx: Ctx) -> str:
        key_type = conf.get("key_type", "var")
        key = str(conf.get("key") or "remote_addr")
        if key_type == "constant":
            return key
        if key_type == "var_combination":
            value = resolve_vars(key, ctx)
        else:
            value = request_var(ctx.request, key.removeprefix("$"), ctx.host) or ""
        return value or (request_var(ctx.request, "remote_addr", ctx.host) or "")

    async def run(self, conf: dict[str, Any], ctx: Ctx) -> Response | None:
        route = ctx.route
        # ``gen_limit_key()``: the group, else the object holding this config plus the config's own
        # version, so routes sharing a service or consumers sharing a group share the counter.
        if conf.get("group"):
            scope: tuple[str, ...] = ("group", str(conf["group"]))
        else:
            own = {k: v for k, v in conf.items() if k != RESOURCE}
            scope = (str(conf.get(RESOURCE, route.id if route else "")), json.dumps(own, sort_keys=True))
        count, window = int(conf.get("count", 1)), float(conf.get("time_window", 60))
        now = time.monotonic()
        key = (*scope, self._key(conf, ctx))
        started, used = self._windows.get(key, (now, 0))
        if now - started >= window:
            started, used = now, 0
        first = used == 0
        rejected = used >= count
        if not rejected:
            used += 1
        self._windows[key] = (started, used)
        reset = window if first else max(window - (now - started), 0.0)
        if conf.get("show_limit_quota_header", True) is not False:
            ctx.response_headers.extend([("X-RateLimit-Limit", str(count)),
                                         ("X-RateLimit-Remaining", str(max(count - used, 0))),
                                         ("X-RateLimit-Reset", _reset_text(reset))])
        if not rejected:
            return None
        code = int(conf.get("rejected_code", 503))
        if conf.get("rejected_msg"):
            return exit_json(code, {"error_msg": conf["rejected_msg"]})
        return nginx_page(code)
