"""A list answered with 404 was taken as an empty, complete list (the 404 is only expected for
the credentials of a consumer that does not exist yet).  A declared object that exists was
then planned as a create, and APISIX's PUT would have overwritten it without any ownership
check: here an unowned upstream made by hand."""

from __future__ import annotations

from pathlib import Path

from reconciler.sandbox.runner import Sandbox

from .conftest import stage_for


def test_a_list_that_404s_stops_the_plan(box: Sandbox, tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("apisix:\n  upstreams:\n    - id: by-hand\n      nodes: {'127.0.0.1:8081': 1}\n")
    stage = stage_for(box, tmp_path)
    assert stage.apisix("PUT", "/upstreams/by-hand", {"nodes": {"127.0.0.1:9999": 1}}).status_code == 201
    box.apisix_faults.add("status", method="GET", path="/apisix/admin/upstreams", status=404, times=1,
                          body={"error_msg": "not found"})
    out = stage.run("plan", "--detailed-exitcode")
    assert out.exception is None, repr(out.exception)
    assert out.code == 1, out.stdout
    assert "+ upstream.by-hand" not in out.stdout
    assert "/apisix/admin/upstreams" in out.stderr and "404" in out.stderr, out.stderr
