"""Units of verify that need no server: client authentication encoding, masking, the renderers."""

from __future__ import annotations

import asyncio
import base64
import json

from reconciler.plan.checks import Check, Outcome, Status, VerifyReport, What
from reconciler.report.verify import render_verify
from reconciler.run.adapters.oauth import Answer, client_auth
from reconciler.run.verify_base import Failed, Track, run_check
from reconciler.secrets import MASK, Secret
from reconciler.state.kinds import Kind


def test_basic_auth_form_encodes_id_and_secret_first() -> None:
    """RFC 6749 §2.3.1, as fosite decodes it: url-encode, then base64."""
    headers, form = client_auth("my client", Secret("p@ss:w/rd"), "client_secret_basic")
    assert form == {}
    assert base64.b64decode(headers["Authorization"].removeprefix("Basic ")) == b"my%20client:p%40ss%3Aw%2Frd"
    headers, form = client_auth("c", Secret("s"), "client_secret_post")
    assert (headers, form) == ({}, {"client_id": "c", "client_secret": "s"})


def test_a_server_echoing_the_secret_is_masked() -> None:
    check = Check(Kind.ROUTE, "r", "f.yaml:3", What.OIDC_PLUGIN, {"secret": Secret("echoed-secret-1")})

    async def body(c: Check, track: Track) -> str:
        track.step = "token"
        raise Failed("token", "refused echoed-secret-1", Answer(401, {"error": "invalid_client",
                                                                     "error_description": "bad echoed-secret-1"}, ""))

    outcome = asyncio.run(run_check(check, body))
    assert outcome.status is Status.FAIL and outcome.step == "token"
    assert "echoed-secret-1" not in outcome.message + outcome.answer
    assert outcome.answer == f"HTTP 401 invalid_client: bad {MASK}"


def test_a_server_echoing_the_encoded_secret_is_masked() -> None:
    """A token request sends the secret url-encoded (form) or inside a Basic credential; an echo of
    either form is masked too."""
    secret = Secret("s3cr et+/=")
    check = Check(Kind.OAUTH2_CLIENT, "web app", "f.yaml:3", What.CLIENT_SECRET, {"secret": secret})
    basic = client_auth("web app", secret, "client_secret_basic")[0]["Authorization"]
    sent = f"{basic} client_secret=s3cr+et%2B%2F%3D or s3cr%20et%2B%2F%3D"

    async def body(c: Check, track: Track) -> str:
        raise Failed("token", "refused", Answer(400, None, sent))

    outcome = asyncio.run(run_check(check, body))
    assert outcome.answer == f"HTTP 400: Basic {MASK} client_secret={MASK} or {MASK}"


def _report() -> VerifyReport:
    client = Check(Kind.OAUTH2_CLIENT, "web", "hydra.yaml:4", What.CLIENT_SECRET)
    route = Check(Kind.ROUTE, "login", "apisix.yaml:9", What.LOGIN_FLOW)
    spa = Check(Kind.OAUTH2_CLIENT, "spa", "hydra.yaml:12", What.CLIENT_SECRET)
    return VerifyReport([Outcome(client, Status.PASS, "token", "authenticates", "", 0.02),
                         Outcome(route, Status.FAIL, "callback", "the callback failed", "HTTP 500: boom", 0.4),
                         Outcome(spa, Status.SKIP, "start", "public client", "", 0.0)],
                        ["revoked the consent and login sessions of subject 'reconcile-verify'"])


def test_text_report() -> None:
    assert render_verify(_report(), "text") == (
        "  ok oauth2_client.web [client_secret] (hydra.yaml:4): authenticates (0.02s)\n"
        "FAIL route.login [login_flow] (apisix.yaml:9)\n"
        "       step callback: the callback failed\n"
        "       server answered: HTTP 500: boom\n"
        "skip oauth2_client.spa [client_secret] (hydra.yaml:12): public client (0.00s)\n"
        "Note: revoked the consent and login sessions of subject 'reconcile-verify'\n"
        "Verify: 1 passed, 1 failed, 1 skipped.\n")


def test_json_report() -> None:
    doc = json.loads(render_verify(_report(), "json"))
    assert doc["ok"] is False and doc["summary"] == {"passed": 1, "failed": 1, "skipped": 1}
    assert doc["checks"][1] == {"address": "route.login", "kind": "route", "key": "login", "source": "apisix.yaml:9",
                                "check": "login_flow", "status": "fail", "step": "callback",
                                "message": "the callback failed", "answer": "HTTP 500: boom", "seconds": 0.4}


def test_markdown_report() -> None:
    text = render_verify(_report(), "markdown")
    assert text.startswith("### Verify: 1 passed, 1 failed, 1 skipped.\n")
    assert "| ❌ | `route.login` | login_flow | apisix.yaml:9 | callback: the callback failed |" in text
    assert "#### `route.login` failed at step callback" in text
    assert "```\nHTTP 500: boom\n```" in text


def test_apply_verify_needs_the_desired_state_not_a_saved_plan(tmp_path: object) -> None:
    from pathlib import Path

    from click.testing import CliRunner

    from reconciler.cli import cli

    plan = Path(str(tmp_path)) / "plan.json"
    plan.write_text("{}")
    result = CliRunner().invoke(cli, ["apply", "--verify", "--auto-approve", str(plan)])
    assert result.exit_code == 1  # a usage error: 2 means only "changes" or "drift"
    assert "--verify needs the desired state (PATH), not a saved plan" in result.output


def test_docs_show_the_json_shape_verify_writes() -> None:
    from reconciler.report.verify import verify_document
    from reconciler.sandbox.realhydra import repo_root

    text = (repo_root() / "docs" / "verify.md").read_text()
    documented = json.loads(text.split("```json\n", 1)[1].split("```", 1)[0])
    written = verify_document(_report())
    assert set(documented) == set(written)
    assert set(documented["summary"]) == set(written["summary"])
    assert set(documented["checks"][0]) == set(written["checks"][0])
