"""What a user sees when a server cannot be reached: one line that names the server, never a
traceback.  A bad URL is refused before anything is sent."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

STATE = """\
hydra:
  clients:
    - client_id: review-client
      grant_types: [client_credentials]
      scope: read
"""


@pytest.fixture
def desired(tmp_path: Path) -> Path:
    path = tmp_path / "desired"
    path.mkdir()
    (path / "clients.yaml").write_text(STATE)
    return path


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def plan(desired: Path, url: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(cli, ["plan", "--timeout", "2", str(desired)],
                                env={"HYDRA_ADMIN_URL": url, "RECONCILE_CACHE": "off"})
    exc = None if isinstance(result.exception, SystemExit) else result.exception
    return result.exit_code, result.stderr, exc


@pytest.mark.parametrize("url", ["http://[::1", "127.0.0.1:4445", "localhost", "http://", "ftp://example.test"])
def test_a_bad_url_is_refused_with_one_line(desired: Path, url: str) -> None:
    code, stderr, exc = plan(desired, url)
    assert exc is None, repr(exc)
    assert code == 1
    assert stderr.startswith("Error: ") and "Hydra admin URL" in stderr, stderr
    assert "Traceback" not in stderr


def test_a_server_that_is_down_is_named(desired: Path) -> None:
    port = free_port()
    code, stderr, exc = plan(desired, f"http://user:hunter2@127.0.0.1:{port}")
    assert exc is None, repr(exc)
    assert code == 1
    assert f"127.0.0.1:{port}" in stderr, stderr
    assert "hunter2" not in stderr
