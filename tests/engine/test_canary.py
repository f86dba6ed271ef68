"""A canary secret never shows: not in stdout, stderr, JSON, Markdown, logs or exception text.

Every secret of the rich desired state (client secrets, the openid-connect session secret,
key-auth keys, basic-auth password, jwt and csrf secrets) carries the canary, through plan,
apply and the failure paths: a 500 on a PUT, a config the server rejects, a server error that
quotes the secret back, and an unreachable server.  Each test first proves the canary really
reached the servers, so that a pass cannot come from secrets that were never sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import Stage, make_stage

CANARY = "canary-7f3a9c-never-print"


@pytest.fixture
def canary_stage(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Stage]:
    caplog.set_level(logging.DEBUG)
    yield from make_stage(tmp_path, canary=CANARY)


def _assert_clean(stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    assert stage.history, "nothing ran"
    for out in stage.history:
        assert CANARY not in out.everything, f"canary leaked by reconcile {' '.join(out.args)}"
    for record in caplog.records:
        assert CANARY not in record.getMessage(), f"canary leaked in log {record.name}"
        assert CANARY not in str(record.exc_text or "")
    assert CANARY not in caplog.text


def _fault(stage: Stage, **rule: object) -> None:
    response = httpx.post(f"{stage.box.apisix_admin_url}/__sandbox/faults", json=rule, timeout=10)
    assert response.status_code == 201, response.text


def _reached_servers(stage: Stage) -> None:
    alice = stage.apisix_value("/consumers/alice")
    assert CANARY in alice["plugins"]["key-auth"]["key"]
    route = stage.apisix_value("/routes/photo-web")
    assert CANARY in route["plugins"]["openid-connect"]["session"]["secret"]
    token = httpx.post(stage.box.hydra_public_url.rstrip("/") + "/oauth2/token",
                       data={"grant_type": "client_credentials"},
                       auth=("reports-api", stage.env["RICH_REPORTING_SECRET"]), timeout=10)
    assert token.status_code == 200 and CANARY in stage.env["RICH_REPORTING_SECRET"]


def test_plan_apply_and_replan_in_every_format(canary_stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    stage = canary_stage
    for fmt in ("text", "json", "markdown"):
        stage.must("plan", "--output", fmt)
    stage.must("apply", "--auto-approve", "--output", "json")
    _reached_servers(stage)
    stage.env["RICH_REPORTING_SECRET"] = f"rotated-{CANARY}"
    stage.env["RICH_SESSION_SECRET"] = f"session-rotated-{CANARY}"
    stage.env["RICH_ALICE_KEY"] = f"alice-rotated-{CANARY}"
    for fmt in ("text", "json", "markdown"):
        out = stage.must("plan", "--detailed-exitcode", "--output", fmt, code=2)
        assert "(sensitive value)" in out.stdout or fmt == "markdown"
    stage.must("apply", "--auto-approve")
    stage.must("plan", "--detailed-exitcode")
    _assert_clean(stage, caplog)


def test_put_failing_with_500(canary_stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    stage = canary_stage
    _fault(stage, effect="status", method="PUT", path="/apisix/admin/consumers", status=500)
    out = stage.must("apply", "--auto-approve", code=1)
    assert "consumer.alice" in out.stdout and "injected fault 500" in out.stdout
    _assert_clean(stage, caplog)


def test_server_error_quoting_the_secret_back(canary_stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    stage = canary_stage
    key = stage.env["RICH_ALICE_KEY"]
    _fault(stage, effect="status", method="PUT", path="/apisix/admin/consumers", status=400, times=1,
           body={"error_msg": f"invalid plugins configuration: key {key} is not allowed"})
    out = stage.must("apply", "--auto-approve", code=1)
    assert "is not allowed" in out.stdout
    _assert_clean(stage, caplog)


def test_config_the_server_rejects(canary_stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    stage = canary_stage
    stage.must("apply", "--auto-approve")
    _reached_servers(stage)
    stage.env["RICH_BOB_KEY"] = stage.env["RICH_ALICE_KEY"]  # APISIX 3.18 refuses a duplicate key-auth key
    out = stage.run("apply", "--auto-approve")
    assert out.code == 1, out.stdout + out.stderr
    assert "duplicate" in out.everything
    _assert_clean(stage, caplog)


def test_unreachable_server(canary_stage: Stage, caplog: pytest.LogCaptureFixture) -> None:
    stage = canary_stage
    stage.env["APISIX_ADMIN_URL"] = "http://127.0.0.1:9"
    stage.env["HYDRA_ADMIN_URL"] = "http://127.0.0.1:9"
    for args in (("plan",), ("apply", "--auto-approve")):
        out = stage.run(*args, "--timeout", "2")
        assert out.code == 1 and "Error:" in out.stderr, out.everything
    _assert_clean(stage, caplog)


def test_failure_inside_the_engine_keeps_secrets_out_of_exceptions(canary_stage: Stage,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    stage = canary_stage
    _fault(stage, effect="reset", method="PUT", path="/apisix/admin/routes")
    out = stage.run("apply", "--auto-approve")
    assert out.code == 1
    _assert_clean(stage, caplog)


def test_saved_plan_file_and_its_apply(canary_stage: Stage, caplog: pytest.LogCaptureFixture,
                                       tmp_path: Path) -> None:
    stage = canary_stage
    saved = tmp_path / "plan.json"
    stage.must("plan", "--out", str(saved))
    assert saved.exists() and CANARY not in saved.read_text()
    out = stage.run("apply", "--auto-approve", path=saved)
    assert out.code == 0, out.stdout + out.stderr
    _reached_servers(stage)
    _assert_clean(stage, caplog)
