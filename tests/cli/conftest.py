"""A fresh sandbox per test for the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler.sandbox.runner import Sandbox


@pytest.fixture
def box() -> Iterator[Sandbox]:
    """A fresh sandbox (APISIX 3.18.0, Hydra 2.3.0 emulators) on free loopback ports."""
    with Sandbox() as sandbox:
        yield sandbox
