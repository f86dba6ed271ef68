"""The CI templates run one apply at a time (finding 15): the lease is the second line of defence.

GitHub serialises with ``concurrency:`` (without cancelling a running apply), GitLab with
``resource_group:``; the lease in ``reconciler.run.lease`` covers applies started any other way.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_gitlab_apply_job_has_a_resource_group() -> None:
    jobs = yaml.safe_load((ROOT / "examples" / "ci" / "gitlab-ci.yml").read_text())
    applies = [name for name, job in jobs.items() if isinstance(job, dict)
               and any("reconcile apply" in str(line) for line in job.get("script", []))]
    assert applies, "no apply job found"
    for name in applies:
        assert jobs[name].get("resource_group"), f"GitLab job {name!r} runs apply without a resource_group"


def test_github_apply_workflow_is_serialised_without_cancelling() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "reconcile-apply.yml").read_text())
    concurrency = workflow.get("concurrency")
    assert isinstance(concurrency, dict) and concurrency.get("group")
    assert concurrency.get("cancel-in-progress") is False  # cancelling mid-apply leaves a half-applied state
