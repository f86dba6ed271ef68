"""Reading the CI and deployment templates: their files, jobs, steps and ``reconcile`` command lines.

Shared by ``test_templates.py`` (static checks) and ``test_template_steps.py`` (the steps run).
A template is data to these helpers; nothing here knows what a template should contain.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import yaml

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


def runs(path: Path, sub: str) -> list[Invocation]:
    return [
        inv for job_id, step in github_steps(path) for inv in invocations(step.get("run", ""), job_id) if inv.sub == sub
    ]


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


# --- cron ----------------------------------------------------------------------------------------

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
