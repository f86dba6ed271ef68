"""Hand-built plans and apply results, written as plain dicts, for the renderer tests and goldens.

The dicts use the JSON plan vocabulary (``kind``, ``key``, ``action``, ``before``, ``after``,
``diff`` as ``{"op", "path", "old", "new"}``, ``reason``), so they can also serve as expected
plans in planner tests: ``plan_from_dict(PLAN_CASES["mixed_update"])``.  Every secret value
contains ``CANARY``; no rendering may ever show it.
"""

from __future__ import annotations

from typing import Any

from reconciler.plan.changes import (
    Action,
    ApplyEvent,
    ApplyResult,
    Change,
    FieldChange,
    FieldOp,
    Outcome,
    Plan,
    Unmanaged,
)
from reconciler.secrets import Secret
from reconciler.state.kinds import Kind

CANARY = "CANARY-9f3c-do-not-print"
MARKER = {"managed-by": "reconcile"}
SERVERS = {"apisix": "http://127.0.0.1:9180 (APISIX 3.11.0)", "hydra": "http://127.0.0.1:4445 (Hydra v2.3.0)"}


def secret(name: str) -> Secret:
    """A secret whose value carries the canary."""
    return Secret(f"{CANARY}-{name}")


def change_from_dict(d: dict[str, Any]) -> Change:
    """A ``Change`` from its plain-dict form."""
    return Change(
        kind=Kind(d["kind"]),
        key=d["key"],
        action=Action(d["action"]),
        before=d.get("before"),
        after=d.get("after"),
        diff=tuple(FieldChange(FieldOp(f["op"]), f["path"], f.get("old"), f.get("new")) for f in d.get("diff", [])),
        reason=d.get("reason", ""),
    )


def plan_from_dict(d: dict[str, Any]) -> Plan:
    """A ``Plan`` from its plain-dict form, changes sorted as the planner sorts them."""
    changes = sorted((change_from_dict(c) for c in d.get("changes", [])), key=lambda c: c.sort_key)
    return Plan(
        changes=changes,
        unmanaged=[Unmanaged(Kind(u["kind"]), u["key"], u.get("reason", "")) for u in d.get("unmanaged", [])],
        warnings=list(d.get("warnings", [])),
        errors=list(d.get("errors", [])),
        complete=d.get("complete", True),
        servers=dict(d.get("servers", {})),
    )


def apply_result_from_dict(d: dict[str, Any]) -> ApplyResult:
    """An ``ApplyResult`` from ``{"events": [{"change": {...}, "outcome", "message", "attempts"}]}``."""
    return ApplyResult(
        events=[
            ApplyEvent(
                change=change_from_dict(e["change"]),
                outcome=Outcome(e["outcome"]),
                message=e.get("message", ""),
                attempts=e.get("attempts", 1),
            )
            for e in d["events"]
        ]
    )


def _noop(kind: str, key: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"kind": kind, "key": key, "action": "noop", "before": body, "after": body}


_UPSTREAM_NGINX_BEFORE = {
    "type": "roundrobin",
    "nodes": {"127.0.0.1:8080": 1, "127.0.0.1:8081": 1},
    "labels": {**MARKER, "env": "prod"},
}
_UPSTREAM_NGINX_AFTER = {
    "type": "roundrobin",
    "nodes": {"127.0.0.1:8080": 1, "127.0.0.1:8081": 5},
    "labels": dict(MARKER),
}
_ROUTE_PHOTOS_BEFORE = {
    "uri": "/photos/*",
    "methods": ["GET", "PUT"],
    "upstream_id": "nginx",
    "plugins": {"limit-count": {"count": 100, "time_window": 60, "key": "remote_addr"}},
    "labels": dict(MARKER),
}
_ROUTE_PHOTOS_AFTER = {
    **_ROUTE_PHOTOS_BEFORE,
    "plugins": {
        "limit-count": {"count": 100, "time_window": 60, "key": "remote_addr"},
        "cors": {"allow_origins": "https://photos.example.com", "allow_methods": "GET,PUT"},
    },
}

EVERY_KIND_CREATE: dict[str, Any] = {
    "servers": SERVERS,
    "changes": [
        {
            "kind": "oauth2_client",
            "key": "photo-app",
            "action": "create",
            "after": {
                "client_name": "Photo app",
                "client_secret": secret("hydra"),
                "grant_types": ["authorization_code", "refresh_token"],
                "response_types": ["code"],
                "redirect_uris": ["https://photos.example.com/callback"],
                "scope": "openid offline photos.read",
                "token_endpoint_auth_method": "client_secret_basic",
                "metadata": {"managed-by": "reconcile"},
            },
        },
        {
            "kind": "plugin_metadata",
            "key": "http-logger",
            "action": "create",
            "after": {
                "log_format": {"host": "$host", "client_ip": "$remote_addr"},
            },
        },
        {
            "kind": "ssl",
            "key": "photos-cert",
            "action": "create",
            "after": {
                "snis": ["photos.example.com"],
                "cert": "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----",
                "key": secret("tls-key"),
                "labels": dict(MARKER),
            },
        },
        {"kind": "upstream", "key": "nginx", "action": "create", "after": _UPSTREAM_NGINX_AFTER},
        {
            "kind": "consumer_group",
            "key": "gold",
            "action": "create",
            "after": {
                "plugins": {"limit-count": {"count": 1000, "time_window": 60}},
                "labels": dict(MARKER),
            },
        },
        {
            "kind": "plugin_config",
            "key": "cors-default",
            "action": "create",
            "after": {
                "plugins": {"cors": {"allow_origins": "*"}},
                "labels": dict(MARKER),
            },
        },
        {
            "kind": "service",
            "key": "photos",
            "action": "create",
            "after": {
                "name": "photos",
                "upstream_id": "nginx",
                "labels": dict(MARKER),
            },
        },
        {
            "kind": "consumer",
            "key": "alice",
            "action": "create",
            "after": {
                "group_id": "gold",
                "plugins": {"key-auth": {"key": secret("alice-key")}},
                "labels": dict(MARKER),
            },
        },
        {
            "kind": "credential",
            "key": "alice/basic",
            "action": "create",
            "after": {
                "plugins": {"basic-auth": {"username": "alice", "password": secret("alice-password")}},
                "labels": dict(MARKER),
            },
        },
        {"kind": "route", "key": "photo-backup", "action": "create", "after": _ROUTE_PHOTOS_AFTER},
        {
            "kind": "global_rule",
            "key": "1",
            "action": "create",
            "after": {
                "plugins": {"prometheus": {"prefer_name": True}},
            },
        },
    ],
}

MIXED_UPDATE: dict[str, Any] = {
    "servers": SERVERS,
    "changes": [
        {
            "kind": "upstream",
            "key": "nginx",
            "action": "update",
            "before": _UPSTREAM_NGINX_BEFORE,
            "after": _UPSTREAM_NGINX_AFTER,
            "diff": [
                {"op": "change", "path": 'nodes."127.0.0.1:8081"', "old": 1, "new": 5},
                {"op": "remove", "path": "labels.env", "old": "prod"},
            ],
        },
        {
            "kind": "route",
            "key": "photos",
            "action": "update",
            "before": _ROUTE_PHOTOS_BEFORE,
            "after": _ROUTE_PHOTOS_AFTER,
            "diff": [{"op": "add", "path": "plugins.cors", "new": _ROUTE_PHOTOS_AFTER["plugins"]["cors"]}],
        },
        {
            "kind": "oauth2_client",
            "key": "photo-app",
            "action": "update",
            "before": {"redirect_uris": ["https://photos.example.com/cb"], "scope": "openid"},
            "after": {"redirect_uris": ["https://photos.example.com/callback"], "scope": "openid"},
            "diff": [
                {
                    "op": "change",
                    "path": "redirect_uris[0]",
                    "old": "https://photos.example.com/cb",
                    "new": "https://photos.example.com/callback",
                }
            ],
        },
        {
            "kind": "route",
            "key": "thumbnails",
            "action": "create",
            "after": {"uri": "/thumbs/*", "upstream_id": "nginx", "labels": dict(MARKER)},
        },
        {
            "kind": "consumer",
            "key": "bob",
            "action": "delete",
            "before": {"plugins": {"key-auth": {"key": secret("bob-key")}}, "labels": dict(MARKER)},
        },
        _noop("service", "photos", {"name": "photos", "upstream_id": "nginx", "labels": dict(MARKER)}),
        _noop("route", "health", {"uri": "/healthz", "labels": dict(MARKER)}),
    ],
}

SECRET_ROTATION: dict[str, Any] = {
    "servers": SERVERS,
    "changes": [
        {
            "kind": "oauth2_client",
            "key": "photo-app",
            "action": "update",
            "reason": "secret rotated",
            "before": {"client_secret": secret("old"), "scope": "openid"},
            "after": {"client_secret": secret("new"), "scope": "openid"},
            "diff": [{"op": "change", "path": "client_secret", "old": secret("old"), "new": secret("new")}],
        },
        {
            "kind": "consumer",
            "key": "alice",
            "action": "update",
            "reason": "secret rotated",
            "before": {"plugins": {"key-auth": {"key": secret("alice-old")}}},
            "after": {"plugins": {"key-auth": {"key": secret("alice-new")}}},
            "diff": [
                {"op": "change", "path": "plugins.key-auth.key", "old": secret("alice-old"), "new": secret("alice-new")}
            ],
        },
        {
            "kind": "oauth2_client",
            "key": "batch-job",
            "action": "update",
            "reason": "secret rotated",
            "before": {"scope": "jobs"},
            "after": {"scope": "jobs"},
            "diff": [],
        },
        _noop("oauth2_client", "cli", {"client_secret": secret("cli"), "scope": "openid"}),
    ],
}

ADOPTION: dict[str, Any] = {
    "servers": SERVERS,
    "changes": [
        {
            "kind": "route",
            "key": "legacy-login",
            "action": "update",
            "reason": "adopted",
            "before": {"uri": "/login", "upstream_id": "auth"},
            "after": {"uri": "/login", "upstream_id": "auth", "labels": dict(MARKER)},
            "diff": [{"op": "add", "path": "labels", "new": dict(MARKER)}],
        },
        {
            "kind": "oauth2_client",
            "key": "handmade",
            "action": "update",
            "reason": "adopted",
            "before": {"scope": "openid", "metadata": {}},
            "after": {"scope": "openid email", "metadata": {"managed-by": "reconcile"}},
            "diff": [
                {"op": "add", "path": "metadata.managed-by", "new": "reconcile"},
                {"op": "change", "path": "scope", "old": "openid", "new": "openid email"},
            ],
        },
    ],
}

UNMANAGED: dict[str, Any] = {
    "servers": SERVERS,
    "changes": [
        {
            "kind": "route",
            "key": "photo-backup",
            "action": "create",
            "after": {"uri": "/backup/*", "upstream_id": "nginx", "labels": dict(MARKER)},
        },
        _noop("upstream", "nginx", _UPSTREAM_NGINX_AFTER),
    ],
    "unmanaged": [
        *({"kind": "route", "key": f"team-b-{i:02d}", "reason": "no ownership marker"} for i in range(23)),
        {"kind": "upstream", "key": "team-b-backend", "reason": "outside the selector team=a"},
        {"kind": "upstream", "key": "manual", "reason": "no ownership marker"},
        {"kind": "oauth2_client", "key": "grafana", "reason": "no ownership marker"},
    ],
}

INCOMPLETE: dict[str, Any] = {
    "servers": SERVERS,
    "complete": False,
    "changes": [
        {
            "kind": "upstream",
            "key": "nginx",
            "action": "update",
            "before": _UPSTREAM_NGINX_BEFORE,
            "after": _UPSTREAM_NGINX_AFTER,
            "diff": [{"op": "change", "path": 'nodes."127.0.0.1:8081"', "old": 1, "new": 5}],
        },
        {"kind": "route", "key": "new-route", "action": "create", "after": {"uri": "/new", "upstream_id": "nginx"}},
    ],
    "warnings": [
        "routes: page 3 could not be read (503 Service Unavailable); the route list is incomplete",
        "jwt-auth secret of consumer carol is generated by the server; declare it to avoid drift",
    ],
    "errors": ['route.new-route: plugin cors: property "allow_origins" must be a string'],
}

NO_CHANGES: dict[str, Any] = {
    "servers": SERVERS,
    "changes": [
        _noop("oauth2_client", "photo-app", {"scope": "openid", "client_secret": secret("same")}),
        _noop("upstream", "nginx", _UPSTREAM_NGINX_AFTER),
        _noop("route", "photos", _ROUTE_PHOTOS_AFTER),
    ],
}

PRUNE_EVERY_KIND: dict[str, Any] = {
    "servers": SERVERS,
    "changes": [
        {"kind": kind, "key": key, "action": "delete", "before": body}
        for kind, key, body in [
            ("global_rule", "9", {"plugins": {"prometheus": {}}}),
            ("route", "old-photos", {"uri": "/old/*", "labels": dict(MARKER)}),
            ("credential", "alice/old", {"plugins": {"key-auth": {"key": secret("old-cred")}}}),
            ("consumer", "mallory", {"plugins": {"jwt-auth": {"key": "m", "secret": secret("jwt")}}}),
            ("service", "old", {"name": "old", "labels": dict(MARKER)}),
            ("plugin_config", "old-cors", {"plugins": {"cors": {}}, "labels": dict(MARKER)}),
            ("consumer_group", "bronze", {"plugins": {}, "labels": dict(MARKER)}),
            ("upstream", "old-backend", {"nodes": {"10.0.0.9:80": 1}, "labels": dict(MARKER)}),
            ("ssl", "old-cert", {"snis": ["old.example.com"], "key": secret("old-tls")}),
            ("plugin_metadata", "syslog", {"log_format": {}}),
            ("oauth2_client", "retired", {"client_name": "Retired", "metadata": dict(MARKER)}),
        ]
    ],
    "warnings": ["11 objects will be deleted (limit --max-deletes 20)"],
}

#: Every plan case by name: the golden directory ``tests/golden/report/<name>/`` holds its renderings.
PLAN_CASES: dict[str, dict[str, Any]] = {
    "every_kind_create": EVERY_KIND_CREATE,
    "mixed_update": MIXED_UPDATE,
    "secret_rotation": SECRET_ROTATION,
    "adoption": ADOPTION,
    "unmanaged": UNMANAGED,
    "incomplete": INCOMPLETE,
    "no_changes": NO_CHANGES,
    "prune_every_kind": PRUNE_EVERY_KIND,
}

APPLY_PARTIAL_FAILURE: dict[str, Any] = {
    "events": [
        {"change": MIXED_UPDATE["changes"][2], "outcome": "applied"},
        {
            "change": MIXED_UPDATE["changes"][0],
            "outcome": "failed",
            "attempts": 3,
            "message": '400 Bad Request: invalid configuration: property "nodes" validation failed',
        },
        {
            "change": MIXED_UPDATE["changes"][1],
            "outcome": "skipped",
            "message": "depends on upstream.nginx, which failed",
        },
        {
            "change": MIXED_UPDATE["changes"][3],
            "outcome": "skipped",
            "message": "depends on upstream.nginx, which failed",
        },
        {"change": MIXED_UPDATE["changes"][4], "outcome": "applied"},
        {"change": EVERY_KIND_CREATE["changes"][1], "outcome": "applied", "attempts": 2},
    ],
}

APPLY_OK: dict[str, Any] = {
    "events": [{"change": c, "outcome": "applied"} for c in EVERY_KIND_CREATE["changes"][:4]],
}

#: Every apply-result case by name (goldens: ``apply.txt``, ``apply.json``, ``apply.md``).
APPLY_CASES: dict[str, dict[str, Any]] = {
    "apply_partial_failure": APPLY_PARTIAL_FAILURE,
    "apply_ok": APPLY_OK,
}
