"""Go ``encoding/json`` and ``time`` behaviour that the Hydra emulator must reproduce.

Real Hydra is a Go program: its error bodies quote Go's JSON decoder messages ("invalid
character 'x' looking for beginning of object key string", "unexpected EOF"), its ``Decoder``
ignores anything after the first JSON value, ``metadata`` is kept as raw text and re-emitted
compacted (number spelling and key order preserved, ``<``, ``>`` and ``&`` escaped), and token
lifespans are Go durations printed by ``time.Duration.String``.  Python's ``json`` module does
none of this, so this module carries a small scanner with Go's error texts, Go's compaction and
escaping, and Go duration and time formatting.  It is pure and has no I/O.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from json.encoder import encode_basestring as _encode_string
from typing import Any

_WS = " \t\r\n"


class GoJSONError(ValueError):
    """A decode error, with the message Go's ``encoding/json`` would give."""


def _quote_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    if c.isprintable():
        return f"'{c}'"
    escapes = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}
    if c in escapes:
        return f"'{escapes[c]}'"
    code = ord(c)
    return f"'\\x{code:02x}'" if code < 0x80 else f"'\\u{code:04x}'"


class _Scanner:
    """Syntax check of the first JSON value, reporting errors as Go's scanner words them."""

    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def _eof(self) -> GoJSONError:
        return GoJSONError("unexpected EOF")

    def _bad(self, context: str) -> GoJSONError:
        return GoJSONError(f"invalid character {_quote_char(self.s[self.i])} {context}")

    def _skip(self) -> None:
        s, n = self.s, len(self.s)
        while self.i < n and s[self.i] in _WS:
            self.i += 1

    def _peek(self) -> str | None:
        return self.s[self.i] if self.i < len(self.s) else None

    def value(self) -> None:
        """Scan one value starting at the current position (whitespace allowed before it)."""
        self._skip()
        c = self._peek()
        if c is None:
            raise self._eof()
        if c == "{":
            self._object()
        elif c == "[":
            self._array()
        elif c == '"':
            self._string()
        elif c == "-" or c.isdigit():
            self._number()
        elif c in "tfn":
            self._literal({"t": "true", "f": "false", "n": "null"}[c])
        else:
            raise self._bad("looking for beginning of value")

    def _object(self, spans: list[tuple[str, int, int]] | None = None) -> None:
        self.i += 1
        self._skip()
        if self._peek() == "}":
            self.i += 1
            return
        while True:
            self._skip()
            c = self._peek()
            if c is None:
                raise self._eof()
            if c != '"':
                raise self._bad("looking for beginning of object key string")
            key_start = self.i
            self._string()
            key = json.loads(self.s[key_start : self.i])
            self._skip()
            c = self._peek()
            if c is None:
                raise self._eof()
            if c != ":":
                raise self._bad("after object key")
            self.i += 1
            self._skip()
            start = self.i
            self.value()
            if spans is not None:
                spans.append((key, start, self.i))
            self._skip()
            c = self._peek()
            if c is None:
                raise self._eof()
            if c == ",":
                self.i += 1
                continue
            if c == "}":
                self.i += 1
                return
            raise self._bad("after object key:value pair")

    def _array(self) -> None:
        self.i += 1
        self._skip()
        if self._peek() == "]":
            self.i += 1
            return
        while True:
            self.value()
            self._skip()
            c = self._peek()
            if c is None:
                raise self._eof()
            if c == ",":
                self.i += 1
                continue
            if c == "]":
                self.i += 1
                return
            raise self._bad("after array element")

    def _string(self) -> None:
        s, n = self.s, len(self.s)
        self.i += 1
        while self.i < n:
            c = s[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\":
                self.i += 1
                if self.i >= n:
                    raise self._eof()
                e = s[self.i]
                if e == "u":
                    for _ in range(4):
                        self.i += 1
                        if self.i >= n:
                            raise self._eof()
                        if s[self.i] not in "0123456789abcdefABCDEF":
                            raise self._bad("in \\u hexadecimal character escape")
                elif e not in '"\\/bfnrt':
                    raise self._bad("in string escape code")
            elif ord(c) < 0x20:
                raise self._bad("in string literal")
            self.i += 1
        raise self._eof()

    def _digits(self) -> None:
        while self.i < len(self.s) and self.s[self.i].isdigit():
            self.i += 1

    def _number(self) -> None:
        if self.s[self.i] == "-":
            self.i += 1
            c = self._peek()
            if c is None:
                raise self._eof()
            if not c.isdigit():
                raise self._bad("in numeric literal")
        if self.s[self.i] == "0":
            self.i += 1
        else:
            self._digits()
        if self._peek() == ".":
            self.i += 1
            c = self._peek()
            if c is None:
                raise self._eof()
            if not c.isdigit():
                raise self._bad("after decimal point in numeric literal")
            self._digits()
        if self._peek() in ("e", "E"):
            self.i += 1
            if self._peek() in ("+", "-"):
                self.i += 1
            c = self._peek()
            if c is None:
                raise self._eof()
            if not c.isdigit():
                raise self._bad("in exponent of numeric literal")
            self._digits()

    def _literal(self, word: str) -> None:
        for expected in word:
            c = self._peek()
            if c is None:
                raise self._eof()
            if c != expected:
                raise self._bad(f"in literal {word} (expecting {_quote_char(expected)})")
            self.i += 1


def scan_object(body: bytes) -> tuple[str, list[tuple[str, str]]]:
    """Scan the first JSON value of ``body`` as Go's ``json.Decoder`` would.

    Returns the value's kind (``object``, ``array``, ``string``, ``number``, ``bool`` or
    ``null``) and, for an object, its members as ``(key, raw value text)`` in document order.
    Text after the first value is ignored, as the decoder does.  Raises ``GoJSONError``.
    """
    text = body.decode("utf-8", errors="replace")
    sc = _Scanner(text)
    sc._skip()
    c = sc._peek()
    if c is None:
        raise GoJSONError("EOF")
    if c == "{":
        spans: list[tuple[str, int, int]] = []
        sc._object(spans)
        return "object", [(k, text[a:b]) for k, a, b in spans]
    sc.value()
    kind = {"[": "array", '"': "string", "t": "bool", "f": "bool", "n": "null"}.get(c, "number")
    return kind, []


def kind_of(raw: str) -> str:
    """Go's name for the JSON type of a raw value, as used in ``UnmarshalTypeError``."""
    c = raw[0]
    return {"{": "object", "[": "array", '"': "string", "t": "bool", "f": "bool", "n": "null"}.get(c, "number")


def _escape_html(text: str) -> str:
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def compact(raw: str) -> str:
    """Go's ``json.Compact`` with HTML escaping, applied to ``json.RawMessage`` on output."""
    out: list[str] = []
    in_string = False
    escaped = False
    for c in raw:
        if in_string:
            out.append(c)
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
            out.append(c)
        elif c not in _WS:
            out.append(c)
    return _escape_html("".join(out))


def _needs_escape(text: str) -> bool:
    return "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text


def dumps(value: Any) -> str:
    """Encode like Go's ``json.Marshal``: compact, UTF-8, HTML characters escaped.

    Strings, lists of strings and scalars take a fast path, because the emulator renders
    every client on each write and seeding benchmarks writes ten thousand of them.
    """
    if isinstance(value, str):
        text = _encode_string(value)
    elif value is None:
        return "null"
    elif isinstance(value, bool):
        return "true" if value else "false"
    elif isinstance(value, int):
        return str(value)
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        text = "[" + ",".join(_encode_string(v) for v in value) + "]"
    else:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return _escape_html(text) if _needs_escape(text) else text


# --- durations -------------------------------------------------------------------------------

_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
          "m": 60_000_000_000, "h": 3_600_000_000_000}
_PART = re.compile(r"([0-9]*)(?:\.([0-9]*))?([^0-9.]*)")


def parse_duration(text: str) -> int:
    """Parse a Go duration (``1h30m``, ``1.5s``) to nanoseconds; errors worded as Go's ``time``."""
    orig = text
    quoted = json.dumps(orig)
    sign = 1
    if text[:1] in ("+", "-"):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    if text == "0":
        return 0
    if not text:
        raise ValueError(f"time: invalid duration {quoted}")
    total = 0
    while text:
        m = _PART.match(text)
        if m is None or (not m.group(1) and not m.group(2)):
            raise ValueError(f"time: invalid duration {quoted}")
        whole, frac, unit = m.group(1), m.group(2) or "", m.group(3)
        if not unit:
            raise ValueError(f"time: missing unit in duration {quoted}")
        if unit not in _UNITS:
            raise ValueError(f"time: unknown unit {json.dumps(unit)} in duration {quoted}")
        scale = _UNITS[unit]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // 10 ** len(frac)
        text = text[m.end():]
    return sign * total


def _fmt_frac(value: int, digits: int) -> str:
    """``value`` with ``digits`` implied decimals, trailing zeros (and a bare point) dropped."""
    whole, frac = divmod(value, 10**digits)
    frac_text = f"{frac:0{digits}d}".rstrip("0")
    return f"{whole}.{frac_text}" if frac_text else str(whole)


def format_duration(ns: int) -> str:
    """Go's ``time.Duration.String``: ``1h0m0s``, ``1.5s``, ``250ms``, ``0s``."""
    if ns == 0:
        return "0s"
    neg = ns < 0
    u = -ns if neg else ns
    if u < 1_000_000_000:
        if u < 1_000:
            text = f"{u}ns"
        elif u < 1_000_000:
            text = _fmt_frac(u, 3) + "µs"
        else:
            text = _fmt_frac(u, 6) + "ms"
    else:
        hours, rest = divmod(u, 3_600_000_000_000)
        minutes, rest = divmod(rest, 60_000_000_000)
        seconds = _fmt_frac(rest, 9) + "s"
        if hours:
            text = f"{hours}h{minutes}m{seconds}"
        elif minutes:
            text = f"{minutes}m{seconds}"
        else:
            text = seconds
    return "-" + text if neg else text


# --- times -----------------------------------------------------------------------------------

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):(\d{2}))$")


def check_time(text: str) -> None:
    """Reject what Go's ``time.Time.UnmarshalJSON`` rejects (RFC 3339), with its message shape."""
    if not _RFC3339.match(text):
        layout = "2006-01-02T15:04:05Z07:00"
        raise ValueError(f"parsing time {json.dumps(text)} as {json.dumps(layout)}: "
                         f"cannot parse {json.dumps(text)} as \"2006\"")


def time_to_utc(text: str) -> str:
    """An RFC 3339 time as Hydra echoes it after a round trip: UTC, ``RFC3339Nano``."""
    m = _RFC3339.match(text)
    if m is None:
        return text
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    stamp = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    ns = int(stamp.timestamp()) * 1_000_000_000 + int(((m.group(7) or "") + "0" * 9)[:9])
    if m.group(9):
        offset = (int(m.group(10)) * 60 + int(m.group(11))) * 60 * 1_000_000_000
        ns -= offset if m.group(9) == "+" else -offset
    return rfc3339_nano(ns)


def rfc3339_nano(ns: int) -> str:
    """Format epoch nanoseconds as Go's ``RFC3339Nano`` in UTC (trailing zeros dropped)."""
    seconds, frac = divmod(ns, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    frac_text = f"{frac:09d}".rstrip("0")
    return f"{base}.{frac_text}Z" if frac_text else f"{base}Z"


def rfc3339_seconds(ns: int) -> str:
    """Epoch nanoseconds rounded half-up to whole seconds (Go's ``Round(time.Second)``), UTC."""
    seconds = (ns + 500_000_000) // 1_000_000_000
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
