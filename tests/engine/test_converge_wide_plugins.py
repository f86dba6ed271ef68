"""The wider plugin catalogue converges: apply, then plan is empty, on APISIX 3.18 and 3.13.

On 3.13 the server stores every schema default it fills in (spec §5.2), so a plan settles only
if the transcribed schemas' defaults and the planner's default filling agree; on 3.18 the plan
also passes through ``/configs/validate``.  Secrets (hmac-auth ``secret_key``, http-logger
``auth_header``) come from the environment and never show in any output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.sandbox.apisix_plugins import DEFAULT_ENABLED, PLUGIN_NAMES

from .conftest import Stage, make_stage
from .states import ALL_PLUGINS

SECRETS = {"WIDE_HMAC_SECRET": "hmac-secret-canary-77", "WIDE_LOG_AUTH": "Bearer log-canary-88"}
ROUTE_PLUGINS: dict[str, dict[str, Any]] = {
    "response-rewrite": {"headers": {"set": {"X-Served-By": "apisix"}}},
    "redirect": {"uri": "/new/$uri", "ret_code": 301},
    "real-ip": {"source": "http_x_forwarded_for", "trusted_addresses": ["10.0.0.0/8"]},
    "api-breaker": {"break_response_code": 502, "unhealthy": {"failures": 2}},
    "http-logger": {"uri": "http://127.0.0.1:1982/log", "auth_header": "${env:WIDE_LOG_AUTH}", "batch_max_size": 10},
    "file-logger": {"path": "logs/edge.log"},
    "zipkin": {"endpoint": "http://127.0.0.1:9411/api/v2/spans", "sample_ratio": 0.5},
    "consumer-restriction": {"whitelist": ["jack"]},
    "referer-restriction": {"whitelist": ["*.example.test"], "bypass_missing": True},
    "uri-blocker": {"block_rules": ["^/admin"]},
    "request-validation": {"header_schema": {"type": "object", "required": ["X-Tenant"]}},
    "fault-injection": {"delay": {"duration": 0.1, "percentage": 10}},
    "mocking": {"response_example": "{\"ok\": true}", "content_type": "application/json"},
    "hmac-auth": {"clock_skew": 60},
}


def desired() -> dict[str, Any]:
    split = {"rules": [{"match": [{"vars": [["http_x_canary", "==", "1"]]}],
                        "weighted_upstreams": [{"upstream_id": "canary", "weight": 1}, {"weight": 9}]}]}
    return {"apisix": {
        "upstreams": [{"id": "main", "nodes": {"127.0.0.1:8100": 1}}, {"id": "canary", "nodes": {"127.0.0.1:8101": 1}}],
        "routes": [
            *({"id": f"wide-{name}", "uri": f"/{name}/*", "upstream_id": "main", "plugins": {name: conf}}
              for name, conf in ROUTE_PLUGINS.items()),
            {"id": "wide-traffic-split", "uri": "/split/*", "upstream_id": "main",
             "plugins": {"traffic-split": split}},
        ],
        "consumers": [{"username": "jack", "plugins": {"hmac-auth": {"key_id": "jack-key",
                                                                     "secret_key": "${env:WIDE_HMAC_SECRET}"}}}],
        "plugin_metadata": [{"plugin": "http-logger", "log_format": {"host": "$host", "client": "$remote_addr"}}],
    }}


@pytest.fixture(params=["3.18.0", "3.13.0"])
def stage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stage]:
    for stage in make_stage(tmp_path, apisix_version=request.param, with_extras=False):
        for old in stage.path.glob("*.yaml"):
            old.unlink()
        stage.env.update(SECRETS)
        (stage.path / "wide.yaml").write_text(yaml.safe_dump(desired(), sort_keys=False))
        yield stage


def test_every_enabled_plugin_is_covered() -> None:
    used = set(ALL_PLUGINS) | set(ROUTE_PLUGINS) | {"traffic-split"}
    assert {p for p in PLUGIN_NAMES if p in DEFAULT_ENABLED} <= used


def test_wide_plugins_apply_then_plan_empty(stage: Stage) -> None:
    applied = stage.must("apply", "--auto-approve")
    route = stage.apisix_value("/routes/wide-api-breaker")
    if stage.box.apisix_version.startswith("3.13"):  # guard the guard: defaults really were stored
        assert route["plugins"]["api-breaker"]["max_breaker_sec"] == 300
    else:
        assert "max_breaker_sec" not in route["plugins"]["api-breaker"]
    out = stage.must("plan", "--detailed-exitcode", "--output", "json")
    doc = json.loads(out.stdout)
    assert [c["address"] for c in doc["changes"] if c["action"] != "noop"] == []
    for secret in SECRETS.values():
        assert secret not in applied.everything + out.everything
