"""Secret fields of plugins the tool has no table for (hmac-auth's ``secret_key``, a
``client_secret`` of some other auth plugin) were plain strings in the desired state: a value
from a ``--var-file`` (kept out of Git for that reason) printed in the plan a PR comment shows.
The planner already treats these names as secret on the live side; the desired side now agrees.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.config import Options
from reconciler.load.loader import load_state
from reconciler.plan.planner import plan
from reconciler.report import render_plan
from reconciler.state.live import LiveState, ServerInfo
from reconciler.state.registry import APISIX_KINDS

CANARY = "canary-91c3-var-file-secret"
STATE = """\
apisix:
  consumers:
    - username: svc
      plugins:
        hmac-auth:
          key_id: svc
          secret_key: "${var:svc_secret}"
        ldap-auth:
          user_dn: "cn=svc"
          password: "${var:svc_password}"
"""


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_unlisted_plugin_secrets_are_masked(tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILE_CACHE", "off")
    (tmp_path / "desired").mkdir()
    (tmp_path / "desired" / "consumers.yaml").write_text(STATE)
    (tmp_path / "vars.yaml").write_text(f"svc_secret: {CANARY}-hmac\nsvc_password: {CANARY}-ldap\n")
    desired = load_state(tmp_path / "desired", var_files=[tmp_path / "vars.yaml"], env={})
    live = LiveState(read=frozenset(APISIX_KINDS), servers={"apisix": ServerInfo("apisix", "3.18.0")})
    live.objects = {kind: {} for kind in APISIX_KINDS}
    text = render_plan(plan(desired, live, Options()), fmt)  # type: ignore[arg-type]
    assert "consumer.svc" in text
    assert CANARY not in text


def test_dump_replaces_unlisted_plugin_secrets_with_placeholders(tmp_path: Path) -> None:
    from reconciler.run.dump import build_dump
    from reconciler.state.kinds import Kind
    from reconciler.state.live import LiveObject

    live = LiveState(read=frozenset(APISIX_KINDS), servers={"apisix": ServerInfo("apisix", "3.18.0")})
    live.objects = {kind: {} for kind in APISIX_KINDS}
    body = {"username": "svc", "labels": {"managed-by": "reconcile"},
            "plugins": {"hmac-auth": {"key_id": "svc", "secret_key": CANARY}}}
    live.objects[Kind.CONSUMER]["svc"] = LiveObject(Kind.CONSUMER, "svc", body, "1")
    dump = build_dump(live, Options(), "owned", tmp_path)
    text = "".join(dump.files.values())
    assert "consumers" in text and CANARY not in text
    assert [s.path for s in dump.secrets] == ["plugins.hmac-auth.secret_key"]
