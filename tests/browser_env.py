"""Where the browser tests find Debian's Chromium and chromedriver, and why they cannot run.

No browser can be downloaded here, so the tests drive the system packages (``chromium`` and
``chromium-driver``); ``RECONCILE_CHROMIUM`` and ``RECONCILE_CHROMEDRIVER`` point elsewhere.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("RECONCILE_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("RECONCILE_CHROMEDRIVER", "/usr/bin/chromedriver"))


def browser_missing() -> str | None:
    """Why the browser tests cannot run here (with the command that fixes it), or None."""
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{path} not installed: run `sudo apt-get install -y chromium chromium-driver` (package {package})"
    if importlib.util.find_spec("selenium") is None:
        return "selenium not installed: run `make install` (it is in the dev extras)"
    return None
