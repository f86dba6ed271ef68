"""The vocabulary of a plan: actions, field changes and changes.  Pure data, no behaviour.

Modelled on Terraform's ``plans.Change`` (an action with a before and an after) and kopf's
``DiffItem`` (one changed field).  Invariants, relied on by the renderers and by ``apply``:

* ``create``: ``before is None``, ``after`` is the full desired body.
* ``delete``: ``after is None``, ``before`` is the full live body.
* ``update``: both set, and ``diff`` lists at least one ``FieldChange`` (or ``secret_rotated``).
* ``noop``: ``before == after`` after normalisation; ``diff`` is empty.

Bodies are normalised JSON values in which secret values are ``reconciler.secrets.Secret``; the
renderers mask them, so a plan can be printed or saved without leaking one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reconciler.state.kinds import Kind
from reconciler.state.registry import LEVEL_OF


class Action(StrEnum):
    """What a change does.  The symbol is Terraform's."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    NOOP = "noop"

    @property
    def symbol(self) -> str:
        """``+``, ``~``, ``-`` or a blank for no-op."""
        return {"create": "+", "update": "~", "delete": "-", "noop": " "}[self.value]


class FieldOp(StrEnum):
    """How one field changed."""

    ADD = "add"
    REMOVE = "remove"
    CHANGE = "change"


@dataclass(frozen=True)
class FieldChange:
    """One changed field.  ``path`` is dotted with ``[i]`` for list items, e.g. ``nodes[0].weight``."""

    op: FieldOp
    path: str
    old: Any = None
    new: Any = None


@dataclass(frozen=True)
class Change:
    """One object's change.  ``reason`` is for humans (e.g. ``"secret rotated"``, ``"adopted"``)."""

    kind: Kind
    key: str
    action: Action
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    diff: tuple[FieldChange, ...] = ()
    reason: str = ""
    #: The key of every desired object this change needs to exist first (for skip-on-failure).
    depends_on: tuple[tuple[Kind, str], ...] = ()

    @property
    def address(self) -> str:
        """``kind.key``, as shown in every output."""
        return f"{self.kind.value}.{self.key}"

    @property
    def sort_key(self) -> tuple[int, str]:
        """Dependency level, then key: the deterministic order of every listing."""
        return (LEVEL_OF[self.kind], self.key)


@dataclass(frozen=True)
class Unmanaged:
    """A live object the plan will not touch, and why (no marker, outside the selector...)."""

    kind: Kind
    key: str
    reason: str


@dataclass(repr=False)
class Plan:
    """A whole plan.  ``changes`` holds every declared or owned object, no-ops included.

    ``complete`` is False when some list could not be read completely; such a plan never
    deletes anything.  ``warnings`` are shown with the plan; ``errors`` make it unappliable.
    """

    changes: list[Change] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    #: Owned live objects that are no longer declared (deleted only with ``--prune``).
    orphaned: list[Unmanaged] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    complete: bool = True
    servers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # compact: asyncio may repr a finished task's result
        return f"Plan({self.summary()}, complete={self.complete}, errors={len(self.errors)})"

    @property
    def has_changes(self) -> bool:
        """True when applying the plan would write anything."""
        return any(c.action is not Action.NOOP for c in self.changes)

    def summary(self) -> dict[str, int]:
        """Counts per action, plus ``unmanaged``."""
        counts = {a.value: 0 for a in Action}
        for change in self.changes:
            counts[change.action.value] += 1
        counts["unmanaged"] = len(self.unmanaged)
        return counts


class Outcome(StrEnum):
    """What happened to one change during apply."""

    APPLIED = "applied"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ApplyEvent:
    """Emitted by ``apply`` for every change it finishes (Terraform's hook, decK's EntityAction).

    ``message`` is the server's error text for ``failed`` and the reason for ``skipped``; it never
    holds a secret value.
    """

    change: Change
    outcome: Outcome
    message: str = ""
    attempts: int = 1


@dataclass
class ApplyResult:
    """The end of an apply: every event, in completion order."""

    events: list[ApplyEvent] = field(default_factory=list)

    def by(self, outcome: Outcome) -> list[ApplyEvent]:
        """The events with this outcome, in plan order."""
        return sorted((e for e in self.events if e.outcome is outcome), key=lambda e: e.change.sort_key)

    @property
    def ok(self) -> bool:
        """True when nothing failed or was skipped."""
        return all(e.outcome is Outcome.APPLIED for e in self.events)
