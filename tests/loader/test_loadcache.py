"""The load cache: a cached load gives exactly the state a full load gives, never stores a
secret value, and is ignored as soon as a file or a secret changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.load import cache as loadcache
from reconciler.load.loader import load_state
from reconciler.plan.normalize import canonical
from reconciler.secrets import Secret, contains_secret
from reconciler.state import fingerprints
from reconciler.state.kinds import Kind, ResolvedState

from .conftest import RICH_ENV

RICH = Path(__file__).resolve().parents[2] / "examples" / "rich"
CANARY = "canary-5e1f-never-stored"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("RECONCILE_CACHE_DIR", str(directory))
    monkeypatch.delenv("RECONCILE_CACHE", raising=False)
    return directory


@pytest.fixture
def rich(tmp_path: Path) -> Path:
    target = tmp_path / "rich"
    shutil.copytree(RICH, target)
    return target


def env_with(**changes: str) -> dict[str, str]:
    return {**RICH_ENV, **changes}


def snapshot(state: ResolvedState) -> dict[str, str]:
    """Every object as canonical JSON (secrets by value), plus the state's own fields."""
    out = {f"{kind.value}.{key}": canonical(obj.body) + obj.source for kind, objs in state.objects.items()
           for key, obj in objs.items()}
    out["_"] = canonical([sorted(state.systems), sorted(state.managed_credentials), state.hydra_issuer])
    return out


def test_a_cached_load_equals_a_full_load(cache: Path, rich: Path) -> None:
    env = env_with(RICH_ALICE_KEY=CANARY)
    first = load_state(rich, env=env)
    assert first.cache_token is not None and any(cache.iterdir())
    second = load_state(rich, env=env)
    assert second is not first and second.cache_token == first.cache_token
    assert snapshot(second) == snapshot(first)
    alice = second.of(Kind.CONSUMER)["alice"].body["plugins"]["key-auth"]["key"]
    assert isinstance(alice, Secret) and alice.reveal() == CANARY


def test_no_secret_value_is_written(cache: Path, rich: Path) -> None:
    load_state(rich, env=env_with(RICH_ALICE_KEY=CANARY, RICH_SESSION_SECRET=CANARY + "-session"))
    for path in cache.iterdir():
        assert CANARY.encode() not in path.read_bytes()


def test_a_changed_secret_makes_the_entry_useless(cache: Path, rich: Path) -> None:
    load_state(rich, env=env_with(RICH_ALICE_KEY="first-key-value"))
    again = load_state(rich, env=env_with(RICH_ALICE_KEY="second-key-value"))
    key = again.of(Kind.CONSUMER)["alice"].body["plugins"]["key-auth"]["key"]
    assert key.reveal() == "second-key-value"


def test_a_changed_file_is_read_again(cache: Path, rich: Path) -> None:
    first = load_state(rich, env=env_with())
    target = next(p for p in sorted(rich.glob("*.yaml")) if "upstreams:" in p.read_text())
    target.write_text(target.read_text() + "\n# a comment changes the bytes\n")
    second = load_state(rich, env=env_with())
    assert second.cache_token != first.cache_token
    assert snapshot(second) == snapshot(first)


def test_a_missing_variable_is_still_reported(cache: Path, rich: Path) -> None:
    load_state(rich, env=env_with())
    env = env_with()
    del env["RICH_ALICE_KEY"]
    with pytest.raises(Exception, match="RICH_ALICE_KEY"):
        load_state(rich, env=env)


def test_switched_off(cache: Path, rich: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECONCILE_CACHE", "off")
    state = load_state(rich, env=env_with())
    assert state.cache_token is None and not cache.exists()


def test_a_secret_of_unknown_origin_is_never_cached(cache: Path) -> None:
    state = ResolvedState(objects={Kind.CONSUMER: {}}, systems=frozenset({"apisix"}))
    from reconciler.state.kinds import DesiredObject

    state.objects[Kind.CONSUMER]["x"] = DesiredObject(Kind.CONSUMER, "x", {"plugins": {"key-auth": {
        "key": Secret("no-origin")}}})
    assert contains_secret(state.objects[Kind.CONSUMER]["x"].body)
    loadcache.write("d" * 64, state)
    assert not cache.exists() or not any(cache.iterdir())


def test_verified_fingerprints_are_remembered(cache: Path, rich: Path) -> None:
    state = load_state(rich, env=env_with())
    client_id, obj = next((k, o) for k, o in state.of(Kind.OAUTH2_CLIENT).items() if "client_secret" in o.body)
    secret = obj.body["client_secret"]
    fingerprint = fingerprints.make_fingerprint(secret, iterations=1000)
    loadcache.save_verified(state, {client_id: fingerprint})
    fingerprints._KNOWN.clear()
    again = load_state(rich, env=env_with())
    assert fingerprints.known(again.of(Kind.OAUTH2_CLIENT)[client_id].body["client_secret"], fingerprint)


def test_verified_fingerprints_never_survive_a_rotation(cache: Path, rich: Path) -> None:
    state = load_state(rich, env=env_with())
    client_id, obj = next((k, o) for k, o in state.of(Kind.OAUTH2_CLIENT).items() if "client_secret" in o.body)
    env_name = next(name for name, value in RICH_ENV.items() if value == obj.body["client_secret"].reveal())
    old_fingerprint = fingerprints.make_fingerprint(obj.body["client_secret"], iterations=1000)
    loadcache.save_verified(state, {client_id: old_fingerprint})
    fingerprints._KNOWN.clear()
    rotated = load_state(rich, env=env_with(**{env_name: "a-rotated-secret-value"}))  # rewrites the entry
    rotated_again = load_state(rich, env=env_with(**{env_name: "a-rotated-secret-value"}))  # reads it back
    for state_now in (rotated, rotated_again):
        secret = state_now.of(Kind.OAUTH2_CLIENT)[client_id].body["client_secret"]
        assert fingerprints._KNOWN.get((secret.reveal(), old_fingerprint)) is not True
        assert not fingerprints.matches(secret, old_fingerprint)
