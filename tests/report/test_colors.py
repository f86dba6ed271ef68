"""``use_color``: a terminal gets colour unless NO_COLOR says no; FORCE_COLOR forces it."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator

import pytest

from reconciler.report import use_color


@pytest.fixture
def tty() -> Iterator[io.TextIOWrapper]:
    """The slave end of a real pseudo-terminal."""
    master, slave = os.openpty()
    stream = os.fdopen(slave, "w")
    try:
        yield stream
    finally:
        stream.close()
        os.close(master)


def test_terminal_gets_colour(tty: io.TextIOWrapper) -> None:
    assert use_color(tty, env={}) is True


def test_pipe_gets_none() -> None:
    assert use_color(io.StringIO(), env={}) is False


def test_no_color_disables(tty: io.TextIOWrapper) -> None:
    assert use_color(tty, env={"NO_COLOR": "1"}) is False
    assert use_color(tty, env={"NO_COLOR": ""}) is True  # an empty NO_COLOR is ignored (no-color.org)


def test_force_color_enables_on_a_pipe() -> None:
    assert use_color(io.StringIO(), env={"FORCE_COLOR": "1"}) is True


def test_no_color_wins_over_force_color(tty: io.TextIOWrapper) -> None:
    assert use_color(tty, env={"NO_COLOR": "1", "FORCE_COLOR": "1"}) is False


def test_dumb_terminal(tty: io.TextIOWrapper) -> None:
    assert use_color(tty, env={"TERM": "dumb"}) is False


def test_closed_stream() -> None:
    stream = io.StringIO()
    stream.close()
    assert use_color(stream, env={}) is False


def test_reads_os_environ(tty: io.TextIOWrapper, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TERM", raising=False)
    monkeypatch.setenv("NO_COLOR", "yes")
    assert use_color(tty) is False
    monkeypatch.delenv("NO_COLOR")
    assert use_color(tty) is True
