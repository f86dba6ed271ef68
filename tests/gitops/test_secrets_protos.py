"""APISIX ``secrets`` (secret managers) and ``protos`` through every command, against the sandbox.

They validate, apply, re-plan empty, show drift on a hand edit, are repaired by apply, are pruned
only when owned, and round-trip through ``dump``; the vault token never appears in any output.
``$secret://`` references in plugin fields stay plain strings.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
import yaml

from reconciler.sandbox.runner import Sandbox

from .conftest import CANARY, DESIRED, KEY_CANARY, Edge, make_edge

pytestmark = pytest.mark.timeout(180)

VAULT_CANARY = "vault-token-canary-93be1f"
AWS_CANARY = "aws-secret-canary-0c7d22"
PROTO = 'syntax = "proto3";\npackage helloworld;\nservice Greeter { rpc SayHello (HelloRequest) returns (HelloReply) {} }\n'
REFERENCE = "$secret://vault/reconcile-team-a/bob/key"

MORE = f"""\
  secrets:
    - id: vault/reconcile-team-a
      uri: http://127.0.0.1:8200
      prefix: kv/apisix
      token: ${{env:VAULT_TOKEN}}
    - id: aws/reconcile-team-a
      access_key_id: AKIAEXAMPLE
      secret_access_key: ${{env:AWS_SECRET}}
      region: eu-west-1
  protos:
    - id: greeter
      labels: {{team: a}}
      content: |
{"".join("        " + line + chr(10) for line in PROTO.splitlines())}"""

BOB = f"""\
    - username: bob
      plugins:
        key-auth:
          key: "{REFERENCE}"
"""


def write_all(edge: Edge, *, more: str = MORE) -> None:
    """The small desired state, plus a consumer with a ``$secret://`` key, plus ``more``."""
    edge.write(DESIRED.replace("  routes:\n", BOB + "  routes:\n") + more)
    edge.env.update({"VAULT_TOKEN": VAULT_CANARY, "AWS_SECRET": AWS_CANARY})


def outputs_hold_no_secret(*texts: str) -> None:
    for text in texts:
        for canary in (VAULT_CANARY, AWS_CANARY, CANARY, KEY_CANARY):
            assert canary not in text


def plan_json(edge: Edge, *extra: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = edge.cli("plan", str(edge.desired), "--output", "json", "--detailed-exitcode", *extra)
    return result.exit_code, json.loads(result.stdout)


@pytest.fixture
def applied_sp(edge: Edge) -> Edge:
    write_all(edge)
    result = edge.cli("apply", str(edge.desired), "--auto-approve")
    assert result.exit_code == 0, result.output
    outputs_hold_no_secret(result.output)
    return edge


def test_validate_accepts_them_and_names_file_line_and_field(edge: Edge) -> None:
    write_all(edge)
    ok = edge.cli("validate", str(edge.desired))
    assert ok.exit_code == 0, ok.output
    outputs_hold_no_secret(ok.output)
    bad = MORE.replace("      prefix: kv/apisix\n", "      region: eu-west-1\n").replace(
        "      content: |\n", "      name: no-content\n      x-content: |\n")
    write_all(edge, more=bad)
    result = edge.cli("validate", str(edge.desired))
    assert result.exit_code != 0
    out = result.output
    assert "edge.yaml:" in out and "apisix.secrets[0]" in out and "region not allowed for a vault" in out
    assert "apisix.protos[0]" in out and "content" in out
    outputs_hold_no_secret(out)


def test_apply_creates_them_and_replans_empty(applied_sp: Edge) -> None:
    edge = applied_sp
    vault = edge.apisix("GET", "/secrets/vault/reconcile-team-a").json()["value"]
    assert vault["token"] == VAULT_CANARY and vault["id"] == "vault/reconcile-team-a"
    assert edge.apisix("GET", "/secrets/aws/reconcile-team-a").json()["value"]["secret_access_key"] == AWS_CANARY
    proto = edge.apisix("GET", "/protos/greeter").json()["value"]
    assert proto["content"] == PROTO and proto["labels"]["managed-by"] == "reconcile"
    assert edge.apisix("GET", "/consumers/bob").json()["value"]["plugins"]["key-auth"]["key"] == REFERENCE
    code, doc = plan_json(edge)
    assert code == 0 and doc["changes"] == [], doc["changes"]


def test_a_reference_stays_a_plain_string(edge: Edge) -> None:
    write_all(edge)
    code, doc = plan_json(edge)
    assert code == 2
    bob = next(c for c in doc["changes"] if c["address"] == "consumer.bob")
    assert bob["after"]["plugins"]["key-auth"]["key"] == REFERENCE  # shown, not masked, not resolved
    vault = next(c for c in doc["changes"] if c["address"] == "secret.vault/reconcile-team-a")
    assert vault["after"]["token"] == "(sensitive value)"


def test_hand_edits_are_drift_and_apply_repairs_them(applied_sp: Edge) -> None:
    edge = applied_sp
    edge.apisix("PUT", "/secrets/vault/reconcile-team-a",
                json={"uri": "http://127.0.0.1:8200", "prefix": "kv/other", "token": "hand-typed-token"}
                ).raise_for_status()
    edge.apisix("PUT", "/protos/greeter", json={"content": "syntax = \"proto2\";",
                                                 "labels": {"managed-by": "reconcile", "team": "a"}}
                ).raise_for_status()
    outputs = []
    for fmt in ("text", "json", "markdown"):
        result = edge.cli("drift", str(edge.desired), "--output", fmt)
        assert result.exit_code == 2, result.output
        outputs.append(result.output)
    findings = {f["address"]: f for f in json.loads(outputs[1])["findings"]}
    assert findings["secret.vault/reconcile-team-a"]["finding"] == "modified"
    assert findings["proto.greeter"]["finding"] == "modified"
    outputs_hold_no_secret(*outputs)
    assert "hand-typed-token" not in "".join(outputs)
    repaired = edge.cli("apply", str(edge.desired), "--auto-approve")
    assert repaired.exit_code == 0, repaired.output
    outputs_hold_no_secret(repaired.output)
    assert edge.apisix("GET", "/secrets/vault/reconcile-team-a").json()["value"]["token"] == VAULT_CANARY
    assert edge.apisix("GET", "/protos/greeter").json()["value"]["content"] == PROTO
    assert edge.cli("drift", str(edge.desired)).exit_code == 0


def test_prune_deletes_owned_ones_only(applied_sp: Edge) -> None:
    edge = applied_sp
    edge.apisix("PUT", "/secrets/vault/someone-else", json={"uri": "http://v:8200", "prefix": "p", "token": "t"}
                ).raise_for_status()
    edge.apisix("PUT", "/protos/theirs", json={"content": "syntax = \"proto3\";"}).raise_for_status()
    keep = MORE.split("  protos:", maxsplit=1)[0].replace(
        "    - id: aws/reconcile-team-a\n      access_key_id: AKIAEXAMPLE\n"
        "      secret_access_key: ${env:AWS_SECRET}\n      region: eu-west-1\n", "")
    write_all(edge, more=keep)
    code, doc = plan_json(edge, "--prune", "--allow-empty")
    assert code == 2, doc
    deletes = sorted(c["address"] for c in doc["changes"] if c["action"] == "delete")
    assert deletes == ["proto.greeter", "secret.aws/reconcile-team-a"]
    unmanaged = {u["address"] for u in doc["unmanaged"]}
    assert {"secret.vault/someone-else", "proto.theirs"} <= unmanaged
    result = edge.cli("apply", str(edge.desired), "--auto-approve", "--prune", "--allow-empty")
    assert result.exit_code == 0, result.output
    assert edge.apisix("GET", "/secrets/aws/reconcile-team-a").status_code == 404
    assert edge.apisix("GET", "/secrets/vault/someone-else").status_code == 200
    assert edge.apisix("GET", "/protos/theirs").status_code == 200


def test_a_secret_manager_outside_the_prefix_is_refused(edge: Edge) -> None:
    write_all(edge, more=MORE.replace("vault/reconcile-team-a", "vault/team-a"))
    code, doc = plan_json(edge)
    assert code == 1
    assert any("secret.vault/team-a: secret manager ids must start with '<manager>/reconcile-'" in e
               for e in doc["errors"]), doc["errors"]


def test_dump_round_trips_and_holds_no_token(applied_sp: Edge) -> None:
    edge = applied_sp
    out = edge.root / "dumped"
    result = edge.cli("dump", "--out", str(out))
    assert result.exit_code == 0, result.output
    outputs_hold_no_secret(result.output)
    files = {p.name: p.read_text() for p in out.iterdir()}
    outputs_hold_no_secret(*files.values())
    secrets = yaml.safe_load(files["apisix-secrets.yaml"])["apisix"]["secrets"]
    vault = next(s for s in secrets if s["id"] == "vault/reconcile-team-a")
    name = vault["token"].removeprefix("${env:").removesuffix("}")
    assert vault["token"] == f"${{env:{name}}}" and name in files["secrets.env.example"]
    protos = yaml.safe_load(files["apisix-protos.yaml"])["apisix"]["protos"]
    assert protos == [{"id": "greeter", "content": PROTO, "labels": {"team": "a"}}]
    live = {("secret.vault/reconcile-team-a", "token"): VAULT_CANARY,
            ("secret.aws/reconcile-team-a", "secret_access_key"): AWS_CANARY,
            ("secret.aws/reconcile-team-a", "access_key_id"): "AKIAEXAMPLE",
            ("consumer.alice", "plugins.key-auth.key"): KEY_CANARY}
    lines = files["secrets.env.example"].splitlines()
    values = {}
    for comment, assignment in itertools.pairwise(lines):
        if comment.startswith("# ") and assignment.endswith("="):
            address, _, path = comment[2:].partition(": ")
            values[assignment[:-1]] = live[(address, path)]
    assert len(values) == len(live)
    again = edge.cli("plan", str(out), "--detailed-exitcode", env=values)
    assert again.exit_code == 0, again.output


def test_the_vault_token_is_in_no_output_of_any_command(edge: Edge, caplog: pytest.LogCaptureFixture) -> None:
    """Every command and format, and the saved plan file, while the token does reach the server."""
    caplog.set_level("DEBUG")
    write_all(edge)
    plan_file = edge.root / "plan.json"
    texts = [edge.cli("validate", str(edge.desired)).output]
    for fmt in ("text", "json", "markdown"):
        texts.append(edge.cli("plan", str(edge.desired), "--output", fmt).output)
    saved = edge.cli("plan", str(edge.desired), "--out", str(plan_file))
    assert saved.exit_code == 0, saved.output
    texts += [saved.output, plan_file.read_text()]
    applied = edge.cli("apply", str(plan_file), "--auto-approve", "--output", "json")
    assert applied.exit_code == 0, applied.output
    texts.append(applied.output)
    for fmt in ("text", "json", "markdown"):
        texts.append(edge.cli("drift", str(edge.desired), "--output", fmt).output)
    assert edge.apisix("GET", "/secrets/vault/reconcile-team-a").json()["value"]["token"] == VAULT_CANARY
    outputs_hold_no_secret(*texts, caplog.text)


def test_secrets_out_holds_the_vault_token_and_plans_empty(applied_sp: Edge) -> None:
    """``dump --secrets-out``: secret-manager values (read back in plaintext, spec §6) go into the
    0600 dotenv file under the placeholders' names, and nowhere else."""
    edge = applied_sp
    out, secrets = edge.root / "dumped", edge.root / "dumped" / "live.env"
    result = edge.cli("dump", "--out", str(out), "--secrets-out", str(secrets))
    assert result.exit_code == 0, result.output
    outputs_hold_no_secret(result.output, *(p.read_text() for p in out.iterdir() if p != secrets))
    env = dict(line.split("=", 1) for line in secrets.read_text().splitlines() if line and line[0] != "#")
    assert set(env.values()) == {VAULT_CANARY, AWS_CANARY, "AKIAEXAMPLE", KEY_CANARY}
    again = edge.cli("plan", str(out), "--detailed-exitcode", env=env)
    assert again.exit_code == 0, again.output


def test_legacy_apisix_stored_defaults_neither_flap_nor_reach_a_dump(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """APISIX ≤3.13 stores the defaults its validator fills (aws ``region``, gcp ``ssl_verify`` and
    ``auth_config`` URIs): the registry's core defaults for secrets keep them out of plans and dumps."""
    monkeypatch.chdir(tmp_path)
    with Sandbox(real_hydra=False, apisix_version="3.13.0") as box:
        edge = make_edge(box, tmp_path)
        edge.write("apisix:\n  secrets:\n    - id: aws/reconcile-x\n      access_key_id: AKIAEXAMPLE\n"
                   "      secret_access_key: ${env:AWS_SECRET}\n    - id: gcp/reconcile-y\n      auth_config:\n"
                   "        client_email: a@example.com\n        private_key: ${env:AWS_SECRET}\n"
                   "        project_id: p\n")
        edge.env["AWS_SECRET"] = AWS_CANARY
        assert edge.cli("apply", str(edge.desired), "--auto-approve").exit_code == 0
        stored = edge.apisix("GET", "/secrets/gcp/reconcile-y").json()["value"]
        assert stored["ssl_verify"] is True and "token_uri" in stored["auth_config"]  # the defaults are there
        assert edge.apisix("GET", "/secrets/aws/reconcile-x").json()["value"]["region"] == "us-east-1"
        again = edge.cli("plan", str(edge.desired), "--detailed-exitcode")
        assert again.exit_code == 0, again.output
        out = tmp_path / "dumped"
        assert edge.cli("dump", "--out", str(out), "--system", "apisix").exit_code == 0
        dumped = yaml.safe_load((out / "apisix-secrets.yaml").read_text())["apisix"]["secrets"]
        assert "region" not in dumped[0] and "ssl_verify" not in dumped[1]
        assert set(dumped[1]["auth_config"]) == {"client_email", "private_key", "project_id"}
