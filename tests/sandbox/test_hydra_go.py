"""Unit tests of the Go behaviour the Hydra emulator reproduces: JSON scanning, durations, times."""

from __future__ import annotations

import pytest

from reconciler.sandbox.hydra_json import (
    GoJSONError,
    compact,
    format_duration,
    parse_duration,
    rfc3339_nano,
    rfc3339_seconds,
    scan_object,
)
from reconciler.sandbox.hydra_patch import PatchError, apply_patch


@pytest.mark.parametrize(("text", "ns"), [("1h", 3_600_000_000_000), ("90m", 5_400_000_000_000),
                                          ("1.5s", 1_500_000_000), ("250ms", 250_000_000), ("0", 0),
                                          ("1h2m3.004s", 3_723_004_000_000), (".5s", 500_000_000)])
def test_parse_duration(text: str, ns: int) -> None:
    assert parse_duration(text) == ns


@pytest.mark.parametrize(("ns", "text"), [(3_600_000_000_000, "1h0m0s"), (5_400_000_000_000, "1h30m0s"),
                                          (1_500_000_000, "1.5s"), (250_000_000, "250ms"), (0, "0s"),
                                          (1_500, "1.5µs"), (61_000_000_000, "1m1s")])
def test_format_duration(ns: int, text: str) -> None:
    assert format_duration(ns) == text


@pytest.mark.parametrize(("text", "message"), [("xx", 'time: invalid duration "xx"'),
                                               ("5", 'time: missing unit in duration "5"'),
                                               ("5x", 'time: unknown unit "x" in duration "5x"')])
def test_parse_duration_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == message


@pytest.mark.parametrize(("raw", "message"), [
    (b" ", "EOF"),
    (b'{"a":tru}', "invalid character '}' in literal true (expecting 'e')"),
    (b'{"a":01}', "invalid character '1' after object key:value pair"),
    (b'{"a":"\\x"}', "invalid character 'x' in string escape code"),
    (b'{"a":[1 2]}', "invalid character '2' after array element"),
    (b'{"a":-x}', "invalid character 'x' in numeric literal"),
    (b'{"a":1.x}', "invalid character 'x' after decimal point in numeric literal"),
    (b"xx", "invalid character 'x' looking for beginning of value"),
    (b'{"a":"\x01"}', "invalid character '\\x01' in string literal"),
])
def test_scanner_errors_match_go(raw: bytes, message: str) -> None:
    with pytest.raises(GoJSONError) as info:
        scan_object(raw)
    assert str(info.value) == message


def test_scanner_returns_raw_members_and_ignores_trailing_text() -> None:
    assert scan_object(b'{"a": [1, 2.50], "b":{}} junk') == ("object", [("a", "[1, 2.50]"), ("b", "{}")])
    assert scan_object(b"null") == ("null", [])


def test_compact_keeps_spelling_and_escapes_html() -> None:
    assert compact('{ "a" : [ 1.50 , "x y<" ] }') == '{"a":[1.50,"x y\\u003c"]}'


def test_timestamps() -> None:
    assert rfc3339_seconds(1_700_000_000_600_000_000) == "2023-11-14T22:13:21Z"
    assert rfc3339_nano(1_700_000_000_123_450_000) == "2023-11-14T22:13:20.12345Z"
    assert rfc3339_nano(1_700_000_000_000_000_000) == "2023-11-14T22:13:20Z"


def test_json_patch_v2_turns_replace_on_missing_into_add() -> None:
    assert apply_patch({"a": 1}, [{"op": "replace", "path": "/b", "value": 2}], v2=True) == {"a": 1, "b": 2}
    with pytest.raises(PatchError):
        apply_patch({"a": 1}, [{"op": "replace", "path": "/b", "value": 2}], v2=False)
    with pytest.raises(PatchError):
        apply_patch({"a": 1}, [{"op": "move", "from": "/a", "path": "/b"}], v2=True)
    assert apply_patch({"a": [1, 2]}, [{"op": "move", "from": "/a/0", "path": "/a/-"}], v2=False) == {"a": [2, 1]}
