"""A sandbox and a small desired state per test, driven through the command line in process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciler.sandbox.runner import Sandbox
from tests.engine.conftest import Stage


@pytest.fixture
def box() -> Iterator[Sandbox]:
    """A fresh sandbox (APISIX 3.18.0, Hydra 2.3.0 emulators)."""
    with Sandbox() as sandbox:
        yield sandbox


def stage_for(box: Sandbox, path: Path, **env: str) -> Stage:
    """A ``Stage`` for ``path`` on ``box``; ``env`` adds variables (secrets)."""
    base = {"HYDRA_ADMIN_URL": box.hydra_admin_url, "APISIX_ADMIN_URL": box.apisix_admin_url,
            "APISIX_ADMIN_KEY": box.apisix_admin_key, "NO_COLOR": "1"}
    return Stage(box, path, {**base, **env})
