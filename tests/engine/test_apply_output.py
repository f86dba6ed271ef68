"""``reconcile apply --output json`` streams one JSON event per change, then the result document."""

from __future__ import annotations

import json

from .conftest import Stage


def test_json_event_stream(stage: Stage) -> None:
    out = stage.must("apply", "--auto-approve", "--output", "json")
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
    events, result = lines[:-1], lines[-1]
    assert {e["type"] for e in events} == {"apply_event"}
    assert all(e["format_version"] == "1" and e["outcome"] == "applied" for e in events)
    assert result["type"] == "apply_result" and result["ok"] is True
    assert result["summary"] == {"applied": len(events), "failed": 0, "skipped": 0}
    addresses = [e["address"] for e in events]
    assert len(addresses) == len(set(addresses)) == 24
    # Level order: every client before any route, every upstream before any route.
    last_client = max(i for i, a in enumerate(addresses) if a.startswith("oauth2_client."))
    first_route = min(i for i, a in enumerate(addresses) if a.startswith("route."))
    last_upstream = max(i for i, a in enumerate(addresses) if a.startswith("upstream."))
    assert last_client < first_route and last_upstream < first_route
