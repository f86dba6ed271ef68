"""The positionless fast path of loading gives what the positioned path gives, or steps aside.

For each text that could mean something else to YAML 1.1 (PyYAML, the reference) than to
YAML 1.2 (yaml-rs), or that ``yamlfile`` must police (aliases, tags, merge keys, duplicates),
``parse_fast`` must decline.  For the repository's own desired states and a text with every
safe construct, it must return exactly ``yamlfile``'s data and the same object lines.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.load.fastyaml import parse_fast
from reconciler.load.variables import Variables
from reconciler.load.yamlfile import find_node, parse_file, position

from .conftest import RICH_ENV, SEED_ENV

REPO = Path(__file__).resolve().parents[2]

DECLINED = {
    "duplicate key": "apisix:\n  upstreams:\n    - id: a\n      id: b\n",
    "anchor and alias": "apisix:\n  upstreams:\n    - &u {id: a, type: roundrobin}\n    - *u\n",
    "python tag": "apisix:\n  upstreams:\n    - id: !!python/name:os.system a\n",
    "custom tag": "apisix:\n  upstreams:\n    - id: !custom a\n",
    "merge key": "apisix:\n  upstreams:\n    - <<: {type: roundrobin}\n      id: a\n",
    "yes unquoted": "apisix:\n  routes:\n    - id: a\n      enable_websocket: yes\n",
    "on unquoted": "apisix:\n  routes:\n    - id: a\n      name: on\n",
    "octal": "apisix:\n  upstreams:\n    - id: a\n      retries: 017\n",
    "0o octal": "apisix:\n  upstreams:\n    - id: a\n      retries: 0o17\n",
    "underscores": "apisix:\n  upstreams:\n    - id: a\n      retries: 1_0\n",
    "sexagesimal": "apisix:\n  upstreams:\n    - id: a\n      name: 1:30\n",
    "float": "apisix:\n  upstreams:\n    - id: a\n      timeout: {connect: 1.5}\n",
    "exponent": "apisix:\n  upstreams:\n    - id: a\n      retries: 1e3\n",
    "null": "apisix:\n  upstreams:\n    - id: a\n      name: ~\n",
    "empty value": "apisix:\n  upstreams:\n    - id: a\n      name:\n",
    "date": "apisix:\n  upstreams:\n    - id: a\n      desc: 2026-01-01\n",
    "quoted date": "apisix:\n  upstreams:\n    - id: a\n      desc: '2026-01-01'\n",  # yaml-rs makes a date
    "int key": "apisix:\n  upstreams:\n    - id: a\n      nodes: {1: 1}\n",
    "flow section": "apisix:\n  upstreams: [{id: a, nodes: {'h:80': 1}}]\n",
    "dash alone": "apisix:\n  upstreams:\n    -\n      id: a\n",
    "two documents": "apisix: {}\n---\nhydra: {}\n",
    "directive": "%YAML 1.1\n---\napisix: {}\n",
    "syntax error": "apisix:\n  upstreams:\n    - id: [a\n",
    "not a mapping": "- a\n- b\n",
    "unset variable": "apisix:\n  upstreams:\n    - id: a\n      desc: ${env:NOT_SET_ANYWHERE}\n",
}

SAFE = """\
apisix:
  upstreams:
    # a comment
    - id: up-1
      nodes: {"10.0.0.1:80": 1, "10.0.0.2:8080": 100}
      type: roundrobin
      retries: 3
      labels: {version: "1", enabled: "yes", code: "017", ratio: "1.5"}
    - id: up-2
      desc: |
        several lines
        - not a list item
      nodes:
        - {host: a.example, port: 80, weight: 0}
  routes:
  - id: r-1
    uri: /api/*
    upstream_id: up-1
    plugins:
      limit-count: {count: 10, time_window: 60, rejected_code: 429}
      proxy-rewrite: {headers: {set: {X-Route: "0", X-Flag: 'no', X-Env: "${env:TEAM}"}}}
    methods: [GET, POST]
    enable_websocket: false
"""


def _variables(tmp_path: Path, env: dict[str, str]) -> Variables:
    return Variables(env, {}, tmp_path)


@pytest.mark.parametrize("name", sorted(DECLINED))
def test_declines_what_only_the_positioned_reader_may_read(name: str, tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(DECLINED[name])
    assert parse_fast(path, "state.yaml", _variables(tmp_path, {})) is None


def _same_as_positioned(path: Path, variables: Variables) -> bool:
    fast = parse_fast(path, str(path), variables)
    slow = parse_file(path, str(path), variables)
    if fast is None:
        return False
    assert slow.problems == []
    assert fast.data == slow.data and fast.has_secrets == slow.has_secrets
    assert slow.root is not None and fast.item_lines is not None
    for loc, line in fast.item_lines.items():
        assert position(find_node(slow.root, loc)[0])[0] == line, (path, loc)
    expected = {(system, section, i) for system, part in slow.data.items() if isinstance(part, dict)
                for section, items in part.items() if isinstance(items, list) for i in range(len(items))}
    assert set(fast.item_lines) == expected
    return True


def test_reads_safe_constructs_exactly_as_the_positioned_reader(tmp_path: Path) -> None:
    path = tmp_path / "state.yaml"
    path.write_text(SAFE)
    assert _same_as_positioned(path, _variables(tmp_path, {"TEAM": "payments"}))


@pytest.mark.parametrize(("directory", "env"), [("desired-state", SEED_ENV), ("examples/rich", RICH_ENV)])
def test_repository_states_read_alike(directory: str, env: dict[str, str]) -> None:
    files = sorted((REPO / directory).glob("*.yaml"))
    fast = [_same_as_positioned(path, Variables(env, {}, REPO / directory)) for path in files]
    assert any(fast), f"no file of {directory} took the fast path"
