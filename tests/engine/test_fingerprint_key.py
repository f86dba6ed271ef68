"""Keyed secret fingerprints (``RECONCILE_FINGERPRINT_KEY``): HMAC instead of PBKDF2.

Unit checks of ``state.fingerprints`` first, then the whole CLI against the sandbox: an apply
with a key writes HMAC fingerprints that a re-plan verifies; a plan without the key, or with
another key, says why it must send the secrets again; a short key is refused without being
echoed; PBKDF2 fingerprints written earlier still verify when a key is in use.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.secrets import Secret
from reconciler.state import fingerprints

from .conftest import Stage

KEY = "k" * 20 + "-operator-supplied-key"
OTHER = "o" * 20 + "-another-operator-key!"


@pytest.fixture(autouse=True)
def no_key_after() -> Iterator[None]:
    yield
    fingerprints.use_key(None)


def test_a_key_makes_salted_hmac_fingerprints() -> None:
    fingerprints.use_key(Secret(KEY))
    first, second = (fingerprints.make_fingerprint(Secret("s3cret-value")) for _ in range(2))
    assert first.startswith("hmac-sha256$") and first.count("$") == 3
    assert first != second  # a fresh salt each time: equal secrets do not show as equal fingerprints
    assert fingerprints.matches(Secret("s3cret-value"), first)
    assert not fingerprints.matches(Secret("s3cret-valuE"), first)
    assert KEY not in first and "s3cret" not in first
    assert fingerprints.unverifiable(first) is None


def test_without_the_key_or_under_another_a_keyed_fingerprint_cannot_be_checked() -> None:
    fingerprints.use_key(Secret(KEY))
    keyed = fingerprints.make_fingerprint(Secret("s3cret-value"))
    fingerprints.use_key(None)
    assert not fingerprints.matches(Secret("s3cret-value"), keyed)
    assert "RECONCILE_FINGERPRINT_KEY is not set" in (fingerprints.unverifiable(keyed) or "")
    fingerprints.use_key(Secret(OTHER))
    assert not fingerprints.matches(Secret("s3cret-value"), keyed)
    assert "another RECONCILE_FINGERPRINT_KEY" in (fingerprints.unverifiable(keyed) or "")
    fingerprints.use_key(Secret(KEY))  # the right key again: the earlier "no" is not kept
    assert fingerprints.matches(Secret("s3cret-value"), keyed)


def test_pbkdf2_fingerprints_still_verify_with_a_key_in_use() -> None:
    old = fingerprints.make_fingerprint(Secret("s3cret-value"))
    assert old.startswith("pbkdf2-sha256$")
    fingerprints.use_key(Secret(KEY))
    assert fingerprints.matches(Secret("s3cret-value"), old)
    assert fingerprints.unverifiable(old) is None


def test_a_short_key_is_refused() -> None:
    with pytest.raises(fingerprints.FingerprintKeyError, match="at least 32"):
        fingerprints.use_key(Secret("short"))


def _fingerprints(stage: Stage) -> dict[str, str]:
    clients = stage.hydra("GET", "/clients").json()
    return {c["client_id"]: c["metadata"]["reconcile"]["secret"] for c in clients
            if "secret" in c.get("metadata", {}).get("reconcile", {})}


def test_apply_with_a_key_and_plans_with_without_and_with_another(stage: Stage) -> None:
    stage.env |= {"RECONCILE_FINGERPRINT_KEY": KEY, "RECONCILE_CACHE": "off"}  # every answer from the servers
    stage.must("apply", "--auto-approve")
    prints = _fingerprints(stage)
    assert prints and all(fp.startswith("hmac-sha256$") for fp in prints.values())
    stage.must("plan", "--detailed-exitcode", code=0)

    del stage.env["RECONCILE_FINGERPRINT_KEY"]
    out = stage.must("plan", "--detailed-exitcode", code=2)
    assert "RECONCILE_FINGERPRINT_KEY is not set" in out.stdout

    stage.env["RECONCILE_FINGERPRINT_KEY"] = OTHER
    out = stage.must("plan", "--detailed-exitcode", code=2)
    assert "another RECONCILE_FINGERPRINT_KEY" in out.stdout
    assert KEY not in out.everything and OTHER not in out.everything


def test_a_short_key_stops_the_command_without_echoing_it(stage: Stage) -> None:
    stage.env["RECONCILE_FINGERPRINT_KEY"] = "tooshort-but-secret"
    out = stage.run("plan")
    assert out.code == 1
    assert "RECONCILE_FINGERPRINT_KEY must be at least 32 characters" in out.stderr
    assert "tooshort-but-secret" not in out.everything
