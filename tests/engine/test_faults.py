"""Apply under faults: transient failures are retried until apply converges; a permanent one
fails its change, skips what depends on it, applies the rest, exits 1, and a re-run converges.

Faults are injected over HTTP with the emulators' control API (``/__sandbox/faults``), and each
test checks that the fault really fired, so a pass cannot come from a fault that never happened.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from .conftest import Stage


def fault(url: str, **rule: Any) -> None:
    """Add one fault rule to the emulator at ``url``."""
    response = httpx.post(f"{url}/__sandbox/faults", json=rule, timeout=10)
    assert response.status_code == 201, response.text


def fired(url: str) -> list[tuple[str, str, int]]:
    """(effect, path, times fired) of every rule."""
    rules = httpx.get(f"{url}/__sandbox/faults", timeout=10).json()["rules"]
    return [(r["effect"], r["path"], r["fired"]) for r in rules]


def clear(url: str) -> None:
    """Remove every fault rule."""
    assert httpx.delete(f"{url}/__sandbox/faults", timeout=10).status_code == 200


def converged(stage: Stage) -> None:
    """A plan right now shows no changes."""
    assert "No changes." in stage.must("plan", "--detailed-exitcode").stdout


def test_transient_faults_are_retried_until_apply_converges(stage: Stage) -> None:
    apisix, hydra = stage.box.apisix_admin_url, stage.box.hydra_admin_url
    fault(apisix, effect="status", method="PUT", path="/apisix/admin/routes", status=429, retry_after=0.05, times=2)
    fault(apisix, effect="status", method="PUT", path="/apisix/admin/upstreams", status=503, times=3)
    fault(apisix, effect="reset", method="PUT", path="/apisix/admin/consumers", times=2)
    fault(apisix, effect="status", method="GET", path="/apisix/admin/services", status=502, times=1)
    fault(hydra, effect="reset", method="POST", path="/admin/clients", times=1)
    fault(hydra, effect="status", method="POST", path="/admin/clients", status=503, times=1)
    out = stage.must("apply", "--auto-approve")
    assert "0 failed, 0 skipped" in out.stdout
    assert [f for f in fired(apisix) + fired(hydra) if f[2] == 0] == []
    assert sorted(f[2] for f in fired(apisix)) == [1, 2, 2, 3]
    clear(apisix)
    clear(hydra)
    converged(stage)
    # A reset or 503 on a client POST is checked with a GET before the retry: no duplicates, no 409.
    clients = stage.hydra("GET", "/clients").json()
    assert sorted(c["client_id"] for c in clients) == ["photo-web", "reporting-batch", "reports-api"]


def test_still_using_it_on_delete_is_retried(stage: Stage) -> None:
    stage.must("apply", "--auto-approve")
    # Every route and the plugin config go; the routes are deleted first, then the plugin config.
    (stage.path / "routes.yaml").unlink()
    (stage.path / "zz-extras.yaml").unlink()
    fault(stage.box.apisix_admin_url, effect="in_use", method="DELETE", path="/apisix/admin/plugin_configs", times=2)
    out = stage.must("apply", "--auto-approve", "--prune", "--allow-empty")
    assert "- plugin_config.browser-defaults" in out.stdout and "0 failed" in out.stdout
    assert fired(stage.box.apisix_admin_url) == [("in_use", "/apisix/admin/plugin_configs", 2)]
    assert stage.apisix("GET", "/plugin_configs/browser-defaults").status_code == 404
    converged(stage)


def test_permanent_failure_skips_dependents_and_a_rerun_converges(stage: Stage) -> None:
    apisix = stage.box.apisix_admin_url
    fault(apisix, effect="status", method="PUT", path="/apisix/admin/upstreams/photo-web", status=500,
          body={"error_msg": "etcd write failed"})
    out = stage.run("apply", "--auto-approve", "--output", "json")
    assert out.code == 1, out.stdout + out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["type"] == "apply_result" and result["ok"] is False
    events = {e["address"]: e for e in result["events"]}
    assert events["upstream.photo-web"]["outcome"] == "failed"
    assert "etcd write failed" in events["upstream.photo-web"]["message"]
    skipped = sorted(a for a, e in events.items() if e["outcome"] == "skipped")
    assert skipped == ["route.photo-web", "route.uploads"]
    for address in skipped:
        assert events[address]["message"] == "depends on upstream.photo-web, which did not apply"
    applied = [a for a, e in events.items() if e["outcome"] == "applied"]
    assert "upstream.photo-api" in applied and "route.reports" in applied and "route.photo-api-v1" in applied
    assert result["summary"] == {"applied": len(applied), "failed": 1, "skipped": 2}
    text = stage.run("apply", "--auto-approve")  # the fault is still there: the text report
    assert text.code == 1
    assert "Failed:" in text.stdout and "Skipped:" in text.stdout and "etcd write failed" in text.stdout
    clear(apisix)
    again = stage.must("apply", "--auto-approve")
    assert "3 applied, 0 failed, 0 skipped" in again.stdout
    converged(stage)


def test_short_hydra_list_never_turns_into_a_create_or_a_delete(stage: Stage) -> None:
    stage.must("apply", "--auto-approve")
    hydra = stage.box.hydra_admin_url
    fault(hydra, effect="truncate", method="GET", path="/admin/clients")
    doc = json.loads(stage.run("plan", "--prune", "--allow-empty", "--output", "json").stdout)
    assert doc["complete"] is False
    assert any(w.startswith("INCOMPLETE: oauth2_client") for w in doc["warnings"])
    # The client the short page left out is confirmed with a GET: not planned as a create (409).
    assert doc["changes"] == []
    out = stage.run("apply", "--auto-approve", "--prune", "--allow-empty")
    assert out.code == 0 and "0 to create, 0 to update, 0 to delete" in out.stdout, out.stdout + out.stderr
    assert "INCOMPLETE" in out.stdout
    assert [f for f in fired(hydra) if f[0] == "truncate" and f[2] >= 1]
