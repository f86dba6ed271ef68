"""Live state as read from the servers: plain data, shared by fetch, the planner and apply.

The adapters fill it; the pure planner reads it.  It lives outside ``adapters`` so that the
planner can use it without importing anything that speaks HTTP.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from reconciler.state.kinds import Kind


@dataclass(frozen=True)
class LiveObject:
    """One live object.  ``body`` is the server's JSON (envelope removed, nothing normalised).

    ``revision`` is what changes whenever the object changes: APISIX's ``modifiedIndex``, or for
    Hydra (which has none) its ``updated_at``.
    """

    kind: Kind
    key: str
    body: dict[str, Any]
    revision: str = ""

    def content_hash(self) -> str:
        """A hash of the object's body (for saved plans' staleness checks; "fingerprint" is reserved
        for the salted PBKDF2 fingerprints of secrets in ``reconciler.state.fingerprints``)."""
        data = json.dumps(self.body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(data.encode()).hexdigest()[:32]


@dataclass
class ListResult:
    """One kind's live objects.  ``complete`` is False when a page was missing or short."""

    objects: dict[str, LiveObject] = field(default_factory=dict)
    complete: bool = True
    problem: str = ""


@dataclass(frozen=True)
class ServerInfo:
    """What was detected about a server."""

    system: str
    version: str
    detail: str = ""

    def at_least(self, *wanted: int) -> bool:
        """True when ``version`` is at least ``wanted`` (e.g. ``at_least(3, 14)``)."""
        parts: list[int] = []
        for piece in self.version.lstrip("v").split("."):
            digits = "".join(ch for ch in piece if ch.isdigit())
            parts.append(int(digits) if digits else 0)
        return tuple(parts[: len(wanted)]) >= wanted


@dataclass(repr=False)
class LiveState:
    """Everything read in one run.

    ``read`` lists the kinds that were read (a system the desired state does not declare is not
    read at all).  ``incomplete`` maps a kind to the reason its list is not whole.  ``schemas``
    holds the live plugin schemas by ``(plugin, "main"|"consumer"|"metadata")``.
    """

    objects: dict[Kind, dict[str, LiveObject]] = field(default_factory=dict)
    read: frozenset[Kind] = frozenset()
    incomplete: dict[Kind, str] = field(default_factory=dict)
    servers: dict[str, ServerInfo] = field(default_factory=dict)
    schemas: dict[tuple[str, str], dict[str, Any] | None] = field(default_factory=dict)

    def __repr__(self) -> str:  # compact: a full repr of 28,000 objects takes a second
        counts = {k.value: len(v) for k, v in self.objects.items() if v}
        return f"LiveState({counts}, incomplete={sorted(k.value for k in self.incomplete)})"

    def of(self, kind: Kind) -> dict[str, LiveObject]:
        """The live objects of one kind, by key."""
        return self.objects.get(kind, {})

    @property
    def complete(self) -> bool:
        """True when every list read was whole."""
        return not self.incomplete
