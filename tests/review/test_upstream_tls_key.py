"""An upstream's mTLS ``tls.client_key`` is a private key: it must never print, and, since APISIX
returns it encrypted on GET (spec §6), it must not show as drift on every plan."""

from __future__ import annotations

from pathlib import Path

import yaml

from reconciler.sandbox.runner import Sandbox
from tests.engine.states import tls_pair

from .conftest import stage_for


def write_state(path: Path, inline: bool) -> Path:
    cert, key = tls_pair()
    tls = {"client_cert": cert, "client_key": key}
    upstream = {"id": "mtls", "type": "roundrobin", "nodes": {"127.0.0.1:8081": 1}, "tls": tls}
    doc: dict[str, object] = {"apisix": {"upstreams": [upstream]}}
    if inline:
        doc = {"apisix": {"routes": [{"id": "inline", "uri": "/x", "upstream": {
            "type": "roundrobin", "nodes": {"127.0.0.1:8081": 1}, "tls": dict(tls)}}]}}
    path.mkdir()
    (path / "state.yaml").write_text(yaml.safe_dump(doc))
    return path


def key_lines() -> list[str]:
    """The key's first two base64 lines: they hold the private scalar (the rest is the public
    key, which the certificate shows too)."""
    return [line for line in tls_pair()[1].splitlines() if "PRIVATE KEY" not in line][:2]


def assert_no_key(text: str) -> None:
    for line in key_lines():
        assert line not in text


def test_upstream_client_key_is_masked_and_converges(box: Sandbox, tmp_path: Path) -> None:
    for inline in (False, True):
        stage = stage_for(box, write_state(tmp_path / f"desired-{inline}", inline))
        for fmt in ("text", "json", "markdown"):
            assert_no_key(stage.must("plan", "--output", fmt).everything)
        assert_no_key(stage.must("apply", "--auto-approve").everything)
        again = stage.must("plan", "--detailed-exitcode", "--output", "json")
        assert_no_key(again.everything)


def test_a_pruned_upstream_does_not_show_its_encrypted_key(box: Sandbox, tmp_path: Path) -> None:
    """GET returns the key encrypted with the keyring, which is APISIX's public default unless
    changed: as good as the plain key, so a delete's ``before`` must mask it too."""
    desired = write_state(tmp_path / "desired", inline=False)
    stage = stage_for(box, desired)
    stage.must("apply", "--auto-approve")
    stored = stage.apisix_value("/upstreams/mtls")["tls"]["client_key"]
    (desired / "state.yaml").write_text("apisix:\n  upstreams: []\n")
    for fmt in ("text", "json", "markdown"):
        out = stage.must("plan", "--prune", "--allow-empty", "--output", fmt)
        assert "upstream.mtls" in out.stdout
        assert stored not in out.everything


def test_dump_writes_a_placeholder_for_the_client_key(box: Sandbox, tmp_path: Path) -> None:
    """The key reads back only as ciphertext: dumping that would put it in Git, and applying the
    dump would send ciphertext as the key.  It becomes an ``${env:...}`` placeholder."""
    stage = stage_for(box, write_state(tmp_path / "desired", inline=False))
    stage.must("apply", "--auto-approve")
    stored = stage.apisix_value("/upstreams/mtls")["tls"]["client_key"]
    out_dir = tmp_path / "dumped"
    result = stage.run("dump", "--out", str(out_dir), "--system", "apisix", path=Path("--scope=owned"))
    assert result.code == 0, result.stderr
    text = "".join(p.read_text() for p in sorted(out_dir.rglob("*.yaml")))
    assert stored not in text and stored not in result.stdout
    upstream = yaml.safe_load((out_dir / "apisix-upstreams.yaml").read_text())["apisix"]["upstreams"][0]
    name = upstream["tls"]["client_key"].removeprefix("${env:").removesuffix("}")
    assert upstream["tls"]["client_key"] == f"${{env:{name}}}" and name in result.stdout
