"""``plan`` asks APISIX (3.17+) to validate what it will write, before anything is written.

The error chosen is one only a plugin's Lua ``check_schema`` finds: cors with
``allow_credential: true`` and a ``*`` (``apisix/plugins/cors.lua`` 3.18.0 ``_M.check_schema``;
``t/admin/config-validate.t`` TEST 7).  ``allow_headers`` defaults to ``*``, so even a config
that never writes ``*`` is refused: JSON Schema accepts it, APISIX does not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import Stage, make_stage

CORS = "you can not set '*' for other option when 'allow_credential' is true"
VALIDATE = "/apisix/admin/configs/validate"


def doc(cors: dict[str, Any]) -> dict[str, Any]:
    return {"apisix": {
        "upstreams": [{"id": "web", "nodes": {"127.0.0.1:8100": 1}}],
        "routes": [
            {"id": "ok", "uri": "/ok", "upstream_id": "web"},
            {"id": "browser", "uri": "/app/*", "upstream_id": "web", "plugins": {"cors": cors}},
        ],
        "consumers": [{"username": "jack", "plugins": {"key-auth": {"key": "${env:JACK_KEY}"}}}],
    }}


BAD = {"allow_origins": "https://app.example.test", "allow_methods": "GET", "allow_credential": True}
GOOD = {**BAD, "allow_headers": "Content-Type"}


def stage_for(tmp_path: Path, version: str) -> Iterator[Stage]:
    for stage in make_stage(tmp_path, apisix_version=version, with_extras=False):
        for old in stage.path.glob("*.yaml"):
            old.unlink()
        stage.env["JACK_KEY"] = "jack-very-secret-key"
        yield stage


@pytest.fixture
def stage(tmp_path: Path) -> Iterator[Stage]:
    yield from stage_for(tmp_path, "3.18.0")


def write(stage: Stage, cors: dict[str, Any]) -> Path:
    path = stage.path / "routes.yaml"
    path.write_text(yaml.safe_dump(doc(cors), sort_keys=False))
    return path


def line_of(path: Path, needle: str) -> int:
    return next(n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text)


def nothing_written(stage: Stage) -> None:
    for collection in ("/routes", "/upstreams", "/consumers"):
        assert stage.apisix("GET", collection).json()["total"] == 0, collection


def test_check_schema_error_at_file_line_and_nothing_written(stage: Stage) -> None:
    path = write(stage, BAD)
    out = stage.run("plan", "--output", "json")
    assert out.code == 1, out.stdout + out.stderr
    errors = json.loads(out.stdout)["errors"]
    where = f"{path}:{line_of(path, '- id: browser')}"
    assert errors == [f"route.browser: failed to check the configuration of plugin cors err: {CORS} "
                      f"(rejected by APISIX 3.18.0 POST {VALIDATE}; {where})"], errors
    applied = stage.run("apply", "--auto-approve")
    assert applied.code != 0
    assert CORS in applied.everything
    assert "jack-very-secret-key" not in applied.everything + out.everything
    nothing_written(stage)


def test_valid_config_passes_and_applies(stage: Stage) -> None:
    write(stage, GOOD)
    stage.must("apply", "--auto-approve")
    assert stage.apisix("GET", "/routes/browser").status_code == 200
    stage.must("plan", "--detailed-exitcode")  # converged: nothing to write, nothing to validate


def test_secret_quoted_by_the_server_is_masked(stage: Stage) -> None:
    """APISIX error texts may quote a rejected value (a pattern error); the key must not show."""
    write(stage, GOOD)
    stage.env["JACK_KEY"] = "jack-very-secret-key"
    stage.box.apisix.faults.add("status", method="POST", path=VALIDATE, status=400, body={
        "error_msg": "Configuration validation failed",
        "errors": [{"resource_type": "consumers", "resource_id": "jack", "index": 0,
                    "error": 'failed to match pattern "^x$" with "jack-very-secret-key"'}]})
    out = stage.run("plan", "--output", "json")
    assert out.code == 1
    [error] = json.loads(out.stdout)["errors"]
    assert error.startswith("consumer.jack: failed to match pattern")
    assert "jack-very-secret-key" not in out.everything


def test_secret_in_an_error_of_no_known_object_is_masked(stage: Stage) -> None:
    """An error whose index names no object sent is reported whole; a quoted key must still not show."""
    write(stage, GOOD)
    stage.box.apisix.faults.add("status", method="POST", path=VALIDATE, status=400, body={
        "error_msg": "Configuration validation failed",
        "errors": [{"resource_type": "consumers", "index": 7,
                    "error": 'failed to match pattern "^x$" with "jack-very-secret-key"'}]})
    out = stage.run("plan", "--output", "json")
    assert out.code == 1
    [error] = json.loads(out.stdout)["errors"]
    assert error.startswith("APISIX 3.18.0 rejected the configuration: failed to match pattern"), error
    assert "jack-very-secret-key" not in out.everything


@pytest.mark.parametrize(("rule", "words"), [
    ({"status": 500}, "could not validate"),
    ({"status": 404, "body": {"error_msg": "Unsupported resource type: configs"}}, "could not validate"),
    ({"status": 200, "body": {"valid": True}}, "unexpected answer"),
    ({"status": 400, "body": {"error_msg": "invalid request body: empty request body"}}, "refused to validate"),
    ({"status": 400, "body": {"error_msg": "Configuration validation failed", "errors": []}}, "refused to validate"),
])
def test_a_fault_on_validation_is_never_valid(stage: Stage, rule: dict[str, Any], words: str) -> None:
    write(stage, GOOD)
    stage.box.apisix.faults.add("status", method="POST", path=VALIDATE, **rule)
    out = stage.run("plan", "--output", "json")
    assert out.code == 1, out.stdout + out.stderr
    [error] = json.loads(out.stdout)["errors"]
    assert words in error and "nothing was written" in error
    assert stage.run("apply", "--auto-approve").code != 0
    nothing_written(stage)


def test_older_apisix_falls_back_to_the_schema_check(tmp_path: Path) -> None:
    """3.13 has no ``/configs/validate``: the plan is the schema check alone and never calls it."""
    for stage in stage_for(tmp_path, "3.13.0"):
        write(stage, GOOD)
        rule = stage.box.apisix.faults.add("status", method="POST", path=VALIDATE, status=500)
        out = stage.run("plan", "--output", "json")
        assert out.code == 0, out.stdout + out.stderr
        assert json.loads(out.stdout)["errors"] == []
        assert rule.seen == 0


def test_a_plan_larger_than_the_admin_body_limit_is_validated_in_batches(stage: Stage) -> None:
    """APISIX refuses an admin body over 1.5 MiB (``apisix/admin/init.lua`` ``MAX_REQ_BODY``), and
    the emulator with it: a plan of that size is validated in several requests, and an error in a
    late batch is still found at its object."""
    nodes = {f"127.0.{n // 250}.{n % 250}:8100": 1 for n in range(100)}  # about 2 KB a body
    upstreams = [{"id": f"u{i:04d}", "nodes": nodes} for i in range(1200)]  # 2.4 MB
    routes = [{"id": "browser", "uri": "/app/*", "upstream_id": "u1199", "plugins": {"cors": BAD}}]
    (stage.path / "big.yaml").write_text(yaml.safe_dump({"apisix": {"upstreams": upstreams, "routes": routes}}))
    out = stage.run("plan", "--output", "json")
    assert out.code == 1, out.stdout + out.stderr
    assert out.stdout.strip(), out.stderr
    errors = json.loads(out.stdout)["errors"]
    assert len(errors) == 1 and errors[0].startswith("route.browser: ") and CORS in errors[0], errors
    assert "request size" not in out.everything
    (stage.path / "big.yaml").write_text(yaml.safe_dump({"apisix": {"upstreams": upstreams}}))
    ok = stage.run("plan", "--output", "json")
    assert ok.code == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["errors"] == []


def test_batches_stay_under_the_budget_and_keep_every_write() -> None:
    from reconciler.plan.changes import Action, Change
    from reconciler.run.validate import batches
    from reconciler.state.kinds import Kind

    writes = [Change(kind=Kind.UPSTREAM, key=f"u{i}", action=Action.CREATE, before=None,
                     after={"desc": "y" * 100, "nodes": {"127.0.0.1:80": 1}}, diff=(), reason="")
              for i in range(50)]
    runs = batches(writes, budget=1000)
    assert [c for run in runs for c in run] == writes
    assert len(runs) > 1 and all(len(run) >= 1 for run in runs)
    assert all(sum(len(json.dumps(c.after)) for c in run) < 1000 for run in runs)
