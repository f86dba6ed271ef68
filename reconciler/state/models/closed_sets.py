"""The closed sets of values in APISIX's schemas, as types, so a typo fails ``validate``.

APISIX's Admin API accepts some of these as any string and fails only at request time: an
upstream ``type`` is not an enum in ``apisix/schema_def.lua``, yet ``apisix/balancer.lua``
(``create_server_picker``) loads ``apisix.balancer.<type>``, so ``round-robin`` is stored and then
every request through it fails.  The balancers are the modules under ``apisix/balancer/``
(``priority.lua`` is a wrapper, not a type).  The other sets are the ``enum`` lists of
``schema_def.lua`` (upstream, health checks, route, SSL) and of the plugins' schemas.  The
loader turns a value outside a set into "not one of ... (did you mean ...?)".
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any, Final, Literal, get_args

#: ``schema_def.lua`` ``method_schema``.
Method = Literal["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "PURGE"]
#: Load balancers: the modules of ``apisix/balancer/`` that ``balancer.lua`` loads by ``type``.
BalancerType = Literal["roundrobin", "chash", "ewma", "least_conn"]
#: ``schema_def.lua`` ``upstream_schema.hash_on``.
HashOn = Literal["vars", "header", "cookie", "consumer", "vars_combinations"]
#: ``schema_def.lua`` ``upstream_schema.scheme``.
UpstreamScheme = Literal["grpc", "grpcs", "http", "https", "tcp", "tls", "udp", "kafka"]
#: ``schema_def.lua`` ``upstream_schema.pass_host``.
PassHost = Literal["pass", "node", "rewrite"]
#: ``schema_def.lua`` ``health_checker_active.type`` and ``health_checker_passive.type``.
HealthCheckType = Literal["http", "https", "tcp"]
#: ``schema_def.lua`` route and SSL ``status``.
Status = Literal[0, 1]
#: ``schema_def.lua`` ``ssl.type``.
SslType = Literal["server", "client"]
#: ``schema_def.lua`` ``ssl.ssl_protocols`` items.
SslProtocol = Literal["TLSv1.1", "TLSv1.2", "TLSv1.3"]
#: ``apisix/plugins/limit-count/init.lua`` ``window_type`` (3.18).
WindowType = Literal["fixed", "sliding"]

#: Health-check fields that hold a closed set: (path inside ``checks``, allowed values).
HEALTH_CHECK_SETS: Final[tuple[tuple[tuple[str, ...], tuple[Any, ...]], ...]] = (
    (("active", "type"), get_args(HealthCheckType)),
    (("active", "http_method"), get_args(Method)),
    (("passive", "type"), get_args(HealthCheckType)),
)


def did_you_mean(value: str, allowed: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` when one allowed value is close to ``value``, else nothing."""
    same_letters = [a for a in allowed if a.lower() == value.lower()]
    close = same_letters or difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def not_one_of(value: Any, allowed: Sequence[Any]) -> str:
    """The message for a value outside a closed set."""
    listed = ", ".join(str(a) for a in allowed)
    hint = did_you_mean(value, [str(a) for a in allowed]) if isinstance(value, str) else ""
    return f"{value!r} is not one of {listed}{hint}"


def check_health_checks(checks: dict[str, Any] | None) -> dict[str, Any] | None:
    """``checks`` itself; ``ValueError`` naming the first closed-set field outside its set."""
    if checks is None:
        return None
    for path, allowed in HEALTH_CHECK_SETS:
        value: Any = checks
        for step in path:
            value = value.get(step) if isinstance(value, dict) else None
        if value is not None and value not in allowed:
            raise ValueError(f"{'.'.join(path)}: {not_one_of(value, allowed)}")
    return checks
