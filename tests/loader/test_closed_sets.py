"""APISIX's closed sets are enums in the models: a typo fails ``validate`` with "did you mean".

``type: round-robin`` on an upstream used to pass: APISIX stores any ``type`` string
(``schema_def.lua`` has no enum for it) and fails every request at ``balancer.lua``'s
``require("apisix.balancer." .. type)``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.state.models.closed_sets import did_you_mean, not_one_of

UPSTREAM = "apisix:\n  upstreams:\n    - id: web\n      nodes: {'127.0.0.1:8080': 1}\n"


@pytest.mark.parametrize("line, expected", [
    ("type: round-robin", "upstreams[0].type: 'round-robin' is not one of roundrobin, chash, ewma, least_conn "
                          "(did you mean 'roundrobin'?)"),
    ("hash_on: headers", "upstreams[0].hash_on: 'headers' is not one of vars, header, cookie, consumer, "
                         "vars_combinations (did you mean 'header'?)"),
    ("scheme: htps", "upstreams[0].scheme: 'htps' is not one of grpc, grpcs, http, https, tcp, tls, udp, kafka "
                     "(did you mean 'https'?)"),
    ("pass_host: nodes", "upstreams[0].pass_host: 'nodes' is not one of pass, node, rewrite (did you mean 'node'?)"),
    ("checks: {active: {type: htp}}", "upstreams[0].checks: active.type: 'htp' is not one of http, https, tcp "
                                      "(did you mean 'http'?)"),
    ("checks: {active: {http_method: GTE}}", "checks: active.http_method: 'GTE' is not one of GET, POST"),
    ("checks: {active: {}, passive: {type: tpc}}", "checks: passive.type: 'tpc' is not one of http, https, tcp "
                                                   "(did you mean 'tcp'?)"),
], ids=["type", "hash_on", "scheme", "pass_host", "checks-active", "checks-method", "checks-passive"])
def test_an_upstream_value_outside_its_set_is_refused_with_a_hint(tmp_path: Path, line: str, expected: str) -> None:
    (tmp_path / "s.yaml").write_text(UPSTREAM + f"      {line}\n")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)], env={"RECONCILE_CACHE": "off"})
    assert result.exit_code == 1, result.output
    assert f"{tmp_path / 's.yaml'}:5:" in result.stderr
    assert expected in result.stderr


def test_route_ssl_and_plugin_sets(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(UPSTREAM + """\
  routes:
    - id: r
      uri: /
      status: 2
      methods: [GTE]
      upstream_id: web
      plugins:
        limit-count: {count: 1, time_window: 1, window_type: slide}
""")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path)], env={"RECONCILE_CACHE": "off"})
    assert result.exit_code == 1
    assert "routes[0].status: 2 is not one of 0, 1" in result.stderr
    assert "routes[0].methods[0]: 'GTE' is not one of GET, POST, PUT" in result.stderr
    assert "window_type: 'slide' is not one of fixed, sliding (did you mean 'sliding'?)" in result.stderr


def test_every_balancer_apisix_ships_is_accepted(tmp_path: Path) -> None:
    for balancer in ("roundrobin", "chash", "ewma", "least_conn"):
        extra = "      key: remote_addr\n" if balancer == "chash" else ""
        (tmp_path / "s.yaml").write_text(UPSTREAM + f"      type: {balancer}\n" + extra)
        result = CliRunner().invoke(cli, ["validate", str(tmp_path)], env={"RECONCILE_CACHE": "off"})
        assert result.exit_code == 0, result.output


def test_messages() -> None:
    assert did_you_mean("least-conn", ["roundrobin", "least_conn"]) == " (did you mean 'least_conn'?)"
    assert did_you_mean("zzz", ["roundrobin", "least_conn"]) == ""
    assert not_one_of(3, [0, 1]) == "3 is not one of 0, 1"
