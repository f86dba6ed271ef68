"""The CI and deployment templates, statically: lint, commands against the real CLI, shapes, secrets.

No CI service runs here, so the templates are checked as far as this machine allows: every file
passes yamllint (``tests/ci/yamllint.yaml``); every ``reconcile`` command line found in them, or
in ``docs/gitops.md``, names a registered sub-command and only options that sub-command has
(a command not registered yet fails the test); schedules are valid cron; the apply jobs wait on
an environment; secrets come from the CI's secret store.  ``test_template_steps.py`` runs the
steps that decide pass or fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner
from yamllint import linter  # type: ignore[import-untyped]
from yamllint.config import YamlLintConfig  # type: ignore[import-untyped]

from reconciler.cli import cli
from reconciler.state.models.desired import DesiredStateFile

from .templates import (
    APPLY_WF,
    CRONJOB,
    DOCS,
    DRIFT_WF,
    GITLAB,
    HOOKS,
    PLAN_WF,
    PRE_COMMIT,
    ROOT,
    SECRET_NAME,
    TEMPLATES,
    Invocation,
    all_invocations,
    assert_cron,
    cronjob_script,
    github_steps,
    gitlab_jobs,
    invocations,
    load,
    load_all,
    option_errors,
    runs,
)

# --- lint -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [*TEMPLATES, ROOT / "tests" / "ci" / "yamllint.yaml"], ids=lambda p: p.name)
def test_yamllint_clean(path: Path) -> None:
    conf = YamlLintConfig(file=str(ROOT / "tests" / "ci" / "yamllint.yaml"))
    problems = [f"{p.line}:{p.column} {p.level} {p.desc} ({p.rule})" for p in linter.run(path.read_text(), conf)]
    assert problems == [], f"{path}: {problems}"


# --- commands and flags against the real CLI ------------------------------------------------------


def test_templates_and_docs_use_registered_commands_and_options() -> None:
    found = all_invocations()
    used = {inv.sub for inv in found}
    assert {"validate", "plan", "apply", "drift"} <= used, used
    errors: list[str] = []
    for inv in found:
        command = cli.get_command(click.Context(cli), inv.sub or "")
        if command is None:
            errors.append(f"{inv.where}: `{inv.text}`: no registered command {inv.sub!r}")
            continue
        errors += option_errors(command, inv)
    assert errors == [], "\n".join(errors)


@pytest.mark.parametrize("sub", ["validate", "plan", "apply", "drift"])
def test_documented_commands_answer_help(sub: str) -> None:
    result = CliRunner().invoke(cli, [sub, "--help"])
    assert result.exit_code == 0, f"`reconcile {sub} --help` failed: {result.output}"


def test_option_checker_reports_unknown_options_and_bad_choices() -> None:
    @click.command("fake")
    @click.option("--output", type=click.Choice(["text", "json"]))
    @click.option("--auto-approve", is_flag=True)
    def fake(output: str, auto_approve: bool) -> None:
        """A stand-in command."""

    good = Invocation("x", "fake", ["--output", "json", "--auto-approve", "--output=text"])
    assert option_errors(fake, good) == []
    bad = Invocation("x", "fake", ["--output", "markdown", "--prune", "--output=yaml"])
    assert len(option_errors(fake, bad)) == 3


def test_invocation_parser_finds_commands_and_flags() -> None:
    script = 'code=0\nexec /tmp/venv/bin/reconcile drift "$D" --output markdown > d.md || code=$?\necho reconcile'
    [inv] = invocations(script, "x")
    assert (inv.sub, inv.args) == ("drift", ["$D", "--output", "markdown"])


def test_docs_yaml_examples_are_valid_desired_state() -> None:
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), re.S)
    assert blocks
    for block in blocks:
        DesiredStateFile.model_validate(yaml.safe_load(block))


# --- documented shapes ----------------------------------------------------------------------------


def test_plan_workflow_validates_plans_comments_and_uploads() -> None:
    wf = load(PLAN_WF)
    assert "pull_request" in wf.get("on", wf.get(True))
    assert runs(PLAN_WF, "validate")
    [plan] = runs(PLAN_WF, "plan")
    assert {"--output", "markdown", "--out", "plan.json", "--detailed-exitcode"} <= set(plan.args)
    uses = {step.get("uses", "").split("@")[0]: step for _, step in github_steps(PLAN_WF)}
    assert "plan.json" in uses["actions/upload-artifact"]["with"]["path"]
    assert "createComment" in uses["actions/github-script"]["with"]["script"]
    assert wf["jobs"]["plan"]["permissions"]["pull-requests"] == "write"


def test_apply_workflow_waits_on_the_production_environment() -> None:
    wf = load(APPLY_WF)
    assert wf.get("on", wf.get(True))["push"]["branches"] == ["main"]
    apply_job = wf["jobs"]["apply"]
    env = apply_job["environment"]
    assert (env["name"] if isinstance(env, dict) else env) == "production"
    assert apply_job["needs"] == "plan"
    [apply] = runs(APPLY_WF, "apply")
    assert apply.args[:2] == ["plan.json", "--auto-approve"]
    assert any(step.get("uses", "").startswith("actions/download-artifact") for step in apply_job["steps"])
    assert wf["concurrency"]["cancel-in-progress"] is False


def test_drift_workflow_is_scheduled_and_manual() -> None:
    wf = load(DRIFT_WF)
    on = wf.get("on", wf.get(True))
    assert "workflow_dispatch" in on
    assert on["schedule"], "no schedule"
    for entry in on["schedule"]:
        assert_cron(entry["cron"])
    [drift] = runs(DRIFT_WF, "drift")
    assert drift.args[drift.args.index("--output") + 1] == "markdown"
    job = wf["jobs"]["drift"]
    assert not job.get("continue-on-error") and not any(s.get("continue-on-error") for s in job["steps"])


def test_gitlab_pipeline_has_the_three_jobs() -> None:
    jobs = gitlab_jobs()
    plan_rules = " ".join(r["if"] for r in jobs["plan"]["rules"])
    assert "merge_request_event" in plan_rules
    assert "plan.json" in jobs["plan"]["artifacts"]["paths"] and "expose_as" in jobs["plan"]["artifacts"]
    apply = jobs["apply"]
    assert apply["environment"]["name"] == "production"
    assert all(r.get("when") == "manual" and "CI_DEFAULT_BRANCH" in r["if"] for r in apply["rules"])
    assert {"job": "plan", "artifacts": True} in apply["needs"]
    assert any("schedule" in r["if"] for r in jobs["drift"]["rules"])
    assert "allow_failure" not in jobs["drift"]
    assert all(job["image"] == "python:3.11-slim" for job in jobs.values())


def test_pre_commit_hook_definition() -> None:
    [hook] = load(HOOKS)
    assert hook == hook | {
        "id": "reconcile-validate",
        "entry": "reconcile validate",
        "language": "python",
        "pass_filenames": False,
        "files": "^desired-state/",
    }
    consumer = load(PRE_COMMIT)["repos"][0]
    assert [h["id"] for h in consumer["hooks"]] == ["reconcile-validate"] and consumer["rev"]


def test_cronjob_shape() -> None:
    docs = load_all(CRONJOB)
    cron = next(d for d in docs if d["kind"] == "CronJob")
    spec = cron["spec"]
    assert spec["concurrencyPolicy"] == "Forbid"
    assert_cron(spec["schedule"])
    job = spec["jobTemplate"]["spec"]
    assert {"action": "FailJob", "onExitCodes": {"containerName": "drift", "operator": "In", "values": [2]}} in job[
        "podFailurePolicy"
    ]["rules"]
    pod = job["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    [container] = pod["containers"]
    assert container["image"] == "python:3.11-slim"
    assert container["resources"]["requests"] and container["resources"]["limits"]
    env = {e["name"]: e for e in container["env"]}
    assert env["APISIX_ADMIN_KEY"]["valueFrom"]["secretKeyRef"]["name"]
    assert {"HYDRA_ADMIN_URL", "APISIX_ADMIN_URL"} <= env.keys()
    script = cronjob_script()
    assert "pip install" in script and re.search(r"^exec \S*reconcile drift", script, re.M)
    assert any("git-sync" in c["image"] for c in pod.get("initContainers", [])) or any(
        "configMap" in v for v in pod["volumes"]
    )


# --- secrets never inline -------------------------------------------------------------------------


def test_github_secrets_come_from_the_secrets_context() -> None:
    for path in (PLAN_WF, APPLY_WF, DRIFT_WF):
        wf = load(path)
        envs = [wf.get("env", {})] + [job.get("env", {}) for job in wf["jobs"].values()]
        for env in envs:
            for name, value in env.items():
                if SECRET_NAME.search(name):
                    assert re.fullmatch(r"\$\{\{ secrets\.[A-Z0-9_]+ \}\}", str(value)), f"{path.name}: {name}"
        for job_id, step in github_steps(path):
            assert "${{" not in step.get("run", ""), f"{path.name}:{job_id}: expression inside a run script"


def test_gitlab_and_kubernetes_define_no_secret_values() -> None:
    doc = load(GITLAB)
    blocks = [doc.get("variables", {})] + [j.get("variables", {}) for j in gitlab_jobs().values()]
    assert not [n for b in blocks for n in b if SECRET_NAME.search(n)]
    for d in load_all(CRONJOB):
        assert d["kind"] != "Secret"
    for path in TEMPLATES:
        # The well-known APISIX default admin key must never be pasted into a template.
        assert "edd1c9f034335f136f87ad84b625c8f1" not in path.read_text()


@pytest.mark.parametrize("bad", ["* * * *", "60 * * * *", "0 24 * * *", "0 0 0 * *", "*/0 * * * *", "5-1 * * * *"])
def test_cron_checker_rejects_bad_expressions(bad: str) -> None:
    with pytest.raises(AssertionError):
        assert_cron(bad)
