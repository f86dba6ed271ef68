"""The template steps that decide pass or fail, executed.

Each GitHub step and GitLab script is run unchanged, under the shell its CI uses: first with a
stand-in ``reconcile`` that exits 0, 1 or 2 (so "exit 2 fails the drift job" is observed, not
assumed), then with the real CLI against the sandbox (plan, apply the saved plan, re-plan, a
stale plan refused; and ``make drift-demo``).
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from reconciler.sandbox.runner import Sandbox

from .templates import (
    APPLY_WF,
    DOCS,
    DRIFT_WF,
    GH_SHELL,
    HOOKS,
    PLAN_WF,
    ROOT,
    github_steps,
    gitlab_jobs,
    load,
    run_script,
    step_by_id,
)


@pytest.fixture
def fake_reconcile(tmp_path: Path) -> Path:
    """A ``reconcile`` on PATH that records its arguments, prints Markdown and exits $FAKE_EXIT
    (``validate``, which has no exit 2, passes)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "reconcile"
    fake.write_text('#!/bin/sh\necho "$@" >> "$FAKE_LOG"\n[ "$1" = validate ] && exit 0\n'
                    'echo "## report from $1"\nexit "${FAKE_EXIT:-0}"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    return tmp_path


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


def _real_validate_env(tmp_path: Path) -> dict[str, str]:
    """The real CLI first on PATH, and none of the desired state's secrets in the environment."""
    (tmp_path / "desired-state").mkdir(exist_ok=True)
    for src in (ROOT / "desired-state").glob("*.yaml"):
        (tmp_path / "desired-state" / src.name).write_text(src.read_text())
    return {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "RECONCILE_CACHE": "off"}


def _without_secrets(script: str) -> str:
    return "unset PHOTO_BACKUP_CLIENT_SECRET PHOTO_BACKUP_SESSION_SECRET\n" + script


@pytest.mark.parametrize("where", ["github-plan", "gitlab", "pre-commit"])
def test_the_validate_jobs_pass_on_a_state_with_secrets_and_no_values(tmp_path: Path, where: str) -> None:
    """Forks' pull requests, GitLab's validate stage and a laptop's hook get no secrets, by design."""
    if where == "github-plan":
        script = next(s["run"] for job, s in github_steps(PLAN_WF) if job == "validate" and "run" in s
                      and "reconcile" in s["run"])
        shell = GH_SHELL
    elif where == "gitlab":
        script, shell = "\n".join(gitlab_jobs()["validate"]["script"]), ["bash", "-eo", "pipefail"]
    else:
        hook = load(HOOKS)[0]
        script, shell = hook["entry"] + " desired-state", ["sh", "-e"]
    extra = _real_validate_env(tmp_path)
    rc, files = run_script(_without_secrets(script), tmp_path, 0, shell, extra)
    assert rc == 0, files
    # and the same state with a value that breaks a rule still fails: values present are checked
    rc, files = run_script(script, tmp_path, 0, shell, {**extra, "PHOTO_BACKUP_CLIENT_SECRET": "short"})
    assert rc == 1 and "client_secret: String should have at least 6 characters" in files["stderr"], files


def test_the_plan_jobs_validate_with_every_secret_value(tmp_path: Path) -> None:
    """The jobs that hold the secrets check them before planning: a missing one fails the job."""
    extra = _real_validate_env(tmp_path)
    scripts = [s["run"] for wf in (PLAN_WF, APPLY_WF) for job, s in github_steps(wf)
               if job == "plan" and "--require-secrets" in s.get("run", "")]
    scripts += [line for line in gitlab_jobs()["plan"]["script"] if "--require-secrets" in line]
    assert len(scripts) == 3
    for script in scripts:
        rc, files = run_script(_without_secrets(script), tmp_path, 0, GH_SHELL, extra)
        assert rc == 1 and "'PHOTO_BACKUP_SESSION_SECRET' is not set" in files["stderr"], files
        secrets = {"PHOTO_BACKUP_CLIENT_SECRET": "a-client-secret", "PHOTO_BACKUP_SESSION_SECRET": "s" * 32}
        rc, files = run_script(script, tmp_path, 0, GH_SHELL, {**extra, **secrets})
        assert rc == 0, files
