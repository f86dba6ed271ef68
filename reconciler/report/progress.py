"""Live output while ``apply`` runs: one line per finished change, a progress bar, or a JSON stream.

``apply`` calls its observer for every change it finishes, possibly from worker threads, so the
printer serialises writes with a lock.  On a terminal, and only when there are more than
``BAR_THRESHOLD`` changes, a one-line bar is redrawn in place below the event lines with ``\\r``;
piped output gets plain lines only, so CI logs stay readable.  In JSON mode every event is one
JSON object per line (see ``docs/json-output.md``), for tools that follow an apply as it runs,
and ``finish`` ends the stream with the apply result on one line, so the output stays JSON Lines.
"""

from __future__ import annotations

import threading
from typing import Final, Literal, TextIO

from reconciler.plan.changes import ApplyEvent, ApplyResult
from reconciler.report.colors import Painter
from reconciler.report.json_out import apply_document, render_event_json
from reconciler.report.text import event_line, render_apply_text
from reconciler.report.values import to_json

#: Changes above which a terminal gets a progress bar.
BAR_THRESHOLD: Final = 20
BAR_WIDTH: Final = 30
_CLEAR_LINE: Final = "\r\x1b[K"


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """``[#####.....] 120/300``: ``width`` cells, filled in proportion to ``done``."""
    filled = 0 if total <= 0 else min(width, done * width // total)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


class ApplyPrinter:
    """An ``apply`` observer that writes each finished change to ``stream`` as it happens.

    ``fmt`` is ``"text"`` (``"markdown"`` behaves as text) or ``"json"`` (one event object per
    line).  ``total`` is the number of changes apply will run; with ``tty`` (default: the
    stream's ``isatty()``) and ``total > BAR_THRESHOLD`` a progress bar is drawn.  Call
    ``close()`` when apply ends, to finish the bar's line, or ``finish(result)`` to also write
    the final report (text, or one ``apply_result`` JSON line).
    """

    def __init__(
        self,
        stream: TextIO,
        fmt: Literal["text", "json", "markdown"] = "text",
        *,
        total: int = 0,
        color: bool = False,
        tty: bool | None = None,
    ) -> None:
        if fmt not in ("text", "json", "markdown"):
            raise ValueError(f"unknown output format {fmt!r}")
        self.stream = stream
        self.json = fmt == "json"
        self.total = total
        self.done = 0
        self._painter = Painter(color)
        is_tty = _isatty(stream) if tty is None else tty
        self.bar = is_tty and not self.json and total > BAR_THRESHOLD
        self._bar_drawn = False
        self._lock = threading.Lock()

    def __call__(self, event: ApplyEvent) -> None:
        """Write one finished change (and redraw the bar)."""
        with self._lock:
            self.done += 1
            if self.json:
                self.stream.write(render_event_json(event) + "\n")
            else:
                prefix = _CLEAR_LINE if self._bar_drawn else ""
                self.stream.write(prefix + event_line(event, self._painter) + "\n")
                if self.bar:
                    self.stream.write(progress_bar(self.done, max(self.total, self.done)))
                    self._bar_drawn = True
            self.stream.flush()

    def close(self) -> None:
        """End the bar's line, so that what follows starts on a fresh line."""
        with self._lock:
            if self._bar_drawn:
                self.stream.write("\n")
                self.stream.flush()
                self._bar_drawn = False

    def finish(self, result: ApplyResult) -> None:
        """``close()``, then the end-of-apply report: text, or the result as one JSON line."""
        self.close()
        if self.json:
            text = to_json(apply_document(result), indent=None) + "\n"
        else:
            text = "\n" + render_apply_text(result, color=self._painter.enabled)
        with self._lock:
            self.stream.write(text)
            self.stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
