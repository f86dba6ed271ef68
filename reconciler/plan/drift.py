"""Drift: what differs between Git and the live servers, classified for a scheduled check.

A drift check must never disagree with what ``apply`` would do, so it does not compare anything
itself: the command plans with every guard opened (``drift_options``: prune on, deletes
unlimited, empty kinds allowed) and this module only sorts that plan into findings.  A create
is a *missing* object, an update a *modified* one (with its field changes), a delete an
*orphaned* one; the planner's unmanaged list gives the *unmanaged* findings (on request), and a
declared object that exists but is owned by nobody is a *conflict* rather than a crash.  Pure:
no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum

from reconciler.config import Options
from reconciler.plan.changes import Action, FieldChange, Plan
from reconciler.plan.ownership import object_labels, owner_state
from reconciler.plan.planner import SHARED_GLOBAL_RULE
from reconciler.state.kinds import Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState
from reconciler.state.registry import LEVEL_OF


class FindingKind(StrEnum):
    """How one object drifted."""

    MODIFIED = "modified"
    MISSING = "missing"
    ORPHANED = "orphaned"
    UNMANAGED = "unmanaged"
    CONFLICT = "conflict"


#: Listing order of the finding kinds in every report.
FINDING_ORDER: tuple[FindingKind, ...] = tuple(FindingKind)


@dataclass(frozen=True)
class Finding:
    """One drifted object.  ``fields`` is set for *modified* (masked only when rendered)."""

    finding: FindingKind
    kind: Kind
    key: str
    reason: str = ""
    fields: tuple[FieldChange, ...] = ()

    @property
    def address(self) -> str:
        """``kind.key``, as in plan output."""
        return f"{self.kind.value}.{self.key}"


@dataclass
class DriftReport:
    """Every finding of one check, plus what makes the check itself unreliable.

    ``incomplete`` maps a kind to why its live list is not whole; ``errors`` are problems that
    are not drift (for example a desired object the server version cannot hold).  Either one
    makes the check an error (exit 1), whatever the findings.
    """

    findings: list[Finding] = field(default_factory=list)
    incomplete: dict[Kind, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    servers: dict[str, str] = field(default_factory=dict)
    include_unmanaged: bool = False

    @property
    def complete(self) -> bool:
        """True when every live list was read whole."""
        return not self.incomplete

    @property
    def in_sync(self) -> bool:
        """True when there is no finding."""
        return not self.findings

    @property
    def exit_code(self) -> int:
        """0 in sync, 2 drift, 1 when the check could not be trusted (errors or an incomplete read)."""
        if self.errors or self.incomplete:
            return 1
        return 0 if self.in_sync else 2

    def of(self, finding: FindingKind) -> list[Finding]:
        """The findings of one kind, in report order."""
        return [f for f in self.findings if f.finding is finding]

    def summary(self) -> dict[str, int]:
        """Counts per finding kind (every kind present, zeros included)."""
        return {k.value: len(self.of(k)) for k in FINDING_ORDER}


def drift_options(options: Options) -> Options:
    """``options`` with every prune guard opened, so the plan lists every orphan as a delete."""
    return dataclasses.replace(options, prune=True, allow_empty=True, max_deletes=10**9, adopt=False)


def inside_selector(kind: Kind, obj: LiveObject | None, selector: dict[str, str]) -> bool:
    """True when ``obj`` carries every selector label (always, with no selector)."""
    if not selector:
        return True
    if obj is None:
        return False
    labels = object_labels(kind, obj.body)
    return all(labels.get(k) == v for k, v in selector.items())


def _owned(kind: Kind, obj: LiveObject, options: Options) -> bool:
    """The planner's ownership rule (declared objects only), for telling a conflict from another error."""
    return owner_state(kind, obj.key, obj.body, options, declared=True)[0]


def classify(desired: ResolvedState, live: LiveState, plan: Plan, options: Options, *,
             include_unmanaged: bool = False) -> DriftReport:
    """Sort a plan made with ``drift_options`` into findings (pure)."""
    report = DriftReport(incomplete=dict(live.incomplete), servers=dict(plan.servers),
                         include_unmanaged=include_unmanaged)
    planned = {(c.kind, c.key) for c in plan.changes}
    for change in plan.changes:
        if change.action is Action.CREATE:
            report.findings.append(Finding(FindingKind.MISSING, change.kind, change.key, "declared, absent"))
        elif change.action is Action.UPDATE:
            report.findings.append(Finding(FindingKind.MODIFIED, change.kind, change.key, change.reason,
                                           change.diff))
        elif change.action is Action.DELETE:
            report.findings.append(Finding(FindingKind.ORPHANED, change.kind, change.key, "owned, no longer declared"))
    for item in plan.orphaned:  # left undeleted by a guard (an incomplete read): still orphaned
        if item.reason == SHARED_GLOBAL_RULE:
            continue  # maybe another team's: the plan's warning says why it is left alone
        report.findings.append(Finding(FindingKind.ORPHANED, item.kind, item.key, item.reason))
    conflicts: set[str] = set()
    for kind in live.read:
        for key in desired.of(kind):
            have = live.of(kind).get(key)
            if (kind, key) in planned or have is None or _owned(kind, have, options):
                continue  # an owned object without a change has a plan error of its own kind
            address = f"{kind.value}.{key}"
            why = next((e for e in plan.errors if e.startswith(address + " ") or e.startswith(address + ":")),
                       "exists but is not managed by this run")
            conflicts.update(e for e in plan.errors if e == why)
            report.findings.append(Finding(FindingKind.CONFLICT, kind, key, why))
    report.errors = [e for e in plan.errors if e not in conflicts]
    if include_unmanaged:
        for item in plan.unmanaged:
            if inside_selector(item.kind, live.of(item.kind).get(item.key), options.selector):
                report.findings.append(Finding(FindingKind.UNMANAGED, item.kind, item.key, item.reason))
    report.warnings = [w for w in plan.warnings if not w.startswith("INCOMPLETE:")]
    report.findings.sort(key=lambda f: (FINDING_ORDER.index(f.finding), LEVEL_OF[f.kind], f.key))
    return report


__all__ = ["DriftReport", "Finding", "FindingKind", "classify", "drift_options", "inside_selector"]
