"""Golden tests: valid multi-file desired states, loaded, merged and resolved.

The golden JSON shows every object's key, source and body with secrets masked, and lists the
paths that hold a ``Secret``.  ``UPDATE_GOLDEN=1`` rewrites the files; review the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from reconciler.load.loader import load_state
from reconciler.secrets import Secret, mask
from reconciler.state.kinds import Kind, ResolvedState

HERE = Path(__file__).parent
REPO = HERE.parents[1]
GOLDEN = HERE / "golden"


def _secret_paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, Secret):
        return [prefix]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _secret_paths(v, f"{prefix}.{k}" if prefix else k)]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _secret_paths(v, f"{prefix}[{i}]")]
    return []


def render(state: ResolvedState) -> str:
    """The state as stable, secret-free JSON."""
    doc = {
        "systems": sorted(state.systems),
        "hydra_issuer": state.hydra_issuer,
        "managed_credentials": sorted(state.managed_credentials),
        "objects": {
            kind.value: {
                key: {
                    "source": obj.source,
                    "body": mask(obj.body),
                    "secrets": _secret_paths(obj.body),
                }
                for key, obj in objects.items()
            }
            for kind, objects in state.objects.items()
        },
    }
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"{path} missing: run with UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8")


def test_seed_scenario(monkeypatch: pytest.MonkeyPatch, seed_env: dict[str, str], no_network: Any) -> None:
    monkeypatch.chdir(REPO)
    state = load_state(Path("desired-state"), env=seed_env)
    check_golden("seed", render(state))
    route = state.objects[Kind.ROUTE]["photo-backup"]
    oidc = route.body["plugins"]["openid-connect"]
    assert oidc["client_secret"] == Secret(seed_env["PHOTO_BACKUP_CLIENT_SECRET"])
    assert oidc["session"]["secret"] == Secret(seed_env["PHOTO_BACKUP_SESSION_SECRET"])
    assert seed_env["PHOTO_BACKUP_CLIENT_SECRET"] not in render(state)
    assert no_network.attempts == []


def test_rich_example(monkeypatch: pytest.MonkeyPatch, rich_env: dict[str, str]) -> None:
    monkeypatch.chdir(REPO)
    state = load_state(Path("examples/rich"), env=rich_env)
    check_golden("rich", render(state))
    assert {k.value for k in state.objects} >= {
        "oauth2_client", "upstream", "service", "route", "consumer", "credential",
        "consumer_group", "plugin_config", "global_rule",
    }  # fmt: skip
    assert all(key.startswith("reconcile-") for key in state.objects[Kind.GLOBAL_RULE])
    assert state.managed_credentials == {"bob"}
    assert set(state.objects[Kind.CREDENTIAL]) == {"bob/laptop", "bob/admin"}


def test_var_files_anchors_files_and_literal_secrets(
    monkeypatch: pytest.MonkeyPatch, corpus_env: dict[str, str]
) -> None:
    monkeypatch.chdir(HERE / "valid")
    # The certificate sits beside the desired state, not in it: the operator allows that folder.
    env = {**corpus_env, "RECONCILE_FILE_ROOTS": str(HERE / "valid")}
    state = load_state(Path("vars"), var_files=[Path("vars.vars"), Path("vars-prod.vars")], env=env)
    check_golden("vars", render(state))
