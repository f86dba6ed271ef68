"""The ``reconcile`` engine end to end on a real Ory Hydra v2.3.0 (``bin/hydra``).

The emulator is our reading of Hydra; these tests run the whole pipeline through the CLI
against the real server: the examples converge, hand-made drift is found to the field and
repaired, YAML edits round-trip (lifespans come back in Go's form), prune touches only what
this selector owns, a client made with ``hydra create oauth2-client`` is adopted, paging holds
over 1,100 clients, and a rotated secret is proven with real token requests.  Every test ends by
checking that no secret value reached stdout or stderr of any command it ran.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.realhydra import RealHydra, repo_root

from .real_hydra_helpers import (
    FULL_YAML,
    HAND_EDITS,
    LIFESPANS,
    N_CLIENTS,
    N_WITH_SECRET,
    Operator,
    Outcome,
    bulk_yaml,
    hydra_cli,
    rsa_jwk,
    team_a,
)
from .tokens import request_token, secret_works

pytestmark = [pytest.mark.real_hydra, pytest.mark.timeout(600)]

ROOT = repo_root()
EXAMPLE_SECRETS = {
    "PHOTO_BACKUP_CLIENT_SECRET": "canary-photo-backup-5d1e",
    "RICH_PHOTO_WEB_SECRET": "canary-photo-web-77b2",
    "RICH_REPORTING_SECRET": "canary-reporting-c3a0",
}


@pytest.fixture
def op(real_hydra: RealHydra, tmp_path: Path) -> Iterator[Operator]:
    """An operator on a fresh real Hydra; on teardown, no secret may show in any output."""
    operator = Operator(real_hydra, tmp_path)
    yield operator
    assert operator.transcript, "the test ran no reconcile command"
    assert operator.leaks() == []


def changed_paths(outcome_json: dict[str, object], address: str) -> list[str]:
    """The diff paths of one change in a JSON plan."""
    changes = outcome_json["changes"]
    assert isinstance(changes, list)
    [change] = [c for c in changes if c["address"] == address]
    return [d["path"] for d in change["diff"]]


# --- the examples --------------------------------------------------------------------------


def test_example_clients_apply_and_replan_empty(op: Operator) -> None:
    for name, value in EXAMPLE_SECRETS.items():
        op.set_secret(name, value)
    op.copy_in(ROOT / "desired-state" / "hydra-clients.yaml")
    op.copy_in(ROOT / "examples" / "rich" / "hydra-clients.yaml", "rich-clients.yaml")

    first = op.run("plan", "--detailed-exitcode", "--output", "json")
    assert first.code == 2, first.output
    assert first.json()["summary"]["create"] == 4

    applied = op.must("apply", "--auto-approve")
    assert "4 applied, 0 failed, 0 skipped" in applied.stdout

    replan = op.run("plan", "--detailed-exitcode")
    assert (replan.code, replan.stderr) == (0, ""), replan.output
    assert "No changes." in replan.stdout
    assert op.run("drift").code == 0

    assert sorted(op.client_ids()) == ["facebook-photo-backup", "photo-web", "reporting-batch", "reports-api"]
    web = op.get_client("photo-web")
    assert web is not None
    assert web["authorization_code_grant_access_token_lifespan"] == "30m0s"
    assert web["authorization_code_grant_refresh_token_lifespan"] == "720h0m0s"
    assert web["metadata"]["team"] == "photo" and web["metadata"]["reconcile"]["labels"] == {"managed-by": "reconcile"}
    # The secrets from the environment really authenticate on the public port.
    public = op.hydra.public_url
    assert secret_works(public, "facebook-photo-backup", EXAMPLE_SECRETS["PHOTO_BACKUP_CLIENT_SECRET"])
    assert secret_works(public, "reports-api", EXAMPLE_SECRETS["RICH_REPORTING_SECRET"])
    post = request_token(public, "reporting-batch", EXAMPLE_SECRETS["RICH_REPORTING_SECRET"],
                         method="client_secret_post")
    assert post.status_code == 200, post.text

    # Someone edits the user metadata by hand and keeps ours: the plan names that one key.
    op.put_client("photo-web", {**web, "metadata": {**web["metadata"], "tier": "silver"}})
    drifted = op.run("plan", "--detailed-exitcode", "--output", "json")
    assert drifted.code == 2, drifted.output
    assert changed_paths(drifted.json(), "oauth2_client.photo-web") == ["metadata.tier"]
    op.must("apply", "--auto-approve")
    assert op.run("plan", "--detailed-exitcode").code == 0
    assert secret_works(public, "reports-api", EXAMPLE_SECRETS["RICH_REPORTING_SECRET"])


# --- drift ---------------------------------------------------------------------------------

DRIFT_YAML = """\
hydra:
  clients:
    - client_id: web
      client_name: Web
      client_secret: ${env:WEB_SECRET}
      grant_types: [authorization_code, refresh_token]
      response_types: [code]
      scope: openid offline
      redirect_uris: [http://127.0.0.1:9080/callback]
"""


def test_hand_made_drift_is_shown_to_the_field_and_repaired(op: Operator) -> None:
    op.set_secret("WEB_SECRET", "canary-web-secret-41f9")
    op.write(DRIFT_YAML)
    op.must("apply", "--auto-approve")

    # An operator edits the redirect URI and keeps the rest (metadata included).
    live = op.get_client("web")
    assert live is not None
    op.put_client("web", {**live, "redirect_uris": ["http://127.0.0.1:9080/evil"]})
    plan = op.run("plan", "--detailed-exitcode", "--output", "json")
    assert plan.code == 2, plan.output
    assert plan.json()["summary"] == {"create": 0, "update": 1, "delete": 0, "noop": 0, "unmanaged": 0}
    assert changed_paths(plan.json(), "oauth2_client.web") == ["redirect_uris[0]"]
    text = op.run("plan")
    assert '~ redirect_uris[0]: "http://127.0.0.1:9080/evil" -> "http://127.0.0.1:9080/callback"' in text.stdout
    drift = op.run("drift", "--output", "json")
    assert drift.code == 2, drift.output
    [finding] = drift.json()["findings"]
    assert (finding["finding"], finding["address"]) == ("modified", "oauth2_client.web")
    assert [d["path"] for d in finding["diff"]] == ["redirect_uris[0]"]
    op.must("apply", "--auto-approve")
    assert op.run("plan", "--detailed-exitcode").code == 0
    repaired = op.get_client("web")
    assert repaired is not None and repaired["redirect_uris"] == ["http://127.0.0.1:9080/callback"]


@pytest.mark.parametrize("how", ["plain-put", "hydra-cli-update"])
def test_full_replace_that_wipes_metadata_is_a_conflict_until_adopted(op: Operator, how: str) -> None:
    op.set_secret("WEB_SECRET", "canary-web-secret-41f9")
    op.write(DRIFT_YAML)
    op.must("apply", "--auto-approve")

    # A whole new body without our metadata, so Hydra stores metadata as {}.
    if how == "plain-put":
        live = op.get_client("web")
        assert live is not None
        body = {k: v for k, v in live.items() if k != "metadata"}
        replaced = op.put_client("web", {**body, "redirect_uris": ["http://127.0.0.1:9080/evil"]})
        extra_paths: list[str] = []
    else:  # the real CLI also sends its own defaults (request_object_signing_alg RS256)
        replaced = hydra_cli(op.hydra.admin_url, "update", "oauth2-client", "web", "--name", "Web",
                             "--grant-type", "authorization_code,refresh_token", "--response-type", "code",
                             "--scope", "openid,offline", "--redirect-uri", "http://127.0.0.1:9080/evil")
        assert replaced["request_object_signing_alg"] == "RS256"
        extra_paths = ["request_object_signing_alg"]
    assert replaced["metadata"] == {}

    drift = op.run("drift", "--output", "json")
    assert drift.code == 2, drift.output
    [finding] = drift.json()["findings"]
    assert (finding["finding"], finding["address"]) == ("conflict", "oauth2_client.web")
    assert "no managed-by=reconcile marker" in finding["reason"]
    plan = op.run("plan", "--detailed-exitcode")
    assert plan.code == 1 and "oauth2_client.web exists but is not managed" in plan.output
    assert "No changes" not in plan.stdout
    refused = op.run("apply", "--auto-approve")
    assert refused.code == 1 and "nothing was applied" in refused.output

    adopt = op.run("plan", "--adopt", "--output", "json")
    assert adopt.code == 0, adopt.output
    [change] = adopt.json()["changes"]
    assert change["action"] == "update" and "adopted" in change["reason"]
    # The fingerprint went with the metadata, so the secret is sent again.
    # Adoption adds our ownership labels, as it does for an APISIX object.
    assert changed_paths(adopt.json(), "oauth2_client.web") == [
        "client_secret", "metadata.reconcile.labels", "redirect_uris[0]", *extra_paths]
    op.must("apply", "--adopt", "--auto-approve")
    assert op.run("plan", "--detailed-exitcode").code == 0
    assert op.run("drift").code == 0
    restored = op.get_client("web")
    assert restored is not None
    assert restored["redirect_uris"] == ["http://127.0.0.1:9080/callback"]
    assert restored["metadata"]["reconcile"]["labels"] == {"managed-by": "reconcile"}
    assert restored["metadata"]["reconcile"]["secret"].startswith("pbkdf2-sha256$")
    assert "request_object_signing_alg" not in restored


# --- update --------------------------------------------------------------------------------

UPDATE_YAML = """hydra:
  clients:
    - client_id: batch
      client_name: Batch job
      client_secret: ${env:BATCH_SECRET}
      grant_types: [client_credentials]
      scope: reports.read
      client_credentials_grant_access_token_lifespan: 30m
"""


def test_yaml_edits_apply_and_lifespans_come_back_in_go_form(op: Operator) -> None:
    op.set_secret("BATCH_SECRET", "canary-batch-secret-9a2c")
    op.write(UPDATE_YAML)
    op.must("apply", "--auto-approve")
    live = op.get_client("batch")
    assert live is not None and live["client_credentials_grant_access_token_lifespan"] == "30m0s"

    op.write(UPDATE_YAML.replace("Batch job", "Nightly batch").replace("reports.read", "reports.read reports.write")
             .replace("lifespan: 30m", "lifespan: 1h"))
    plan = op.run("plan", "--detailed-exitcode", "--output", "json")
    assert plan.code == 2, plan.output
    assert changed_paths(plan.json(), "oauth2_client.batch") == [
        "client_credentials_grant_access_token_lifespan", "client_name", "scope"]
    op.must("apply", "--auto-approve")
    replan = op.run("plan", "--detailed-exitcode")
    assert replan.code == 0 and "No changes." in replan.stdout, replan.output

    updated = op.get_client("batch")
    assert updated is not None
    assert updated["client_credentials_grant_access_token_lifespan"] == "1h0m0s"
    assert (updated["client_name"], updated["scope"]) == ("Nightly batch", "reports.read reports.write")
    # The secret was not in the update and still works.
    token = request_token(op.hydra.public_url, "batch", "canary-batch-secret-9a2c", scope="reports.write")
    assert token.status_code == 200, token.text


def test_lifespans_in_any_go_spelling_apply_and_replan_empty(op: Operator) -> None:
    lines = ["hydra:", "  clients:"]
    for i, (written, _) in enumerate(LIFESPANS):
        lines += [f"    - client_id: life-{i}", "      grant_types: [client_credentials]", "      scope: read",
                  f'      client_credentials_grant_access_token_lifespan: "{written}"']
    op.write("\n".join(lines) + "\n")
    op.must("apply", "--auto-approve")
    replan = op.run("plan", "--detailed-exitcode")
    assert replan.code == 0 and "No changes." in replan.stdout, replan.output
    stored = []
    for i in range(len(LIFESPANS)):
        live = op.get_client(f"life-{i}")
        assert live is not None
        stored.append(live["client_credentials_grant_access_token_lifespan"])
    assert stored == [go for _, go in LIFESPANS]


def test_every_client_field_converges_and_each_hand_edit_is_named(op: Operator) -> None:
    op.set_secret("FULL_SECRET", "canary-full-secret-0d4b")
    op.write(FULL_YAML.replace("JWK", json.dumps(rsa_jwk())))
    op.must("apply", "--auto-approve")
    replan = op.run("plan", "--detailed-exitcode")
    assert replan.code == 0 and "No changes." in replan.stdout, replan.output
    assert op.run("drift").code == 0

    original = op.get_client("web-full")
    assert original is not None
    wrong: dict[str, list[str]] = {}
    for name, value in HAND_EDITS:
        edited = {**original, name: value}
        if name == "metadata":
            edited["metadata"] = {**value, "reconcile": original["metadata"]["reconcile"]}  # type: ignore[dict-item]
        op.put_client("web-full", edited)
        plan = op.run("plan", "--detailed-exitcode", "--output", "json")
        paths = changed_paths(plan.json(), "oauth2_client.web-full") if plan.code == 2 else []
        if not paths or any(p != name and not p.startswith((name + "[", name + ".")) for p in paths):
            wrong[name] = paths
        op.put_client("web-full", original)
    assert wrong == {}

    # Someone swaps the inline signing key: the plan names it under jwks.
    other_key = {"keys": [rsa_jwk()]}
    jwt_client = op.get_client("jwt-client")
    assert jwt_client is not None
    op.put_client("jwt-client", {**jwt_client, "jwks": other_key})
    plan = op.run("plan", "--detailed-exitcode", "--output", "json")
    assert plan.code == 2 and changed_paths(plan.json(), "oauth2_client.jwt-client")
    assert all(p.startswith("jwks.") for p in changed_paths(plan.json(), "oauth2_client.jwt-client"))
    op.must("apply", "--auto-approve")
    assert op.run("plan", "--detailed-exitcode").code == 0


# --- prune ---------------------------------------------------------------------------------

def test_prune_deletes_only_what_this_selector_owns(op: Operator) -> None:
    op.write(team_a("a-keep", "a-drop"))
    op.must("apply", "--selector", "team=a", "--auto-approve")
    dropped = op.get_client("a-drop")
    assert dropped is not None
    assert dropped["metadata"]["reconcile"]["labels"] == {"managed-by": "reconcile", "team": "a"}
    op.post_client({"client_id": "hand-made", "grant_types": ["client_credentials"]})
    op.post_client({"client_id": "team-b-client", "grant_types": ["client_credentials"],
                    "metadata": {"reconcile": {"labels": {"managed-by": "reconcile", "team": "b"}}}})

    op.write(team_a("a-keep"))
    plan = op.run("plan", "--prune", "--selector", "team=a", "--output", "json")
    assert plan.code == 0, plan.output
    doc = plan.json()
    assert [(c["address"], c["action"]) for c in doc["changes"]] == [("oauth2_client.a-drop", "delete")]
    assert {u["key"]: u["reason"] for u in doc["unmanaged"]} == {
        "hand-made": "no managed-by=reconcile marker",
        "team-b-client": "managed by reconcile outside this selector (lacks team=a)",
    }

    drift = op.run("drift", "--selector", "team=a", "--output", "json")
    assert drift.code == 2, drift.output
    assert [(f["finding"], f["address"]) for f in drift.json()["findings"]] == [("orphaned", "oauth2_client.a-drop")]
    applied = op.must("apply", "--prune", "--selector", "team=a", "--auto-approve")
    assert "1 applied, 0 failed, 0 skipped" in applied.stdout
    assert op.get_client("a-drop") is None
    assert op.get_client("a-keep") is not None
    assert op.get_client("hand-made") is not None
    assert op.get_client("team-b-client") is not None
    replan = op.run("plan", "--prune", "--selector", "team=a", "--detailed-exitcode")
    assert replan.code == 0, replan.output
    assert op.run("drift", "--selector", "team=a").code == 0


# --- adoption ------------------------------------------------------------------------------

ADOPT_YAML = """hydra:
  clients:
    - client_id: adopted-client
      client_name: x
      grant_types: [client_credentials]
      scope: offline_access offline openid   # what Hydra filled in for the CLI's empty scope
"""


def test_a_client_made_with_the_hydra_cli_is_adopted(op: Operator) -> None:
    made = hydra_cli(op.hydra.admin_url, "create", "oauth2-client", "--id", "adopted-client", "--name", "x",
                     "--grant-type", "client_credentials", "--secret", "handmade-secret-1")
    op.secrets.add("handmade-secret-1")
    assert made["client_id"] == "adopted-client"
    assert made["request_object_signing_alg"] == "RS256"
    op.write(ADOPT_YAML)

    refused = op.run("plan", "--detailed-exitcode")
    assert refused.code == 1
    assert "oauth2_client.adopted-client exists but is not managed by this run" in refused.output
    assert "--adopt" in refused.output
    assert "No changes" not in refused.stdout, "a plan with errors must not claim the servers match"

    plan = op.run("plan", "--adopt", "--detailed-exitcode", "--output", "json")
    assert plan.code == 2, plan.output
    [change] = plan.json()["changes"]
    assert (change["address"], change["action"], change["reason"]) == (
        "oauth2_client.adopted-client", "update", "adopted")
    # The CLI's defaults that the YAML does not declare are shown as removed, nothing else differs
    # (its scope order, skip_logout_consent false and the empty metadata are not differences).
    # Adoption adds our ownership labels, as it does for an APISIX object.
    assert [(d["op"], d["path"], d["old"]) for d in change["diff"]] == [
        ("add", "metadata.reconcile.labels", None),
        ("remove", "request_object_signing_alg", "RS256"), ("remove", "response_types", ["code"])]

    op.must("apply", "--adopt", "--auto-approve")

    replan = op.run("plan", "--detailed-exitcode")
    assert replan.code == 0 and "No changes." in replan.stdout, replan.output
    assert op.run("drift").code == 0
    adopted = op.get_client("adopted-client")
    assert adopted is not None
    assert adopted["metadata"] == {"reconcile": {"labels": {"managed-by": "reconcile"}}}
    assert "request_object_signing_alg" not in adopted and adopted["response_types"] == []
    # No secret is declared, so the hand-made one is left alone and still works.
    assert secret_works(op.hydra.public_url, "adopted-client", "handmade-secret-1")


# --- odd ids and secrets --------------------------------------------------------------------

#: Client ids Hydra accepts that need care in a URL path: reserved characters, a percent sign,
#: non-ASCII, and the dot-segments "." and ".." that an HTTP client would otherwise resolve away.
ODD_IDS = ["svc:one", "svc with space", "svc?q=1", "svc#frag", "svc%41", "svc-ü", "svc+plus", "svc;semi",
           "svc\\back", ".", "..", "..."]
ODD_SECRET = 'päss:wörd/%20&+ "q"'


def test_odd_ids_and_secret_characters_go_through_create_update_and_prune(op: Operator) -> None:
    op.set_secret("ODD_SECRET", ODD_SECRET)

    def desired(ids: list[str], name: str) -> str:
        return "hydra:\n  clients:\n" + "".join(
            f"    - client_id: {json.dumps(cid)}\n      client_name: {name}\n"
            f"      grant_types: [client_credentials]\n      scope: read\n"
            f"      client_secret: ${{env:ODD_SECRET}}\n" for cid in ids)

    op.write(desired(ODD_IDS, "first"))
    op.must("apply", "--auto-approve")
    assert op.run("plan", "--detailed-exitcode").code == 0
    assert sorted(op.client_ids()) == sorted(ODD_IDS)
    assert all(secret_works(op.hydra.public_url, cid, ODD_SECRET) for cid in ODD_IDS)

    op.write(desired(ODD_IDS, "second"))
    updated = op.must("apply", "--auto-approve")
    assert f"{len(ODD_IDS)} applied, 0 failed" in updated.stdout
    assert op.run("plan", "--detailed-exitcode").code == 0
    assert {c["client_name"] for c in op.clients()} == {"second"}

    op.write(desired(["keep"], "keep"))
    pruned = op.must("apply", "--prune", "--auto-approve")
    assert f"{len(ODD_IDS) + 1} applied, 0 failed" in pruned.stdout
    assert op.client_ids() == ["keep"]


# --- paging --------------------------------------------------------------------------------

def test_paging_over_1100_clients_through_the_engine(op: Operator) -> None:
    for i in range(N_WITH_SECRET):
        op.set_secret(f"BULK_SECRET_{i}", f"canary-bulk-secret-{i}-e81d")
    op.write(bulk_yaml())

    applied = op.must("apply", "--parallelism", "8", "--auto-approve", "--output", "json")
    events = [json.loads(line) for line in applied.stdout.splitlines() if line.strip()]
    outcomes = [e.get("outcome") for e in events if e.get("action") == "create"]
    assert outcomes.count("applied") == N_CLIENTS, applied.output[-2000:]
    assert len(op.client_ids()) == N_CLIENTS

    replan = op.run("plan", "--detailed-exitcode", "--output", "json")
    assert replan.code == 0, replan.output[-2000:]
    doc = replan.json()
    assert doc["summary"] == {"create": 0, "update": 0, "delete": 0, "noop": N_CLIENTS, "unmanaged": 0}
    assert doc["complete"] is True and doc["changes"] == []
    assert secret_works(op.hydra.public_url, "secret-3", "canary-bulk-secret-3-e81d")


# --- secret rotation -----------------------------------------------------------------------

ROTATE_YAML = """hydra:
  clients:
    - client_id: svc
      client_name: Service
      client_secret: ${env:SVC_SECRET}
      grant_types: [client_credentials]
      scope: read
"""


def test_rotated_secret_works_and_the_old_one_fails(op: Operator) -> None:
    old, new = "canary-old-secret-2b7e", "canary-new-secret-f04c"
    op.set_secret("SVC_SECRET", old)
    op.write(ROTATE_YAML)
    op.must("apply", "--auto-approve")
    public = op.hydra.public_url
    assert secret_works(public, "svc", old)
    assert op.run("plan", "--detailed-exitcode").code == 0

    op.set_secret("SVC_SECRET", new)
    plan = op.run("plan", "--detailed-exitcode")
    assert plan.code == 2, plan.output
    assert "~ oauth2_client.svc (secret rotated)" in plan.stdout
    assert "(sensitive value)" in plan.stdout
    as_json = op.run("plan", "--output", "json")
    [change] = as_json.json()["changes"]
    assert change["reason"] == "secret rotated"
    assert changed_paths(as_json.json(), "oauth2_client.svc") == ["client_secret"]
    drift = op.run("drift", "--output", "json")
    assert drift.code == 2, drift.output
    [finding] = drift.json()["findings"]
    assert (finding["finding"], [d["path"] for d in finding["diff"]]) == ("modified", ["client_secret"])
    assert secret_works(public, "svc", old), "planning must not write"

    op.must("apply", "--auto-approve")
    assert secret_works(public, "svc", new)
    assert not secret_works(public, "svc", old)
    assert op.run("plan", "--detailed-exitcode").code == 0
    live = op.get_client("svc")
    assert live is not None and "client_secret" not in live
    fingerprint = live["metadata"]["reconcile"]["secret"]
    assert fingerprint.startswith("pbkdf2-sha256$") and new not in fingerprint and old not in fingerprint
    # The teardown canary is a real check: a transcript holding the value is reported.
    probe = Operator(op.hydra, op.root, secrets={new}, transcript=[Outcome(("plan",), 0, f"x={new}", "")])
    assert probe.leaks() == [f"plan: {new}"]


def test_rotation_through_a_saved_plan_refuses_a_different_secret(op: Operator) -> None:
    old, new, other = "canary-saved-old-6c1a", "canary-saved-new-93de", "canary-saved-other-27f5"
    op.set_secret("SVC_SECRET", old)
    op.write(ROTATE_YAML)
    op.must("apply", "--auto-approve")
    saved = op.root / "plan.json"

    op.set_secret("SVC_SECRET", new)
    planned = op.must("plan", "--out", str(saved))
    assert "(secret rotated)" in planned.stdout
    assert all(value not in saved.read_text() for value in (old, new))

    op.set_secret("SVC_SECRET", other)  # the environment changed between plan and apply
    stale = op.run_args("apply", str(saved), "--auto-approve")
    assert stale.code == 1 and "no longer matches its fingerprint" in stale.output
    public = op.hydra.public_url
    assert (secret_works(public, "svc", old), secret_works(public, "svc", other)) == (True, False)

    op.set_secret("SVC_SECRET", new)
    op.must_args("apply", str(saved), "--auto-approve")
    assert (secret_works(public, "svc", new), secret_works(public, "svc", old)) == (True, False)
    assert op.run("plan", "--detailed-exitcode").code == 0
