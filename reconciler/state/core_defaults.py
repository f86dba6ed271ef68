"""The defaults APISIX 2.x-3.13 stored in its core resources (spec §5.3), as fill schemas.

They are data about kinds, so they live beside the kind registry (``state.registry`` points each
kind at its schema here); ``plan.defaults`` holds the algorithm that fills them in.  They are a
fixed table because they are the same in every version that stored them.
"""

from __future__ import annotations

from typing import Any, Final

Schema = dict[str, Any]

_UPSTREAM: Schema = {
    "type": "object",
    "properties": {
        "type": {"default": "roundrobin"},
        "hash_on": {"default": "vars"},
        "scheme": {"default": "http"},
        "pass_host": {"default": "pass"},
        "nodes": {"type": "array", "items": {"type": "object", "properties": {"priority": {"default": 0}}}},
        "keepalive_pool": {"type": "object", "properties": {
            "size": {"default": 320}, "idle_timeout": {"default": 60}, "requests": {"default": 1000}}},
        "tls": {"type": "object", "properties": {"verify": {"default": False}}},
        "checks": {"type": "object", "properties": {
            "active": {"type": "object", "properties": {
                "type": {"default": "http"}, "timeout": {"default": 1}, "concurrency": {"default": 10},
                "http_path": {"default": "/"}, "https_verify_certificate": {"default": True},
                "healthy": {"type": "object", "properties": {
                    "interval": {"default": 1}, "http_statuses": {"default": [200, 302]},
                    "successes": {"default": 2}}},
                "unhealthy": {"type": "object", "properties": {
                    "interval": {"default": 1},
                    "http_statuses": {"default": [429, 404, 500, 501, 502, 503, 504, 505]},
                    "http_failures": {"default": 5}, "tcp_failures": {"default": 2}, "timeouts": {"default": 3}}},
            }},
            "passive": {"type": "object", "properties": {
                "type": {"default": "http"},
                "healthy": {"type": "object", "properties": {
                    "http_statuses": {"default": [200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
                                                  300, 301, 302, 303, 304, 305, 306, 307, 308]},
                    "successes": {"default": 5}}},
                "unhealthy": {"type": "object", "properties": {
                    "http_statuses": {"default": [429, 500, 503]}, "tcp_failures": {"default": 2},
                    "timeouts": {"default": 7}, "http_failures": {"default": 5}}},
            }},
        }},
    },
}

#: Defaults of the core resources that 2.x-3.13 stored (spec §5.3), as fill schemas.
CORE: Final[dict[str, Schema]] = {
    "route": {"type": "object", "properties": {"priority": {"default": 0}, "status": {"default": 1},
                                                "upstream": _UPSTREAM}},
    "service": {"type": "object", "properties": {"upstream": _UPSTREAM}},
    "upstream": _UPSTREAM,
    #: The three managers' defaults in one schema (a key of one manager never appears in another's).
    "secret": {"type": "object", "properties": {
        "region": {"default": "us-east-1"}, "ssl_verify": {"default": True},
        "auth_config": {"type": "object", "properties": {
            "token_uri": {"default": "https://oauth2.googleapis.com/token"},
            "scope": {"default": ["https://www.googleapis.com/auth/cloud-platform"]},
            "entries_uri": {"default": "https://secretmanager.googleapis.com/v1"}}}}},
    "ssl": {"type": "object", "properties": {"type": {"default": "server"}, "status": {"default": 1},
                                              "client": {"type": "object", "properties": {"depth": {"default": 1}}}}},
}
