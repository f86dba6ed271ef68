"""Two easy mistakes with the Hydra admin URL, each refused with one line that says what is wrong:

* ``.../admin`` appended (Hydra's docs show ``/admin/clients`` URLs).  ``/admin/version`` is a
  404, so version detection fell back to probing, found a list at ``/admin`` + ``/clients`` and
  took a v2 server for Hydra v1: v1 paging, and every lifespan field refused as "needs v2";
* another server's URL (APISIX's): the user saw only ``GET /clients: HTTP 404: not found``.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.sandbox.runner import Sandbox

STATE = """\
hydra:
  clients:
    - client_id: review-client
      grant_types: [client_credentials]
      scope: read
"""


def plan(tmp_path: Path, url: str) -> tuple[int, str, str]:
    (tmp_path / "clients.yaml").write_text(STATE)
    result = CliRunner().invoke(cli, ["plan", str(tmp_path)], env={"HYDRA_ADMIN_URL": url, "RECONCILE_CACHE": "off"})
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def test_a_trailing_admin_is_refused_not_taken_for_hydra_v1(box: Sandbox, tmp_path: Path) -> None:
    code, stdout, stderr = plan(tmp_path, box.hydra_admin_url + "/admin")
    assert code == 1 and "hydra: 1" not in stdout
    assert stderr.startswith("Error: ") and "without /admin" in stderr, stderr


def test_another_servers_url_is_named_as_not_hydra(box: Sandbox, tmp_path: Path) -> None:
    code, _stdout, stderr = plan(tmp_path, box.apisix_admin_url)
    assert code == 1
    assert stderr.startswith("Error: ") and "no Hydra admin API at " + box.apisix_admin_url in stderr, stderr
