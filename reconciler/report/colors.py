"""Terminal colour: whether to use it, and the few ANSI styles the renderers need.

The decision belongs to the command (it knows the stream), so renderers only take a ``color``
flag.  ``use_color`` follows the two informal standards users set in CI and shells: ``NO_COLOR``
(https://no-color.org: any non-empty value disables colour) and ``FORCE_COLOR`` (any non-empty
value enables it, even when the stream is not a terminal).  ``NO_COLOR`` wins when both are set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Final, Protocol

from reconciler.plan.changes import Action, Outcome

RESET: Final = "\x1b[0m"
BOLD: Final = "\x1b[1m"
DIM: Final = "\x1b[2m"
RED: Final = "\x1b[31m"
GREEN: Final = "\x1b[32m"
YELLOW: Final = "\x1b[33m"

ACTION_STYLE: Final[dict[Action, str]] = {
    Action.CREATE: GREEN,
    Action.UPDATE: YELLOW,
    Action.DELETE: RED,
    Action.NOOP: DIM,
}

OUTCOME_STYLE: Final[dict[Outcome, str]] = {
    Outcome.APPLIED: GREEN,
    Outcome.FAILED: RED,
    Outcome.SKIPPED: YELLOW,
}


class _Stream(Protocol):
    def isatty(self) -> bool: ...


def use_color(stream: _Stream, env: Mapping[str, str] | None = None) -> bool:
    """True when output to ``stream`` should be coloured (``env`` defaults to ``os.environ``)."""
    environ = os.environ if env is None else env
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    if environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):  # closed or exotic streams
        return False


class Painter:
    """Wraps text in ANSI styles when enabled, and returns it unchanged otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def style(self, text: str, *styles: str) -> str:
        """``text`` in the given styles (or as is)."""
        if not self.enabled or not styles or not text:
            return text
        return "".join(styles) + text + RESET

    def bold(self, text: str) -> str:
        """Bold text, for headers."""
        return self.style(text, BOLD)

    def action(self, text: str, action: Action) -> str:
        """Text in the colour of an action (green create, yellow update, red delete)."""
        return self.style(text, ACTION_STYLE[action])

    def outcome(self, text: str, outcome: Outcome) -> str:
        """Text in the colour of an apply outcome."""
        return self.style(text, OUTCOME_STYLE[outcome])
