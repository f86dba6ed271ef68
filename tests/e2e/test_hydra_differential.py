"""Differential tests: the same admin requests to the Hydra emulator and to real Ory Hydra v2.3.0.

Real Hydra is the referee.  Each case in ``hydra_cases.CASES`` runs on both servers (both
wiped first) and every answer must match after generated values are masked.  A difference
the emulator keeps on purpose is listed, with its reason, in ``docs/emulator-fidelity.md`` and
in ``KNOWN`` below, as a strict xfail: when the emulator changes, the mark must go.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.sandbox.http import ServerThread
from reconciler.sandbox.realhydra import RealHydra

from .hydra_cases import CASES, Case, normalise, sent_secrets
from .tokens import basic_auth

pytestmark = pytest.mark.real_hydra

KNOWN: dict[str, str] = {
    "unknown-admin-path": "the 404 page for an unknown route is an abridged copy of Hydra's styled HTML page",
    "admin-jwk-sets": "the JSON Web Key admin API is not emulated (outside the clients API)",
}
"""Case name -> why the emulator answers differently on purpose (see docs/emulator-fidelity.md)."""


@dataclass
class Target:
    """One server under comparison."""

    name: str
    admin_url: str
    public_url: str


@pytest.fixture(scope="module")
def real(hydra_binary: Path) -> Iterator[Target]:
    """Real Hydra, fresh for this module."""
    with RealHydra(hydra_binary) as hydra:
        yield Target("real", hydra.admin_url, hydra.public_url)


@pytest.fixture(scope="module")
def emulated() -> Iterator[Target]:
    """The Hydra emulator, fresh for this module."""
    from reconciler.sandbox.hydra import HydraEmulator

    emulator = HydraEmulator("2.3.0")
    admin, public = emulator.servers("127.0.0.1", 0, 0)
    with ServerThread(admin, public) as thread:
        thread.call(lambda: (emulator.set_admin_url(admin.url + "/"), emulator.set_public_url(public.url + "/")))
        yield Target("emulator", admin.url, public.url)


def wipe(client: httpx.Client) -> None:
    """Delete every client."""
    while True:
        page = client.get("/admin/clients?page_size=1000").json()
        if not page:
            return
        for item in page:
            assert client.delete(f"/admin/clients/{item['client_id']}").status_code == 204


def run(case: Case, target: Target) -> list[dict[str, Any]]:
    """Send the case's requests to one server; the normalised answers."""
    secrets = sent_secrets(case.steps)
    answers: list[dict[str, Any]] = []
    last_id = ""
    with httpx.Client(base_url=target.admin_url, timeout=30, follow_redirects=False) as client, \
            httpx.Client(base_url=target.public_url, timeout=30, follow_redirects=False) as public:
        wipe(client)
        for step in case.steps:
            if step.port == "public":
                headers = {"Authorization": basic_auth(*step.basic)} if step.basic else {}
                if step.form is None and isinstance(step.body, dict):
                    response = public.request(step.method, step.path, json=step.body, headers=headers)
                else:
                    response = public.request(step.method, step.path, data=step.form, headers=headers)
                answers.append(normalise(response.status_code, dict(response.headers), response.content,
                                         secrets, target.public_url, target.admin_url))
                continue
            content: bytes | None
            if step.body is None:
                content = None
            elif isinstance(step.body, bytes):
                content = step.body
            else:
                content = json.dumps(step.body).encode()
            headers = {"Content-Type": "application/json"} if content is not None else {}
            response = client.request(step.method, step.path.replace("{id}", last_id), content=content,
                                      headers=headers)
            try:
                data = response.json()
            except ValueError:
                data = None
            if isinstance(data, dict) and isinstance(data.get("client_id"), str):
                last_id = data["client_id"]
            answers.append(normalise(response.status_code, dict(response.headers), response.content,
                                     secrets, target.public_url, target.admin_url))
    return answers


def _params() -> list[Any]:
    marks = {name: pytest.mark.xfail(strict=True, reason=f"known difference: {why}") for name, why in KNOWN.items()}
    return [pytest.param(case, id=case.name, marks=[marks[case.name]] if case.name in marks else [])
            for case in CASES]


@pytest.mark.parametrize("case", _params())
def test_emulator_answers_like_real_hydra(case: Case, real: Target, emulated: Target,
                                         differential_tally: dict[str, list[str]]) -> None:
    expected = run(case, real)
    actual = run(case, emulated)
    differs = [i for i, (want, got) in enumerate(zip(expected, actual, strict=True)) if want != got]
    differential_tally["different" if differs else "matched"].append(case.name)
    for index in differs:
        step = case.steps[index]
        assert actual[index] == expected[index], f"step {index}: {step.method} {step.path}"


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 60
    assert len({case.name for case in CASES}) == len(CASES)
    assert set(KNOWN) <= {case.name for case in CASES}
