"""Differential tests of Hydra's browser flow: the same walk against the emulator and real v2.3.0.

Each case of ``hydra_flow_scenarios`` and ``hydra_flow_token_scenarios`` runs once on each server with a fresh browser and
unused client ids; the normalised answers (``hydra_flow_cases.normalise``) must be equal step by
step.  A difference kept on purpose is listed in ``KNOWN`` and in docs/emulator-fidelity.md as
a strict xfail.  The run's summary line counts these cases with the client API's ones.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.http import ServerThread
from reconciler.sandbox.realhydra import RealHydra

from .hydra_flow_cases import Session, normalise
from .hydra_flow_scenarios import CASES as FRONT_CASES
from .hydra_flow_token_scenarios import CASES as TOKEN_CASES
from .oauth_flow import Walk

pytestmark = pytest.mark.real_hydra

LOGIN = "http://127.0.0.1:9/login"
CONSENT = "http://127.0.0.1:9/consent"
LOGOUT = "http://127.0.0.1:9/logout"
"""The login app's URLs: never contacted, the walk reads the challenges from the redirects."""

CASES = {**FRONT_CASES, **TOKEN_CASES}
KNOWN: dict[str, str] = {}
"""Case name -> why the emulator answers differently on purpose (see docs/emulator-fidelity.md)."""


@dataclass
class Target:
    """One server under comparison."""

    name: str
    admin_url: str
    public_url: str


@pytest.fixture(scope="module")
def real(hydra_binary: Path) -> Iterator[Target]:
    """Real Hydra, its login, consent and logout URLs pointed at the (absent) login app."""
    env = {"URLS_LOGIN": LOGIN, "URLS_CONSENT": CONSENT, "URLS_LOGOUT": LOGOUT}
    with RealHydra(hydra_binary, extra_env=env) as hydra:
        yield Target("real", hydra.admin_url, hydra.public_url)


@pytest.fixture(scope="module")
def emulated() -> Iterator[Target]:
    """The Hydra emulator with the same login, consent and logout URLs."""
    from reconciler.sandbox.hydra import HydraEmulator

    emulator = HydraEmulator("2.3.0")
    admin, public = emulator.servers("127.0.0.1", 0, 0)
    with ServerThread(admin, public) as thread:
        thread.call(lambda: emulator.set_login_urls(LOGIN, CONSENT, LOGOUT))
        yield Target("emulator", admin.url, public.url)


def run(name: str, target: Target) -> list[dict[str, Any]]:
    """Run one case against one server; its normalised answers."""
    walk = Walk(target.public_url, target.admin_url)
    try:
        session = Session(walk)
        CASES[name](session)
        return [normalise(answer, target.public_url, target.admin_url) for answer in session.answers]
    finally:
        walk.close()


def _params() -> list[Any]:
    marks = {name: pytest.mark.xfail(strict=True, reason=f"known difference: {why}") for name, why in KNOWN.items()}
    return [pytest.param(name, id=name, marks=[marks[name]] if name in marks else []) for name in CASES]


@pytest.mark.parametrize("name", _params())
def test_flow_answers_like_real_hydra(name: str, real: Target, emulated: Target,
                                      differential_tally: dict[str, list[str]]) -> None:
    expected = run(name, real)
    actual = run(name, emulated)
    assert len(actual) == len(expected)
    differs = [i for i, (want, got) in enumerate(zip(expected, actual, strict=True)) if want != got]
    differential_tally["different" if differs else "matched"].append("flow:" + name)
    for index in differs:
        assert actual[index] == expected[index], (f"step {index}: {expected[index]['request']}\n"
                                                  f"real:     {json.dumps(expected[index])}\n"
                                                  f"emulator: {json.dumps(actual[index])}")


def test_there_are_enough_flow_cases() -> None:
    assert len(CASES) == len(FRONT_CASES) + len(TOKEN_CASES) >= 50
    assert set(KNOWN) <= set(CASES)
