"""What every adapter returns and offers, so that fetch and apply never look inside one.

Adapters hand back plain dicts with envelopes and paging removed (``LiveObject``), and expose
the same four verbs for every kind.  ``apply`` finds the adapter for a kind in a registry
(``Adapters``), as decK's ``crud.Registry`` does, instead of branching on kinds.
"""

from __future__ import annotations

from typing import Any, Protocol

from reconciler.state.kinds import Kind
from reconciler.state.live import ListResult, LiveObject, ServerInfo

__all__ = ["Adapter", "ListResult", "LiveObject", "ServerInfo"]


class Adapter(Protocol):
    """The verbs every adapter offers; bodies are JSON values that may hold ``Secret``."""

    async def detect(self) -> ServerInfo:
        """Find the server's version (and remember it for later calls)."""
        ...

    async def list(self, kind: Kind, scope: frozenset[str] | None = None) -> ListResult:
        """Every live object of ``kind``.  ``scope`` restricts credentials to these consumers."""
        ...

    async def get(self, kind: Kind, key: str) -> LiveObject | None:
        """One object, or None when it does not exist."""
        ...

    async def create(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        """Create the object."""
        ...

    async def update(self, kind: Kind, key: str, body: dict[str, Any]) -> None:
        """Replace the object with ``body`` (a full replace)."""
        ...

    async def delete(self, kind: Kind, key: str) -> None:
        """Delete the object."""
        ...
