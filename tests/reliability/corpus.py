"""A generated corpus of hostile desired states, by class.

Each case is a set of files (or a special path: a FIFO, ``/dev/zero``, a symlink), the
environment it runs with, and a piece of text the error must contain.  Every case must end in
exit 1 with a located error: no traceback, no request to any server, no canary in any output.
The ``wrong_type`` class is generated from the published JSON schema, one case per field of
every kind, so a field added later is covered without a new line here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .conftest import CANARY

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "desired-state.schema.json"

#: A small valid state with one object of most kinds; cases break one thing in it.
BASE: dict[str, Any] = {
    "hydra": {
        "issuer": "http://127.0.0.1:4444/",
        "clients": [{"client_id": "c1", "scope": "openid", "grant_types": ["client_credentials"],
                     "client_secret": "${env:REL_SECRET}"}],
    },
    "apisix": {
        "upstreams": [{"id": "u1", "type": "roundrobin", "nodes": {"127.0.0.1:8081": 1}}],
        "services": [{"id": "s1", "upstream_id": "u1"}],
        "routes": [{"id": "r1", "uri": "/x", "upstream_id": "u1"}],
        "consumers": [{"username": "alice"}],
        "consumer_groups": [{"id": "g1", "plugins": {}}],
        "plugin_configs": [{"id": "p1", "plugins": {}}],
        "global_rules": [{"id": "reconcile-g1", "plugins": {}}],
    },
}
#: Where each kind sits in ``BASE``, by the schema's definition name.
KINDS = {
    "OAuth2Client": ("hydra", "clients"), "Upstream": ("apisix", "upstreams"), "Service": ("apisix", "services"),
    "Route": ("apisix", "routes"), "Consumer": ("apisix", "consumers"),
    "ConsumerGroup": ("apisix", "consumer_groups"), "PluginConfig": ("apisix", "plugin_configs"),
    "GlobalRule": ("apisix", "global_rules"),
}
ENV = {"REL_SECRET": f"secret-{CANARY}", "REL_BAD_ID": f"bad id {CANARY}!", "REL_BAD_URI": f"no uri {CANARY}",
       "REL_BAD_DURATION": f"{CANARY}h"}


@dataclass
class Case:
    """One hostile input.  ``files`` maps a relative path to bytes; ``prepare`` may add specials."""

    name: str
    cls: str
    files: dict[str, bytes] = field(default_factory=dict)
    expect: str = ""
    target: str = "."
    prepare: Callable[[Path], None] | None = None
    env: dict[str, str] = field(default_factory=dict)
    #: A value that is only missing: plain ``validate`` (offline by design) accepts it.
    offline_ok: bool = False


def dump(data: Any) -> bytes:
    """YAML text of ``data``."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def base_with(path: tuple[str | int, ...], value: Any) -> bytes:
    """``BASE`` with ``value`` set at ``path``."""
    data = json.loads(json.dumps(BASE))
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return dump(data)


def _wrong(prop: dict[str, Any]) -> Any:
    """A value of a type the property does not take."""
    types = {prop.get("type")} | {a.get("type") for a in prop.get("anyOf", [])}
    if "array" in types:
        return {"not": "a list"}
    if "object" in types or "$ref" in prop or (prop.get("anyOf") and None in types):
        return ["not", "a mapping"]
    return [["a", "list"]]


def wrong_types() -> Iterator[Case]:
    """One case per field of every kind: a value of the wrong type."""
    defs = json.loads(SCHEMA.read_text())["$defs"]
    for name, (system, section) in KINDS.items():
        for prop_name, prop in sorted(defs[name].get("properties", {}).items()):
            files = {"state.yaml": base_with((system, section, 0, prop_name), _wrong(prop))}
            yield Case(f"{name}.{prop_name}", "wrong_type", files, expect=prop_name)


def _route(**fields: Any) -> bytes:
    return base_with(("apisix", "routes", 0), {"id": "r1", "uri": "/x", "upstream_id": "u1", **fields})


def _upstream(**fields: Any) -> bytes:
    return base_with(("apisix", "upstreams", 0), {"id": "u1", "type": "roundrobin",
                                                  "nodes": {"127.0.0.1:8081": 1}, **fields})


def _text(body: str) -> dict[str, bytes]:
    return {"state.yaml": body.encode()}


def _merge_bomb(levels: int) -> bytes:
    lines = ["x-a0: &a0 {k: 1}"]
    lines += [f"x-a{i}: &a{i}\n  <<: [{', '.join([f'*a{i - 1}'] * 6)}]" for i in range(1, levels + 1)]
    return ("\n".join(lines) + "\napisix: {}\n").encode()


def _alias_bomb() -> bytes:
    lines = ['x-a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, prev in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"x-{i}: &{i} [{', '.join([f'*{prev}'] * 9)}]")
    return ("\n".join(lines) + "\napisix: {}\n").encode()


def syntax_and_structure() -> Iterator[Case]:
    """YAML that is broken, bombs, deep, or shaped wrongly."""
    yield Case("tab-indent", "yaml", _text("apisix:\n\tupstreams: []\n"), expect="YAML syntax error")
    yield Case("unclosed-flow", "yaml", _text("apisix: {upstreams: [\n"), expect="YAML syntax error")
    yield Case("two-documents", "yaml", _text("apisix: {}\n---\nhydra: {}\n"), expect="one YAML document")
    yield Case("duplicate-key", "yaml", _text("apisix: {}\napisix: {}\n"), expect="duplicate key")
    yield Case("scalar-root", "yaml", _text("just a string\n"), expect="must be a mapping")
    yield Case("list-root", "yaml", _text("- 1\n- 2\n"), expect="must be a mapping")
    yield Case("null-section", "yaml", _text("apisix:\n"), expect="empty value")
    yield Case("complex-key", "yaml", _text("? [a, b]\n: 1\napisix: {}\n"), expect="plain scalars")
    yield Case("alias-bomb", "bomb", {"state.yaml": _alias_bomb()}, expect="aliases expand")
    for levels in (7, 9, 12):
        yield Case(f"merge-bomb-{levels}", "bomb", {"state.yaml": _merge_bomb(levels)}, expect="aliases expand")
    yield Case("merge-not-mapping", "yaml", _text("apisix:\n  <<: [1, 2]\n"), expect="merge key")
    yield Case("merge-typo", "merge", _text(
        "x-defaults: &defaults\n  type: roundrobin\n  nodez: {'127.0.0.1:80': 1}\n"
        "apisix:\n  upstreams:\n    - id: u1\n      <<: *defaults\n"), expect="nodez")
    yield Case("merge-typo-list", "merge", _text(
        "x-d: &d {typ: roundrobin}\nx-e: &e {nodes: {'127.0.0.1:80': 1}}\n"
        "apisix:\n  upstreams:\n    - id: u1\n      <<: [*d, *e]\n"), expect="typ")
    for depth in (65, 900, 5000):
        deep = "[" * depth + "]" * depth
        yield Case(f"deep-vars-{depth}", "deep", {"state.yaml": _route(vars=[]).replace(b"vars: []",
                                                                                         f"vars: {deep}".encode())},
                   expect="nest")  # libyaml itself stops at 1000 levels ("maximum nesting depth")
    deep_map = "{a: " * 200 + "1" + "}" * 200
    yield Case("deep-labels", "deep", _text(f"apisix:\n  routes:\n    - id: r1\n      labels: {deep_map}\n"),
               expect="nest deeper")


def numbers() -> Iterator[Case]:
    """Numbers no JSON peer takes."""
    for name, text in (("int-5000-digits", "9" * 5000), ("hex-5000-digits", "0x" + "f" * 5000),
                       ("negative-huge", "-" + "9" * 40), ("int64-plus-one", str(2**63)),
                       ("octal-huge", "0" + "7" * 60), ("underscored-huge", "1_" * 30 + "0")):
        yield Case(name, "number", {"state.yaml": _upstream(retries=0).replace(b"retries: 0",
                                                                                f"retries: {text}".encode())},
                   expect="out of range")
    for name, text in (("inf", ".inf"), ("neg-inf", "-.inf"), ("nan", ".nan"), ("big-float", "1.0e+400")):
        body = _upstream(timeout={"connect": 1, "send": 1, "read": 1}).replace(b"connect: 1",
                                                                              f"connect: {text}".encode())
        yield Case(name, "number", {"state.yaml": body}, expect="finite")
    yield Case("exp-no-dot", "number", {"state.yaml": _upstream(retry_timeout=0).replace(
        b"retry_timeout: 0", b"retry_timeout: 1e400")}, expect="retry_timeout")
    for name, port in (("fullwidth-port", "\uff18\uff10\uff18\uff11"), ("arabic-indic-port", "\u0668\u0660\u0668\u0661"), ("port-zero", "0"),
                       ("port-huge", "70000"), ("port-sign", "+80"), ("port-space", " 80")):
        yield Case(name, "number", {"state.yaml": _upstream(nodes={f"127.0.0.1:{port}": 1})}, expect="node")
    yield Case("bool-port", "number", {"state.yaml": _upstream(nodes=[{"host": "h", "port": True, "weight": 1}])},
               expect="port")
    for name, text in (("duration-fullwidth", "\uff11h"), ("duration-huge", "9" * 40 + "h"),
                       ("duration-negative", "-1h"), ("duration-words", "one hour")):
        body = base_with(("hydra", "clients", 0, "authorization_code_grant_access_token_lifespan"), text)
        yield Case(name, "number", {"state.yaml": body}, expect="lifespan")


def unicode_and_size() -> Iterator[Case]:
    """Bytes and characters that must be refused or escaped, and sizes that must stay bounded."""
    yield Case("nul-byte", "unicode", {"state.yaml": b"apisix:\n  upstreams:\n    - id: a\x00b\n"},
               expect="character YAML does not allow")
    yield Case("not-utf8", "unicode", {"state.yaml": b"apisix: {x: \xff\xfe}\n"}, expect="UTF-8")
    yield Case("utf16-bom", "unicode", {"state.yaml": "apisix: {}\n".encode("utf-16")}, expect="state.yaml")
    for name, char in (("bidi-id", "\u202e"), ("zero-width-id", "\u200b"), ("escape-id", "\x1b[31m"),
                       ("bell-id", "\x07"), ("line-sep-id", "\u2028"), ("nul-escape-id", "\x00")):
        yield Case(name, "unicode", {"state.yaml": _upstream(id=f"a{char}b")}, expect="id")
    yield Case("bidi-key", "unicode", {"state.yaml": _upstream(**{"ty\u202epe": "x"})}, expect="unknown field")
    yield Case("emoji-id", "unicode", {"state.yaml": _upstream(id="🙂")}, expect="id")
    big = "x" * (5 * 1024 * 1024)
    yield Case("5mb-id", "size", {"state.yaml": _upstream(id=big)}, expect="characters")
    yield Case("5mb-key", "size", {"state.yaml": _upstream(**{big[:100000]: 1})}, expect="unknown field")
    yield Case("many-problems", "size", {"state.yaml": base_with(("apisix", "upstreams"), [
        {"id": f"u{i}", "typo": 1} for i in range(2000)])}, expect="unknown field")
    yield Case("file-over-64mb", "size", prepare=_sparse_huge, expect="larger than")


def _sparse_huge(root: Path) -> None:
    with (root / "huge.yaml").open("wb") as handle:
        handle.truncate(65 * 1024 * 1024)


def tags() -> Iterator[Case]:
    """Tags a safe loader must refuse."""
    for tag in ("!!python/object/apply:os.system ['true']", "!!python/name:os.system", "!custom x",
                "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!<tag:example.com,2000:x> y"):
        yield Case(f"tag-{tag.split()[0].strip('!<>').replace('/', '-').replace(':', '-')}", "tag",
                   _text(f"apisix:\n  upstreams:\n    - id: {tag}\n"), expect="")


def references() -> Iterator[Case]:
    """``${...}`` references that must fail cleanly, and secrets that fail validation."""
    yield Case("env-missing", "reference", {"state.yaml": _upstream(desc="${env:REL_NOT_SET}")}, expect="not set",
               offline_ok=True)
    yield Case("ref-unterminated", "reference", {"state.yaml": _upstream(desc="${env:X")}, expect="unterminated")
    yield Case("ref-bad-source", "reference", {"state.yaml": _upstream(desc="${shell:ls}")}, expect="bad reference")
    yield Case("var-undefined", "reference", {"state.yaml": _upstream(desc="${var:nope}")}, expect="not defined")
    yield Case("secret-as-id", "secret", {"state.yaml": _upstream(id="${env:REL_BAD_ID}")}, expect="id")
    yield Case("secret-as-ref", "secret", {"state.yaml": _route(upstream_id="${env:REL_BAD_ID}")}, expect="")
    yield Case("secret-as-uri", "secret", {"state.yaml": base_with(
        ("hydra", "clients", 0, "redirect_uris"), ["${env:REL_BAD_URI}"])}, expect="redirect_uris")
    yield Case("secret-as-duration", "secret", {"state.yaml": base_with(
        ("hydra", "clients", 0, "authorization_code_grant_access_token_lifespan"), "${env:REL_BAD_DURATION}")},
        expect="lifespan")
    yield Case("secret-as-port", "secret", {"state.yaml": _upstream(nodes={"127.0.0.1:${env:REL_BAD_ID}": 1})},
               expect="node")
    yield Case("secret-as-username", "secret", {"state.yaml": base_with(
        ("apisix", "consumers", 0, "username"), "${env:REL_BAD_ID}")}, expect="username")
    yield Case("secret-duplicate-id", "secret", {"state.yaml": base_with(("apisix", "upstreams"), [
        {"id": "${env:REL_BAD_ID}", "nodes": {"h:1": 1}}, {"id": "${env:REL_BAD_ID}", "nodes": {"h:1": 1}}])},
        expect="")
    for name, ref in (("file-abs", "/etc/passwd"), ("file-dotdot", "../../../../etc/passwd"),
                      ("file-proc", "/proc/self/environ"), ("file-dev-zero", "/dev/zero"),
                      ("file-outside", "../outside.txt")):
        yield Case(name, "file_ref", {"state.yaml": _upstream(id=f"${{file:{ref}}}")}, expect="outside",
                   prepare=_outside_file)
    yield Case("file-fifo", "file_ref", {"state.yaml": _upstream(desc="${file:pipe}")}, expect="regular file",
               prepare=_fifo("pipe"))
    yield Case("file-dir", "file_ref", {"state.yaml": _upstream(desc="${file:sub}")}, expect="regular file",
               prepare=lambda root: (root / "sub").mkdir())
    yield Case("file-symlink-out", "file_ref", {"state.yaml": _upstream(desc="${file:link}")}, expect="outside",
               prepare=_symlink_out)
    yield Case("file-too-big", "file_ref", {"state.yaml": _upstream(desc="${file:big.txt}")}, expect="larger",
               prepare=lambda root: (root / "big.txt").write_bytes(b"a" * (2 * 1024 * 1024)))
    yield Case("file-not-utf8", "file_ref", {"state.yaml": _upstream(desc="${file:bin}")}, expect="UTF-8",
               prepare=lambda root: (root / "bin").write_bytes(b"\xff\xfe\x00"))
    yield Case("file-secret-as-id", "file_ref", {"state.yaml": _upstream(id="${file:secret.txt}")}, expect="id",
               prepare=lambda root: (root / "secret.txt").write_text(f"bad id {CANARY}\n"))


def _outside_file(root: Path) -> None:
    (root.parent / "outside.txt").write_text(f"{CANARY}\n")


def _fifo(name: str) -> Callable[[Path], None]:
    import os

    return lambda root: os.mkfifo(root / name)


def _symlink_out(root: Path) -> None:
    _outside_file(root)
    (root / "link").symlink_to(root.parent / "outside.txt")


def paths() -> Iterator[Case]:
    """PATH arguments that are no desired state."""
    import os

    yield Case("empty-dir", "path", expect="declares nothing")
    yield Case("readme-only", "path", {"README.md": b"# hi\n"}, expect="declares nothing")
    yield Case("dir-named-yaml", "path", target="x.yaml", prepare=lambda r: (r / "x.yaml").mkdir(),
               expect="declares nothing")
    yield Case("dev-null", "path", target="/dev/null", expect="regular file")
    yield Case("dev-zero", "path", target="/dev/zero", expect="regular file")
    yield Case("fifo-path", "path", target="p.yaml", prepare=lambda r: os.mkfifo(r / "p.yaml"),
               expect="regular file")
    yield Case("fifo-inside-dir", "path", {"a.yaml": dump(BASE)}, prepare=lambda r: os.mkfifo(r / "b.yaml"),
               expect="regular file")
    yield Case("missing-path", "path", target="nope", expect="no such file")
    yield Case("symlink-loop", "path", {"a.yaml": dump(BASE)},
               prepare=lambda r: (r / "loop.yaml").symlink_to(r / "loop.yaml"), expect="loop.yaml")
    yield Case("dangling-symlink", "path", {"a.yaml": dump(BASE)},
               prepare=lambda r: (r / "gone.yaml").symlink_to(r / "nothing-here"), expect="gone.yaml")
    yield Case("empty-file", "path", {"a.yaml": b""}, expect="declares nothing")
    yield Case("comment-only", "path", {"a.yaml": b"# nothing\n"}, expect="declares nothing")


def structure() -> Iterator[Case]:
    """Valid YAML, wrong shapes: the section and list levels."""
    for section in ("upstreams", "routes", "services", "consumers", "ssls", "plugin_metadata"):
        yield Case(f"{section}-not-list", "shape", {"state.yaml": base_with(("apisix", section), "nope")},
                   expect=section)
        yield Case(f"{section}-item-scalar", "shape", {"state.yaml": base_with(("apisix", section), [1])},
                   expect=section)
    yield Case("clients-not-list", "shape", {"state.yaml": base_with(("hydra", "clients"), {"a": 1})},
               expect="clients")
    yield Case("unknown-section", "shape", {"state.yaml": base_with(("apisix", "routez"), [])}, expect="routez")
    yield Case("unknown-top", "shape", {"state.yaml": base_with(("kong",), {})}, expect="kong")
    yield Case("missing-id", "shape", {"state.yaml": base_with(("apisix", "upstreams", 0), {"type": "roundrobin"})},
               expect="id")
    yield Case("unknown-reference", "shape", {"state.yaml": _route(upstream_id="nope")}, expect="unknown upstream")
    yield Case("dup-across-files", "shape", {"a.yaml": dump(BASE), "b.yaml": dump(BASE)}, expect="duplicate")
    yield Case("issuer-disagrees", "shape", {"a.yaml": dump(BASE), "b.yaml": dump(
        {"hydra": {"issuer": "http://other/"}})}, expect="issuer")
    yield Case("plugin-conf-scalar", "shape", {"state.yaml": _route(plugins={"limit-count": "x"})},
               expect="limit-count")
    yield Case("plugins-list", "shape", {"state.yaml": _route(plugins=["key-auth"])}, expect="plugins")
    yield Case("oidc-unknown-client", "shape", {"state.yaml": _route(plugins={"openid-connect": {
        "client": "nope", "bearer_only": True}})}, expect="unknown Hydra client")


def all_cases() -> list[Case]:
    """Every case, in a stable order."""
    return [*wrong_types(), *syntax_and_structure(), *numbers(), *unicode_and_size(), *tags(), *references(),
            *paths(), *structure()]
