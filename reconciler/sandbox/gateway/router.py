"""Route matching as APISIX 3.18's default router, ``radixtree_host_uri``, decides it.

Why hand-written: the order of candidates is the behaviour (``shared/spec/apisix-data-plane.md``
§1.2-1.3, from api7/lua-resty-radixtree ``match_route()``/``sort_route()`` and apache/apisix
``apisix/http/router/radixtree_host_uri.lua``): routes with hosts are tried before host-less
ones; within each, exact paths before prefixes, longer prefixes first, and only among routes of
the same path does ``priority`` (then the longer original path, then configuration order)
decide.  ``*`` is the only special character (``no_param_match``); a ``*`` inside the path is
a prefix plus a whole-path pattern check.  ``vars`` supports the common lua-resty-expr
operators over ``arg_*``, ``http_*``, ``cookie_*`` and a few nginx variables.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

from reconciler.sandbox.gateway.view import ResolvedRoute
from reconciler.sandbox.http import Request


def request_var(request: Request, name: str, host: str) -> str | None:
    """An nginx variable of ``request`` (``arg_x``, ``http_x``, ``cookie_x``, ``uri``, ...)."""
    if name.startswith("arg_"):
        return request.arg(name[4:])
    if name.startswith("http_"):
        return request.headers.get(name[5:].replace("_", "-"))
    if name.startswith("cookie_"):
        return request.cookies.get(name[7:])
    simple = {"uri": request.path, "request_uri": request.target, "request_method": request.method,
              "host": host, "remote_addr": request.peer, "args": request.raw_query,
              "scheme": "http", "server_addr": "127.0.0.1"}
    return simple.get(name)


def _regex(flags: int) -> Callable[[Any, Any], bool]:
    return lambda left, right: left is not None and re.search(str(right), str(left), flags) is not None


def _number(op: Callable[[float, float], bool]) -> Callable[[Any, Any], bool]:
    def compare(left: Any, right: Any) -> bool:
        try:
            return op(float(left), float(right))
        except (TypeError, ValueError):
            return False
    return compare


def _ipmatch(left: Any, right: Any) -> bool:
    if left is None:
        return False
    nets = right if isinstance(right, list) else [right]
    try:
        addr = ipaddress.ip_address(str(left))
        return any(addr in ipaddress.ip_network(str(net), strict=False) for net in nets)
    except ValueError:
        return False


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": lambda a, b: a is not None and str(a) == str(b),
    "~=": lambda a, b: a is None or str(a) != str(b),
    ">": _number(lambda a, b: a > b), ">=": _number(lambda a, b: a >= b),
    "<": _number(lambda a, b: a < b), "<=": _number(lambda a, b: a <= b),
    "~~": _regex(0), "~*": _regex(re.IGNORECASE),
    "in": lambda a, b: a is not None and isinstance(b, list) and str(a) in [str(x) for x in b],
    "has": lambda a, b: isinstance(a, (list, str)) and b in a,
    "ipmatch": _ipmatch,
}


def _is_logic(expr: list[Any]) -> bool:
    """Whether ``expr`` combines nested expressions (starts with ``AND``, ``OR``, ``!AND`` or ``!OR``)."""
    return bool(expr) and isinstance(expr[0], str) and expr[0] in ("AND", "OR", "!AND", "!OR")


def vars_match(expr: list[Any], lookup: Callable[[str], str | None]) -> bool:
    """lua-resty-expr ``eval``: a list of ``[var, op, value]`` (``op`` may carry a ``!``) all hold;
    a list starting with ``"AND"``/``"OR"``/``"!AND"``/``"!OR"`` combines nested expressions."""
    if _is_logic(expr):
        results = [vars_match(sub, lookup) for sub in expr[1:]]
        value = all(results) if expr[0].endswith("AND") else any(results)
        return not value if expr[0].startswith("!") else value
    for rule in expr:
        if isinstance(rule, list) and _is_logic(rule):
            if not vars_match(rule, lookup):
                return False
            continue
        if not isinstance(rule, list) or len(rule) < 2:
            return False
        name, rest = str(rule[0]), rule[1:]
        op, value = (("==", rest[0]) if len(rest) == 1 else (str(rest[0]), rest[1]))
        negate = op.startswith("!") and op != "!"
        if op == "!" and len(rest) >= 3:
            negate, op, value = True, str(rest[1]), rest[2]
        op = op.lstrip("!") if negate else op
        check = _OPS.get(op)
        if check is None or check(lookup(name), value) == negate:
            return False
    return True


def _path_match(pattern: str, path: str) -> tuple[int, int] | None:
    """``(kind, prefix length)`` when ``pattern`` matches: kind 0 = exact, 1 = prefix."""
    star = pattern.find("*")
    if star < 0:
        return (0, len(pattern)) if path == pattern else None
    prefix = pattern[:star]
    if not path.startswith(prefix):
        return None
    if star != len(pattern) - 1:
        whole = "".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", pattern))
        if re.fullmatch(whole, path) is None:
            return None
    return (1, len(prefix))


def _host_rank(hosts: list[str], host: str) -> tuple[int, int] | None:
    """``(0, 0)`` for an exact host, ``(1, -len)`` for a wildcard (longest first); None: no match."""
    best: tuple[int, int] | None = None
    for pattern in hosts:
        if ":" in pattern:
            continue
        if pattern.startswith("*"):
            suffix = pattern[1:]
            if host.endswith(suffix) and len(host) > len(suffix):
                rank = (1, -len(suffix))
                best = rank if best is None or rank < best else best
        elif pattern == host:
            return (0, 0)
    return best


def _others_match(route: ResolvedRoute, request: Request, host: str) -> bool:
    conf = route.conf
    if conf.get("filter_func"):
        return False  # Lua source cannot run here; such a route never matches (docs/emulator-fidelity.md)
    methods = conf.get("methods")
    if methods and request.method not in methods:
        return False
    addrs = conf.get("remote_addrs") or ([conf["remote_addr"]] if conf.get("remote_addr") else [])
    if addrs and not _ipmatch(request.peer, addrs):
        return False
    expr = conf.get("vars")
    return not (expr and not vars_match(expr, lambda name: request_var(request, name, host)))


def match(routes: Iterable[ResolvedRoute], request: Request, host: str) -> ResolvedRoute | None:
    """The route APISIX would pick for ``request`` (``host``: lower-case, no port), or None."""
    ranked: list[tuple[tuple[int, ...], ResolvedRoute]] = []
    for route in routes:
        if route.hosts:
            hrank = _host_rank(route.hosts, host)
            if hrank is None:
                continue
            group: tuple[int, ...] = (0, *hrank)
        else:
            group = (1, 0, 0)
        for pattern in route.paths:
            hit = _path_match(pattern, request.path)
            if hit is None:
                continue
            kind, length = hit
            priority = int(route.conf.get("priority") or 0)
            ranked.append(((*group, kind, -length, -priority, -len(pattern), route.order), route))
    for _key, route in sorted(ranked, key=lambda item: item[0]):
        if _others_match(route, request, host):
            return route
    return None
