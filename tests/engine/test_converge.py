"""Zero false drift: apply, then plan, shows no changes, for every kind, plugin and server mode.

The matrix is APISIX 3.18.0 (compares as stored) and 3.13.0 (stores defaults) against the Hydra
emulator as 2.3.0 and 1.10.6, plus real Ory Hydra v2.3.0 (``real_hydra``).  Each mode applies
the rich desired state once (module scope); the tests below then prove, kind by kind and plugin
by plugin, that the objects exist on the servers and re-plan as no-ops.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.plan.changes import Action
from reconciler.run.engine import Run
from reconciler.state.kinds import Kind

from .conftest import Outcome, Stage, make_stage
from .states import ALL_KINDS, ALL_PLUGINS

MODES = [
    pytest.param(("3.18.0", "2.3.0", False), id="apisix3.18-hydra2.3"),
    pytest.param(("3.13.0", "2.3.0", False), id="apisix3.13legacy-hydra2.3"),
    pytest.param(("3.18.0", "1.10.6", False), id="apisix3.18-hydra1.10"),
    pytest.param(("3.13.0", "1.10.6", False), id="apisix3.13legacy-hydra1.10"),
    pytest.param(("3.18.0", "2.3.0", True), id="apisix3.18-realhydra2.3", marks=pytest.mark.real_hydra),
    pytest.param(("3.13.0", "2.3.0", True), id="apisix3.13legacy-realhydra2.3", marks=pytest.mark.real_hydra),
]


@dataclass
class Converged:
    """One mode after apply: the apply output, the CLI re-plan, and an in-process re-plan."""

    stage: Stage
    apply: Outcome
    replan: Outcome
    replan_json: Outcome
    run: Run


@pytest.fixture(scope="module", params=MODES)
def converged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Converged]:
    apisix_version, hydra_version, real = request.param
    tmp: Path = tmp_path_factory.mktemp("converge")
    for stage in make_stage(tmp, apisix_version=apisix_version, hydra_version=hydra_version, real_hydra=real):
        applied = stage.must("apply", "--auto-approve")
        replan = stage.run("plan", "--detailed-exitcode")
        replan_json = stage.run("plan", "--detailed-exitcode", "--output", "json")
        yield Converged(stage, applied, replan, replan_json, stage.plan())


def _plugins_of(body: dict[str, Any]) -> set[str]:
    plugins = body.get("plugins")
    names = set(plugins) if isinstance(plugins, dict) else set()
    upstream_plugins = (body.get("upstream") or {}).get("plugins") if isinstance(body.get("upstream"), dict) else None
    return names | (set(upstream_plugins) if isinstance(upstream_plugins, dict) else set())


def test_apply_applies_everything(converged: Converged) -> None:
    assert "0 failed, 0 skipped" in converged.apply.stdout
    assert converged.run.plan.servers["apisix"] == converged.stage.box.apisix_version


def test_second_plan_exits_0_with_no_changes(converged: Converged) -> None:
    out = converged.replan
    assert (out.code, out.exception) == (0, None), out.stdout + out.stderr
    assert "No changes." in out.stdout


def test_second_plan_json_lists_nothing(converged: Converged) -> None:
    import json

    out = converged.replan_json
    assert out.code == 0, out.stdout + out.stderr
    doc = json.loads(out.stdout)
    assert doc["changes"] == [] and doc["errors"] == [] and doc["complete"] is True
    assert doc["summary"]["create"] == doc["summary"]["update"] == doc["summary"]["delete"] == 0


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_kind_exists_and_is_unchanged(converged: Converged, kind: str) -> None:
    k = Kind(kind)
    changes = [c for c in converged.run.plan.changes if c.kind is k]
    live = converged.run.live.of(k)
    assert changes, f"the rich desired state declares no {kind}"
    assert {c.key for c in changes} <= set(live), f"{kind} objects missing on the server"
    assert [c.address for c in changes if c.action is not Action.NOOP] == []


@pytest.mark.parametrize("plugin", ALL_PLUGINS)
def test_every_plugin_exists_and_is_unchanged(converged: Converged, plugin: str) -> None:
    users = [(k, key) for k, objs in converged.run.live.objects.items() for key, obj in objs.items()
             if plugin in _plugins_of(obj.body) or (k is Kind.PLUGIN_METADATA and key == plugin)]
    assert users, f"no live object uses the {plugin} plugin"
    by_address = {(c.kind, c.key): c for c in converged.run.plan.changes}
    for address in users:
        assert by_address[address].action is Action.NOOP, by_address[address]


def test_legacy_mode_really_stored_defaults(converged: Converged) -> None:
    """Guard the guard: in 3.13 mode the server must have stored defaults that the plan ignored."""
    route = converged.stage.apisix_value("/routes/uploads")
    if converged.stage.box.apisix_version.startswith("3.13"):
        assert route["plugins"]["csrf"]["expires"] == 7200
        assert route["priority"] == 0
    else:
        assert "expires" not in route["plugins"]["csrf"]
