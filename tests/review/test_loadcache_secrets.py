"""The load cache holds no secret value, whatever way the value reached the desired state.

A secret written literally in the YAML, or supplied by a ``--var-file`` at a secret position,
is a value like any other: a cache directory is often shared (CI caches, home directories
backed up), so it must never hold it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.load.loader import load_state
from reconciler.secrets import Secret
from reconciler.state.kinds import Kind

CANARY = "canary-7d41-literal-never-cached"
STATE = """\
apisix:
  consumers:
    - username: alice
      plugins:
        key-auth:
          key: {alice}
    - username: bob
      plugins:
        key-auth:
          key: "${{var:bob_key}}"
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv("RECONCILE_CACHE_DIR", str(directory))
    monkeypatch.delenv("RECONCILE_CACHE", raising=False)
    return directory


def write(tmp_path: Path) -> tuple[Path, Path]:
    desired = tmp_path / "desired"
    desired.mkdir()
    (desired / "consumers.yaml").write_text(STATE.format(alice=CANARY + "-alice"))
    var_file = tmp_path / "vars.yaml"
    var_file.write_text(f"bob_key: {CANARY}-bob\n")
    return desired, var_file


def cached_bytes(cache: Path) -> bytes:
    return b"".join(p.read_bytes() for p in cache.rglob("*") if p.is_file()) if cache.exists() else b""


def test_literal_and_var_file_secrets_never_reach_the_cache(cache: Path, tmp_path: Path) -> None:
    desired, var_file = write(tmp_path)
    for _ in range(2):  # a cold load, then a load that may read the cache
        state = load_state(desired, var_files=[var_file], env={})
        consumers = state.of(Kind.CONSUMER)
        alice = consumers["alice"].body["plugins"]["key-auth"]["key"]
        bob = consumers["bob"].body["plugins"]["key-auth"]["key"]
        assert isinstance(alice, Secret) and alice.reveal() == CANARY + "-alice"
        assert isinstance(bob, Secret) and bob.reveal() == CANARY + "-bob"
    assert CANARY.encode() not in cached_bytes(cache)
