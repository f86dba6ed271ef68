"""The CI and deployment templates: lint them, and hold their commands to the real command line.

No CI service runs here, so the templates are checked as far as this machine allows: every file
passes yamllint (``tests/ci/yamllint.yaml``); every ``reconcile`` command line found in them, or
in ``docs/gitops.md``, names a registered sub-command and only options that sub-command has
(a command not registered yet fails the test); schedules are valid cron; the apply jobs wait on
an environment; and the shell steps that decide pass or fail are *run* with a stand-in
``reconcile`` that exits 0, 1 or 2, so "exit 2 fails the drift job" is observed, not assumed.
"""

from __future__ import annotations

import os
import re
import shlex
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import yaml
from click.testing import CliRunner
from yamllint import linter  # type: ignore[import-untyped]
from yamllint.config import YamlLintConfig  # type: ignore[import-untyped]

from reconciler.cli import cli
from reconciler.models.desired import DesiredStateFile
from reconciler.sandbox.runner import Sandbox

ROOT = Path(__file__).resolve().parents[2]
GH = ROOT / ".github" / "workflows"
PLAN_WF, APPLY_WF, DRIFT_WF = GH / "reconcile-plan.yml", GH / "reconcile-apply.yml", GH / "reconcile-drift.yml"
GITLAB = ROOT / "examples" / "ci" / "gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PRE_COMMIT = ROOT / "examples" / "ci" / "pre-commit-config.yaml"
CRONJOB = ROOT / "deploy" / "kubernetes" / "drift-cronjob.yaml"
DOCS = ROOT / "docs" / "gitops.md"
TEMPLATES = [PLAN_WF, APPLY_WF, DRIFT_WF, GITLAB, HOOKS, PRE_COMMIT, CRONJOB]
SECRET_NAME = re.compile(r"(KEY|SECRET|TOKEN|PASSWORD)")
OPERATORS = {"|", "||", "&&", ";", "&", "(", ")", ">", ">>", "<", "2>", ">&", "2>&1"}


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def load_all(path: Path) -> list[Any]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]


# --- finding reconcile command lines -------------------------------------------------------------


@dataclass
class Invocation:
    """One ``reconcile <sub> ...`` command line found in a template."""

    where: str
    sub: str | None
    args: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return " ".join(["reconcile", self.sub or "", *self.args])


def invocations(script: str, where: str) -> list[Invocation]:
    """Every ``reconcile`` command in a shell script, up to the next shell operator."""
    found: list[Invocation] = []
    script = script.replace("\\\n", " ")
    for raw in script.splitlines():
        line = raw.strip().removeprefix("$ ")
        if "reconcile" not in line:
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        tokens = list(lexer)
        for i, tok in enumerate(tokens):
            at_command = i == 0 or tokens[i - 1] in OPERATORS or tokens[i - 1] in {"exec", "then", "do"}
            if os.path.basename(tok) != "reconcile" or not at_command:
                continue
            rest: list[str] = []
            for t in tokens[i + 1 :]:
                if t in OPERATORS or set(t) <= set("|&;<>()"):
                    break
                rest.append(t)
            found.append(Invocation(where, rest[0] if rest else None, rest[1:]))
    return found


def github_steps(path: Path) -> list[tuple[str, dict[str, Any]]]:
    wf = load(path)
    return [(job_id, step) for job_id, job in wf["jobs"].items() for step in job.get("steps", [])]


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    """GitLab jobs with ``extends`` resolved (one level, as the template uses)."""
    doc = load(GITLAB)
    jobs: dict[str, dict[str, Any]] = {}
    for name, job in doc.items():
        if name.startswith(".") or not isinstance(job, dict) or "script" not in job:
            continue
        merged = dict(doc[job["extends"]]) if "extends" in job else {}
        merged.update(job)
        jobs[name] = merged
    return jobs


def cronjob_script() -> str:
    cron = next(d for d in load_all(CRONJOB) if d["kind"] == "CronJob")
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    command = container["command"] + container.get("args", [])
    return command[2] if command[:2] in (["/bin/sh", "-c"], ["sh", "-c"]) else shlex.join(command)


def all_invocations() -> list[Invocation]:
    found: list[Invocation] = []
    for wf in (PLAN_WF, APPLY_WF, DRIFT_WF):
        for job_id, step in github_steps(wf):
            found += invocations(step.get("run", ""), f"{wf.name}:{job_id}")
    for name, job in gitlab_jobs().items():
        found += invocations("\n".join(job.get("before_script", []) + job["script"]), f"gitlab-ci:{name}")
    found += invocations(cronjob_script(), "drift-cronjob")
    hook = load(HOOKS)[0]
    consumer = load(PRE_COMMIT)["repos"][0]["hooks"][0]
    found += invocations(shlex.join([*shlex.split(hook["entry"]), *consumer.get("args", [])]), "pre-commit")
    blocks = re.findall(r"```(?:sh|bash|console|shell)\n(.*?)```", DOCS.read_text(), re.S)
    for block in blocks:
        found += invocations(block, "docs/gitops.md")
    return found


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
        command = cli.commands.get(inv.sub or "")
        if command is None:
            errors.append(f"{inv.where}: `{inv.text}`: no registered command {inv.sub!r}")
            continue
        errors += option_errors(command, inv)
    assert errors == [], "\n".join(errors)


def option_errors(command: click.Command, inv: Invocation) -> list[str]:
    """Unknown options, and values outside a Choice, in one invocation."""
    options = {opt: p for p in command.params if isinstance(p, click.Option) for opt in p.opts + p.secondary_opts}
    errors: list[str] = []
    args = iter(inv.args)
    for arg in args:
        if not arg.startswith("-") or arg == "-":
            continue
        name, _, inline = arg.partition("=")
        param = options.get(name)
        if param is None:
            if name not in {"--help", "-h"}:
                errors.append(f"{inv.where}: `{inv.text}`: {name} is not an option of `reconcile {inv.sub}`")
            continue
        if param.is_flag or param.count:
            continue
        value = inline or next(args, "")
        if isinstance(param.type, click.Choice) and value not in param.type.choices:
            errors.append(f"{inv.where}: `{inv.text}`: {value!r} is not a choice of {name}")
    return errors


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


def runs(path: Path, sub: str) -> list[Invocation]:
    return [
        inv for job_id, step in github_steps(path) for inv in invocations(step.get("run", ""), job_id) if inv.sub == sub
    ]


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


# --- the pass/fail logic, executed -----------------------------------------------------------------


@pytest.fixture
def fake_reconcile(tmp_path: Path) -> Path:
    """A ``reconcile`` on PATH that records its arguments, prints Markdown and exits $FAKE_EXIT."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "reconcile"
    fake.write_text('#!/bin/sh\necho "$@" >> "$FAKE_LOG"\necho "## report from $1"\nexit "${FAKE_EXIT:-0}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return tmp_path


def run_script(
    script: str, home: Path, code: int, shell: list[str], extra: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    files = {n: home / n for n in ("summary", "output", "log")}
    for f in files.values():
        f.write_text("")
    env = {
        **os.environ,
        "PATH": f"{home / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "FAKE_EXIT": str(code),
        "FAKE_LOG": str(files["log"]),
        "GITHUB_STEP_SUMMARY": str(files["summary"]),
        "GITHUB_OUTPUT": str(files["output"]),
        "DESIRED_STATE": "desired-state",
        **(extra or {}),
    }
    (home / "step.sh").write_text(script)
    done = subprocess.run([*shell, str(home / "step.sh")], cwd=home, env=env, capture_output=True, text=True, check=False)
    return done.returncode, {**{n: f.read_text() for n, f in files.items()}, "stderr": done.stderr}


GH_SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]


def step_by_id(path: Path, step_id: str) -> dict[str, Any]:
    return next(step for _, step in github_steps(path) if step.get("id") == step_id)


@pytest.mark.parametrize(("code", "fails"), [(0, False), (2, True), (1, True)])
def test_github_drift_step_fails_on_drift_and_error(fake_reconcile: Path, code: int, fails: bool) -> None:
    step = step_by_id(DRIFT_WF, "drift")
    assert step["shell"] == "bash"
    rc, files = run_script(step["run"], fake_reconcile, code, GH_SHELL)
    assert (rc != 0) is fails
    assert "## report from drift" in files["summary"]
    assert f"exit-code={code}" in files["output"]
    assert files["log"].split() == ["drift", "desired-state", "--output", "markdown"]


@pytest.mark.parametrize(("code", "fails", "changes"), [(0, False, "false"), (2, False, "true"), (1, True, None)])
@pytest.mark.parametrize("path", [PLAN_WF, APPLY_WF], ids=lambda p: p.name)
def test_github_plan_step_passes_changes_and_fails_errors(
    fake_reconcile: Path, path: Path, code: int, fails: bool, changes: str | None
) -> None:
    rc, files = run_script(step_by_id(path, "plan")["run"], fake_reconcile, code, GH_SHELL)
    assert (rc != 0) is fails
    assert "## report from plan" in files["summary"]
    if changes is not None:
        assert f"changes={changes}" in files["output"]


@pytest.mark.parametrize(("code", "fails"), [(0, False), (1, True)])
def test_github_apply_step_fails_when_apply_fails(fake_reconcile: Path, code: int, fails: bool) -> None:
    step = next(s for _, s in github_steps(APPLY_WF) if "reconcile apply" in s.get("run", ""))
    rc, files = run_script(step["run"], fake_reconcile, code, GH_SHELL)
    assert (rc != 0) is fails
    assert files["log"].split()[:3] == ["apply", "plan.json", "--auto-approve"]


@pytest.mark.parametrize(
    ("job", "code", "fails"),
    [("drift", 0, False), ("drift", 2, True), ("drift", 1, True), ("plan", 2, False), ("plan", 1, True)],
)
def test_gitlab_scripts_pass_and_fail_as_documented(fake_reconcile: Path, job: str, code: int, fails: bool) -> None:
    script = "\n".join(gitlab_jobs()[job]["script"])
    rc, _ = run_script(script, fake_reconcile, code, ["bash", "-eo", "pipefail"])
    assert (rc != 0) is fails
    assert (fake_reconcile / f"{job}.md").read_text().startswith(f"## report from {job}")


def test_drift_demo_runs_the_drift_step_against_the_sandbox() -> None:
    """``make drift-demo``: the workflow's drift step, run for real, reports drift and exits 2."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "drift_demo.py")], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = done.stdout.split("----- job summary", 1)[1]
    assert "web" in summary and "web-app" in summary and "legacy" in summary, summary


def test_github_plan_and_apply_steps_against_the_sandbox(sandbox: Sandbox, tmp_path: Path) -> None:
    """The plan and apply steps, unchanged, with the real CLI: plan, apply the saved plan, re-plan
    empty; then a plan made stale by a hand edit fails the apply step and changes nothing."""
    (tmp_path / "desired-state").mkdir()
    (tmp_path / "desired-state" / "edge.yaml").write_text(re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), re.S)[0])
    extra = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "HYDRA_ADMIN_URL": sandbox.hydra_admin_url,
        "APISIX_ADMIN_URL": sandbox.apisix_admin_url,
        "APISIX_ADMIN_KEY": sandbox.apisix_admin_key,
        "WEB_APP_CLIENT_SECRET": "a-test-secret-of-some-length",
    }
    plan_step = step_by_id(PLAN_WF, "plan")["run"]
    apply_step = next(s["run"] for _, s in github_steps(APPLY_WF) if "reconcile apply" in s.get("run", ""))

    rc, files = run_script(plan_step, tmp_path, 0, GH_SHELL, extra)
    assert rc == 0 and "changes=true" in files["output"], files
    assert "web-app" in files["summary"] and (tmp_path / "plan.json").is_file()
    rc, files = run_script(apply_step, tmp_path, 0, GH_SHELL, extra)
    assert rc == 0, files
    rc, files = run_script(plan_step, tmp_path, 0, GH_SHELL, extra)
    assert rc == 0 and "changes=false" in files["output"], files

    (tmp_path / "desired-state" / "edge.yaml").write_text(
        (tmp_path / "desired-state" / "edge.yaml").read_text().replace("/app/*", "/application/*")
    )
    rc, files = run_script(plan_step, tmp_path, 0, GH_SHELL, extra)
    assert rc == 0 and "changes=true" in files["output"], files
    route = f"{sandbox.apisix_admin_url}/apisix/admin/routes/web"
    headers = {"X-API-KEY": sandbox.apisix_admin_key}
    httpx.patch(route, headers=headers, json={"desc": "edited by hand"}).raise_for_status()
    rc, files = run_script(apply_step, tmp_path, 0, GH_SHELL, extra)
    assert rc != 0 and "live state changed since the plan was made" in files["stderr"], files
    live = httpx.get(route, headers=headers).json()
    assert live["value"]["uri"] == "/app/*"


# --- cron -----------------------------------------------------------------------------------------

MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
CRON_FIELDS = [(0, 59, []), (0, 23, []), (1, 31, []), (1, 12, MONTHS), (0, 6, DAYS)]


def assert_cron(expr: str) -> None:
    """A five-field cron expression as GitHub and Kubernetes accept it (numbers, names, */n, a-b, lists)."""
    fields = expr.split()
    assert len(fields) == 5, f"{expr!r}: needs 5 fields"
    for text, (lo, hi, names) in zip(fields, CRON_FIELDS, strict=True):
        for part in text.split(","):
            base, _, step = part.partition("/")
            assert not step or (step.isdigit() and int(step) > 0), f"{expr!r}: bad step in {part!r}"
            if base == "*":
                continue
            bounds = base.split("-")
            assert len(bounds) in (1, 2), f"{expr!r}: bad range {base!r}"
            values = [names.index(b.upper()) + lo if b.upper() in names else int(b) if b.isdigit() else -1 for b in bounds]
            assert all(lo <= v <= hi for v in values), f"{expr!r}: {base!r} outside {lo}-{hi}"
            assert values == sorted(values), f"{expr!r}: reversed range {base!r}"


@pytest.mark.parametrize("bad", ["* * * *", "60 * * * *", "0 24 * * *", "0 0 0 * *", "*/0 * * * *", "5-1 * * * *"])
def test_cron_checker_rejects_bad_expressions(bad: str) -> None:
    with pytest.raises(AssertionError):
        assert_cron(bad)
