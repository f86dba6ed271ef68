"""``ApplyPrinter``: one line per finished change, a bar on a terminal, or a JSON event stream."""

from __future__ import annotations

import io
import json
import os
import threading

import pytest

from reconciler.plan.changes import Action, ApplyEvent, Change, Outcome
from reconciler.report import ApplyPrinter
from reconciler.report.progress import BAR_THRESHOLD, progress_bar
from reconciler.state.kinds import Kind


def events(n: int) -> list[ApplyEvent]:
    out = []
    for i in range(n):
        change = Change(Kind.ROUTE, f"r{i:03d}", Action.CREATE, None, {"uri": f"/{i}"})
        outcome = Outcome.FAILED if i == 1 else Outcome.APPLIED
        out.append(ApplyEvent(change, outcome, "500 Internal Server Error" if i == 1 else ""))
    return out


def test_text_lines_without_a_terminal() -> None:
    stream = io.StringIO()
    printer = ApplyPrinter(stream, "text", total=30)
    for event in events(30):
        printer(event)
    printer.close()
    out = stream.getvalue()
    assert "\r" not in out and "[" not in out
    lines = out.splitlines()
    assert len(lines) == 30
    assert lines[0] == "  + route.r000: applied"
    assert lines[1] == "  ! route.r001: failed: 500 Internal Server Error"


def test_bar_on_a_terminal_above_the_threshold() -> None:
    stream = io.StringIO()
    total = BAR_THRESHOLD + 5
    printer = ApplyPrinter(stream, "text", total=total, tty=True)
    for event in events(total):
        printer(event)
    printer.close()
    out = stream.getvalue()
    assert f"] 1/{total}" in out
    assert out.endswith(f"[{'#' * 30}] {total}/{total}\n")
    assert out.count("\r\x1b[K") == total - 1  # the bar is erased before each new line
    assert "  + route.r024: applied\n" in out


def test_no_bar_at_or_below_the_threshold() -> None:
    stream = io.StringIO()
    printer = ApplyPrinter(stream, "text", total=BAR_THRESHOLD, tty=True)
    for event in events(BAR_THRESHOLD):
        printer(event)
    printer.close()
    assert "\r" not in stream.getvalue()


def test_real_terminal_is_detected() -> None:
    master, slave = os.openpty()
    with os.fdopen(slave, "w") as stream:
        assert ApplyPrinter(stream, "text", total=100).bar is True
        assert ApplyPrinter(stream, "json", total=100).bar is False
    os.close(master)


def test_progress_bar_drawing() -> None:
    assert progress_bar(120, 300, width=10) == "[####......] 120/300"
    assert progress_bar(0, 0, width=4) == "[....] 0/0"
    assert progress_bar(9, 3, width=4) == "[####] 9/3"


def test_json_event_stream() -> None:
    stream = io.StringIO()
    printer = ApplyPrinter(stream, "json", total=30, tty=True)
    for event in events(30):
        printer(event)
    printer.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 30
    docs = [json.loads(line) for line in lines]
    assert all(d["type"] == "apply_event" and d["format_version"] == "1" for d in docs)
    assert docs[1]["outcome"] == "failed" and docs[1]["message"] == "500 Internal Server Error"


def test_color_in_event_lines() -> None:
    stream = io.StringIO()
    printer = ApplyPrinter(stream, "text", color=True)
    printer(events(2)[1])
    assert "\x1b[31m!\x1b[0m" in stream.getvalue()


def test_concurrent_events_never_interleave() -> None:
    stream = io.StringIO()
    printer = ApplyPrinter(stream, "json", total=400)
    batch = events(50)

    def work() -> None:
        for event in batch:
            printer(event)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 400
    assert all(json.loads(line)["type"] == "apply_event" for line in lines)
    assert printer.done == 400


def test_unknown_format() -> None:
    with pytest.raises(ValueError):
        ApplyPrinter(io.StringIO(), "xml")  # type: ignore[arg-type]


def test_finish_ends_the_json_stream_with_one_result_line() -> None:
    from reconciler.plan.changes import ApplyResult

    stream = io.StringIO()
    printer = ApplyPrinter(stream, "json", total=3)
    batch = events(3)
    for event in batch:
        printer(event)
    printer.finish(ApplyResult(batch))
    docs = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [d["type"] for d in docs] == ["apply_event"] * 3 + ["apply_result"]
    assert docs[-1]["summary"] == {"applied": 2, "failed": 1, "skipped": 0}
    assert docs[-1]["ok"] is False


def test_finish_in_text_closes_the_bar_then_reports() -> None:
    from reconciler.plan.changes import ApplyResult

    stream = io.StringIO()
    batch = events(25)
    printer = ApplyPrinter(stream, "text", total=25, tty=True)
    for event in batch:
        printer(event)
    printer.finish(ApplyResult(batch))
    out = stream.getvalue()
    assert "] 25/25\n\nApply complete: 24 applied, 1 failed, 0 skipped.\n" in out
    assert out.endswith("Failed:\n  ! route.r001: 500 Internal Server Error\n")
