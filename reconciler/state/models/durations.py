"""Go duration strings, because Hydra's lifespan fields take and return them.

Hydra answers ``"1h"`` with ``"1h0m0s"``; writing the normalised form into the desired body
keeps the planner from seeing a difference that is only spelling.
"""

from __future__ import annotations

import re
from typing import Final

_UNITS: Final[dict[str, int]] = {
    "ns": 1,
    "us": 1_000,
    "µs": 1_000,
    "μs": 1_000,
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
#: ASCII digits only: Go's time.ParseDuration takes nothing else (``\d`` would take Arabic-Indic or fullwidth digits).
_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")
#: Go's time.Duration is an int64 of nanoseconds (about 292 years).
_MAX_NANOS = 2**63 - 1


def parse_duration(text: str, *, positive: bool = True) -> int:
    """Nanoseconds of a Go duration such as ``"1h30m"`` or ``"1.5s"``; ``ValueError`` otherwise.

    Negative durations and a bare ``"0"`` are refused: a lifespan is always positive (with
    ``positive=False`` a zero such as ``"0s"``, which a server may return, is accepted).
    """
    if not text:
        raise ValueError("empty duration")
    pos, total = 0, 0
    while pos < len(text):
        match = _PART.match(text, pos)
        if match is None:
            raise ValueError(f"invalid duration {text!r} (write it like '1h', '30m', '1h30m' or '90s')")
        number, unit = match.groups()
        if len(number) > 30:
            raise ValueError(f"duration {text[:40]!r} is out of range")
        whole, _, frac = number.partition(".")
        scale = _UNITS[unit]
        total += int(whole or "0") * scale
        if frac:
            total += int(frac) * scale // 10 ** len(frac)
        pos = match.end()
    if total <= 0 and positive:
        raise ValueError(f"duration {text!r} must be positive")
    if total > _MAX_NANOS:
        raise ValueError(f"duration {text!r} is out of range (Go durations end near 292 years)")
    return total


def _fraction(value: int, digits: int) -> str:
    """``value`` (less than 10**digits) as a trimmed decimal fraction, e.g. ``".5"``."""
    text = str(value).rjust(digits, "0").rstrip("0")
    return f".{text}" if text else ""


def format_duration(nanos: int) -> str:
    """Go's ``time.Duration.String()`` for a non-negative duration: ``"1h0m0s"``, ``"1m30s"``, ``"500ms"``."""
    if nanos == 0:
        return "0s"
    if nanos < 1_000:
        return f"{nanos}ns"
    if nanos < 1_000_000:
        return f"{nanos // 1_000}{_fraction(nanos % 1_000, 3)}µs"
    if nanos < 1_000_000_000:
        return f"{nanos // 1_000_000}{_fraction(nanos % 1_000_000, 6)}ms"
    seconds, frac = divmod(nanos, 1_000_000_000)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{secs}{_fraction(frac, 9)}s"
    if hours or minutes:
        text = f"{minutes}m{text}"
    if hours:
        text = f"{hours}h{text}"
    return text


def normalize_duration(text: str) -> str:
    """The form Hydra stores: ``normalize_duration("1h") == "1h0m0s"``."""
    return format_duration(parse_duration(text))
