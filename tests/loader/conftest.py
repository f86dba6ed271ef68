"""Fixtures of the loader tests: a network guard and the environments the fixtures expect."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

#: Environment of the broken corpus (``${env:SECRET}``, ``${env:SESSION}``).
CORPUS_ENV = {"SECRET": "s3cret-value", "SESSION": "0123456789abcdef0123"}

#: Environment of ``desired-state/`` (the seed scenario).
SEED_ENV = {
    "PHOTO_BACKUP_CLIENT_SECRET": "seed-client-secret",
    "PHOTO_BACKUP_SESSION_SECRET": "seed-session-secret-0123456789",
}

#: Environment of ``examples/rich/``.
RICH_ENV = {
    "RICH_PHOTO_WEB_SECRET": "photo-web-secret",
    "RICH_REPORTING_SECRET": "reporting-secret",
    "RICH_SESSION_SECRET": "rich-session-secret-0123",
    "RICH_ALICE_KEY": "alice-key",
    "RICH_BOB_KEY": "bob-key",
    "RICH_BOB_PASSWORD": "bob-password",
    "RICH_CAROL_JWT_SECRET": "carol-jwt-secret",
}


class NetworkGuard:
    """Records and refuses every attempt to open a connection or resolve a name."""

    def __init__(self) -> None:
        self.attempts: list[str] = []

    def refuse(self, what: str) -> Any:
        def _refuse(*args: Any, **kwargs: Any) -> Any:
            self.attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(f"network access during an offline test: {what}")

        return _refuse


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Make any network call fail; the test asserts ``guard.attempts == []`` afterwards."""
    guard = NetworkGuard()
    monkeypatch.setattr(socket.socket, "connect", guard.refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", guard.refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", guard.refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", guard.refuse("getaddrinfo"))
    yield guard


@pytest.fixture
def corpus_env() -> dict[str, str]:
    """Environment of the broken corpus."""
    return dict(CORPUS_ENV)


@pytest.fixture
def seed_env() -> dict[str, str]:
    """Environment of ``desired-state/``."""
    return dict(SEED_ENV)


@pytest.fixture
def rich_env() -> dict[str, str]:
    """Environment of ``examples/rich/``."""
    return dict(RICH_ENV)
