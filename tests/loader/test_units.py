"""Unit tests of the loader's parts: variables, durations, YAML handling and the result shape."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import DesiredStateError
from reconciler.load.loader import load_state, yaml_files
from reconciler.load.variables import VariableError, Variables
from reconciler.load.yamlfile import MAX_ALIAS_NODES
from reconciler.secrets import Secret
from reconciler.state.kinds import Kind
from reconciler.state.models.durations import normalize_duration, parse_duration


def variables(tmp_path: Path, **vars_: object) -> Variables:
    return Variables({"TOKEN": "t0ken", "EMPTY": ""}, vars_, tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1h", "1h0m0s"),
        ("30m", "30m0s"),
        ("90s", "1m30s"),
        ("1h30m", "1h30m0s"),
        ("1.5h", "1h30m0s"),
        ("500ms", "500ms"),
        ("2m0.5s", "2m0.5s"),
        ("720h", "720h0m0s"),
    ],
)
def test_durations_are_normalised_like_go(text: str, expected: str) -> None:
    assert normalize_duration(text) == expected


@pytest.mark.parametrize("text", ["", "1", "1 h", "h", "-1h", "0s", "1d"])
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_env_values_are_secrets_and_embedding_keeps_them_secret(tmp_path: Path) -> None:
    v = variables(tmp_path)
    assert v.substitute("${env:TOKEN}") == Secret("t0ken")
    assert v.substitute("Bearer ${env:TOKEN}") == Secret("Bearer t0ken")
    assert v.substitute("${env:EMPTY}") == Secret("")


def test_file_values_strip_one_trailing_newline(tmp_path: Path) -> None:
    (tmp_path / "s.txt").write_text("secret\n\n")
    assert variables(tmp_path).substitute("${file:s.txt}") == Secret("secret\n")


def test_var_values_are_plain_and_keep_their_type_when_alone(tmp_path: Path) -> None:
    v = variables(tmp_path, port=8080, host="example.com")
    assert v.substitute("${var:port}") == 8080
    assert v.substitute("${var:host}:${var:port}") == "example.com:8080"
    assert not isinstance(v.substitute("${var:host}"), Secret)


def test_escapes_and_plain_dollars(tmp_path: Path) -> None:
    v = variables(tmp_path)
    assert v.substitute("$${env:TOKEN}") == "${env:TOKEN}"
    assert v.substitute("cost: $5 and $host") == "cost: $5 and $host"
    assert v.substitute("$${a} ${env:TOKEN}") == Secret("${a} t0ken")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${env:NOPE}", "environment variable 'NOPE' is not set"),
        ("${var:nope}", "variable 'nope' is not defined"),
        ("${file:nope.txt}", "cannot read 'nope.txt'"),
        ("${TOKEN}", "bad reference"),
        ("${env:TOKEN", "unterminated"),
    ],
)
def test_missing_or_bad_references_are_errors_never_empty(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(VariableError, match=message):
        variables(tmp_path).substitute(text)


def write(tmp_path: Path, text: str, name: str = "state.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_literal_values_at_sensitive_fields_become_secrets(tmp_path: Path) -> None:
    write(tmp_path, """
apisix:
  consumers:
    - username: jane
      plugins:
        key-auth: {key: literal-key}
        limit-conn: {conn: 1, burst: 0, default_conn_delay: 0.1, redis_password: pw}
  routes:
    - id: r
      uri: /
      plugins:
        csrf: {key: csrf-key-value}
        jwt-auth: {}
""")
    state = load_state(tmp_path, env={})
    jane = state.objects[Kind.CONSUMER]["jane"].body
    assert jane["plugins"]["key-auth"]["key"] == Secret("literal-key")
    assert jane["plugins"]["limit-conn"]["redis_password"] == Secret("pw")
    assert state.objects[Kind.ROUTE]["r"].body["plugins"]["csrf"]["key"] == Secret("csrf-key-value")
    assert state.systems == {"apisix"}
    assert state.hydra_issuer is None


def test_empty_files_and_sections_are_allowed(tmp_path: Path) -> None:
    write(tmp_path, "# nothing yet\n", "a.yaml")
    write(tmp_path, "hydra: {}\n", "b.yml")
    state = load_state(tmp_path, env={})
    assert state.systems == {"hydra"}
    assert state.objects == {}


def test_hidden_files_and_directories_are_skipped(tmp_path: Path) -> None:
    (tmp_path / ".github").mkdir()
    write(tmp_path, "on: push\n", ".github/ci.yaml")
    write(tmp_path, "repos: []\n", ".pre-commit-config.yaml")
    write(tmp_path, "apisix:\n  upstreams: [{id: u, nodes: {'127.0.0.1:80': 1}}]\n", "a.yaml")
    assert [p.name for p in yaml_files(tmp_path)] == ["a.yaml"]
    assert set(load_state(tmp_path, env={}).objects[Kind.UPSTREAM]) == {"u"}


def test_a_single_file_path_is_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "apisix:\n  upstreams: [{id: u, nodes: {'127.0.0.1:80': 1}}]\n")
    assert set(load_state(path, env={}).objects[Kind.UPSTREAM]) == {"u"}


def test_a_missing_path_is_a_problem(tmp_path: Path) -> None:
    with pytest.raises(DesiredStateError, match="no such file or directory"):
        load_state(tmp_path / "nope", env={})


def test_hydra_client_body_is_hydra_json(tmp_path: Path) -> None:
    write(tmp_path, """
hydra:
  clients:
    - client_id: c
      client_secret: literal-secret
      scope: [openid, offline]
      metadata: {team: x}
      skip_consent: true
      refresh_token_grant_access_token_lifespan: 45m
""")
    body = load_state(tmp_path, env={}).objects[Kind.OAUTH2_CLIENT]["c"].body
    assert body == {
        "client_secret": Secret("literal-secret"),
        "scope": "openid offline",
        "metadata": {"team": "x"},
        "skip_consent": True,
        "refresh_token_grant_access_token_lifespan": "45m0s",
    }


def test_alias_reuse_below_the_limit_is_fine(tmp_path: Path) -> None:
    routes = "\n".join(f"    - {{id: r{i}, uri: /r{i}, plugins: *p}}" for i in range(200))
    write(tmp_path, f"x-plugins: &p {{prometheus: {{}}, request-id: {{}}}}\napisix:\n  routes:\n{routes}\n")
    state = load_state(tmp_path, env={})
    assert len(state.objects[Kind.ROUTE]) == 200
    bodies = [o.body["plugins"] for o in state.objects[Kind.ROUTE].values()]
    assert bodies[0] is not bodies[1]  # each object owns its data
    assert MAX_ALIAS_NODES >= 100_000


def test_a_large_state_loads(tmp_path: Path) -> None:
    lines = ["apisix:", "  upstreams: [{id: u, nodes: {'127.0.0.1:80': 1}}]", "  routes:"]
    lines += [f"    - {{id: r{i}, uri: /r{i}, upstream_id: u, labels: {{n: '{i}'}}}}" for i in range(5000)]
    lines += ["hydra:", "  clients:"]
    lines += [f"    - {{client_id: c{i}, scope: openid, redirect_uris: ['http://a/{i}']}}" for i in range(5000)]
    write(tmp_path, "\n".join(lines) + "\n")
    state = load_state(tmp_path, env={})
    assert len(state.objects[Kind.ROUTE]) == 5000
    assert len(state.objects[Kind.OAUTH2_CLIENT]) == 5000
    assert state.objects[Kind.ROUTE]["r4999"].source.endswith("state.yaml:5003")
