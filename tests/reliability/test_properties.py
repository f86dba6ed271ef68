"""Property tests over random valid desired states, against the sandbox on 127.0.0.1.

For any valid desired state: after ``apply`` the plan is empty (the normaliser and the
emulators agree), a second ``apply`` changes nothing, and any sequence of states converges with
``--prune`` (each one in one apply, whatever came before it).  Hypothesis runs derandomised, so
a failure is reproducible from the printed example.
"""

from __future__ import annotations

import string
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.config import Connection, Options
from reconciler.load.loader import load_state
from reconciler.plan.changes import Action
from reconciler.run.engine import fetch_and_plan, plan_and_apply
from reconciler.sandbox.runner import Sandbox
from reconciler.secrets import Secret

from .corpus import dump

IDS = st.text(string.ascii_lowercase + string.digits + "-_.", min_size=1, max_size=12).filter(
    lambda s: s not in {".", ".."})
TEXT = st.text(st.characters(categories=("L", "N", "P", "S", "Zs"), exclude_characters="$"), max_size=40)
NODES = st.dictionaries(st.sampled_from(["127.0.0.1", "10.0.0.2", "backend.example.test"]).flatmap(
    lambda host: st.integers(1, 65535).map(lambda port: f"{host}:{port}")), st.integers(0, 100), min_size=1,
    max_size=3)


@st.composite
def states(draw: st.DrawFn) -> dict[str, Any]:
    """A valid desired state: upstreams, routes that use them, and Hydra clients."""
    upstream_ids = draw(st.lists(IDS, min_size=1, max_size=5, unique=True))
    upstreams = [{"id": i, "desc": draw(TEXT), "type": draw(st.sampled_from(["roundrobin", "least_conn"])),
                  "nodes": draw(NODES), "retries": draw(st.integers(0, 5))} for i in upstream_ids]
    for upstream in upstreams:
        if not upstream["desc"]:
            del upstream["desc"]
    routes = [{"id": i, "uri": "/" + draw(st.text(string.ascii_lowercase + "/-*", max_size=20)),
               "upstream_id": draw(st.sampled_from(upstream_ids)),
               "methods": draw(st.lists(st.sampled_from(["GET", "POST", "PUT"]), unique=True, max_size=3)) or ["GET"]}
              for i in draw(st.lists(IDS, max_size=4, unique=True))]
    clients = [{"client_id": i, "client_name": draw(TEXT) or "c", "scope": " ".join(draw(st.lists(
        st.sampled_from(["openid", "offline", "photos.read", "email"]), min_size=1, max_size=3, unique=True))),
        "grant_types": ["client_credentials"], "client_secret": f"${{env:PROP_SECRET_{n}}}"}
        for n, i in enumerate(draw(st.lists(IDS, max_size=3, unique=True)))]
    return {"hydra": {"clients": clients}, "apisix": {"upstreams": upstreams, "routes": routes}}


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    with Sandbox(real_hydra=False) as sandbox:
        yield sandbox


OPTIONS = Options(prune=True, allow_empty=True, max_deletes=1000)
ENV = {f"PROP_SECRET_{n}": f"property-secret-{n}" for n in range(3)}


def _conn(box: Sandbox) -> Connection:
    return Connection(hydra_admin_url=box.hydra_admin_url, apisix_admin_url=box.apisix_admin_url,
                      apisix_admin_key=Secret(box.apisix_admin_key), timeout=10.0)


def _apply_and_check(box: Sandbox, data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "state.yaml").write_bytes(dump(data))
        desired = load_state(Path(tmp), env=ENV)
    first = plan_and_apply(desired, _conn(box), OPTIONS)
    assert first.result is None or first.result.ok, [e.message for e in first.result.events if e.message]
    again = fetch_and_plan(desired, _conn(box), OPTIONS)
    pending = [c.address for c in again.plan.changes if c.action is not Action.NOOP]
    assert pending == [], f"plan after apply is not empty: {pending}"
    second = plan_and_apply(desired, _conn(box), OPTIONS)
    assert second.result is None, "a second apply wrote something"


@pytest.mark.timeout(600)
@settings(max_examples=20, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=states())
def test_apply_then_plan_is_empty_and_apply_is_idempotent(box: Sandbox, data: dict[str, Any]) -> None:
    _apply_and_check(box, data)


@pytest.mark.timeout(600)
@settings(max_examples=8, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=st.lists(states(), min_size=2, max_size=4))
def test_any_sequence_of_states_converges(box: Sandbox, sequence: list[dict[str, Any]]) -> None:
    for data in sequence:
        _apply_and_check(box, data)
