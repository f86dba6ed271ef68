"""An admin URL that points at something else (a login page, a proxy's HTML, the wrong port)
answers 200 with a body that is not the admin API's JSON.  The user gets one line saying so,
never a JSONDecodeError traceback."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli

STATE = {
    "hydra": "hydra:\n  clients:\n    - client_id: c\n      grant_types: [client_credentials]\n      scope: read\n",
    "apisix": "apisix:\n  upstreams:\n    - id: u\n      nodes: {'127.0.0.1:8081': 1}\n",
}


class Html(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Please sign in</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return


class QuietServer(ThreadingHTTPServer):
    """Does not print a client's early disconnect to stderr (the test reads stderr)."""

    def handle_error(self, request: object, client_address: object) -> None:
        return


@pytest.fixture
def html_url() -> Iterator[str]:
    server = QuietServer(("127.0.0.1", 0), Html)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("system", ["hydra", "apisix"])
def test_an_html_answer_is_one_clear_error(tmp_path: Path, html_url: str, system: str) -> None:
    (tmp_path / "state.yaml").write_text(STATE[system])
    env = {"HYDRA_ADMIN_URL": html_url, "APISIX_ADMIN_URL": html_url, "APISIX_ADMIN_KEY": "k",
           "RECONCILE_CACHE": "off"}
    result = CliRunner().invoke(cli, ["plan", str(tmp_path)], env=env)
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and "not JSON" in result.stderr, result.stderr
