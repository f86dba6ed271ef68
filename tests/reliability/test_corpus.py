"""Every hostile desired state of the corpus ends in a clear error: exit 1, the problem located,
no traceback, no request to any server, no canary in any output.

``validate`` and ``plan`` both run on each case (they must agree), ``plan`` with both admin URLs
pointing at a server that counts requests.  Timings per case are written to the file named by
``RELIABILITY_REPORT`` when it is set, for the figures of a report.
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import CANARY, run
from .corpus import ENV, Case, all_cases
from .servers import Scripted

CASES = all_cases()
_TIMINGS: dict[str, dict[str, float | str]] = {}


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    target = os.environ.get("RELIABILITY_REPORT")
    if target and _TIMINGS:
        Path(target).write_text(json.dumps(_TIMINGS, indent=1))


def _materialise(case: Case, root: Path) -> Path:
    for name, data in case.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    if case.prepare is not None:
        case.prepare(root)
    return Path(case.target) if case.target.startswith("/") else root / case.target


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", CASES, ids=[f"{c.cls}:{c.name}" for c in CASES])
def test_hostile_state_is_refused_cleanly(case: Case, state_dir: Path, counting: Scripted) -> None:
    target = _materialise(case, state_dir)
    env = {**ENV, **case.env, "HYDRA_ADMIN_URL": counting.url, "APISIX_ADMIN_URL": counting.url}
    started = time.perf_counter()
    outcomes = {command: run(command, str(target), env=env) for command in ("validate", "plan")}
    elapsed = time.perf_counter() - started
    _TIMINGS[case.name] = {"class": case.cls, "seconds": round(elapsed, 3),
                           "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    for command, out in outcomes.items():
        assert out.exception is None, f"{command} raised {out.exception!r}"
        assert CANARY not in out.everything, f"{command} printed the canary"
        if command == "validate" and case.offline_ok:
            assert out.code == 0, out.stderr
            continue
        assert out.code == 1, f"{command} exited {out.code}\n{out.stdout}\n{out.stderr}"
        assert CANARY not in out.everything, f"{command} printed the canary"
        assert "Traceback" not in out.everything
        assert case.expect.lower() in out.stderr.lower(), f"{command}: {case.expect!r} not in\n{out.stderr[:2000]}"
        assert len(out.stderr) < 2_000_000, f"{command} wrote {len(out.stderr)} characters"
        assert all(line.isprintable() for line in out.stderr.splitlines()), f"{command} echoed raw characters"
    assert counting.seen == [], f"bad input sent {len(counting.seen)} requests"
