"""Ctrl-C during apply: the user learns how far it got and how to go on (exit 130), instead
of click's bare 'Aborted!' with no word on what was written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from reconciler.sandbox.runner import Sandbox
from tests.engine.states import secret_env, write_state


def test_ctrl_c_during_apply_says_how_far_it_got(box: Sandbox, tmp_path: Path) -> None:
    path = write_state(tmp_path / "desired", with_extras=False)
    box.apisix_faults.add("latency", method="PUT", delay=30.0)  # the first APISIX write never ends
    env = {**os.environ, **secret_env(), "HYDRA_ADMIN_URL": box.hydra_admin_url,
           "APISIX_ADMIN_URL": box.apisix_admin_url, "APISIX_ADMIN_KEY": box.apisix_admin_key,
           "RECONCILE_CACHE": "off", "NO_COLOR": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "reconciler", "apply", "--auto-approve", str(path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # the Hydra clients apply, then the APISIX writes hang
            if line.startswith("  + oauth2_client.") and line.rstrip().endswith(": applied"):
                break
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "Aborted!" not in err
    assert "Interrupted after " in err and "running apply again converges" in err
