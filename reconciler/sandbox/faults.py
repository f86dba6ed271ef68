"""Fault injection for the emulators: the failures a reconciler must survive, on demand.

Tests and benchmarks add rules either in process (``FaultInjector.add``) or over HTTP through
the control path ``/__sandbox/faults`` that every emulator serves (GET lists rules and counts,
POST adds a rule from a JSON body, DELETE clears rules and counts).  Each rule matches a method
and a path prefix and fires on the Nth matching request, on every one, or on a seeded random
fraction, at most ``times`` times.  Every firing is counted, so a test can assert exactly what
happened.

Generic effects are applied before the emulator sees the request: ``status`` (an error answer,
e.g. 500, 503, or 429 with ``Retry-After``), ``latency`` (a delay, then the normal answer) and
``reset`` (the connection is dropped with no answer).  ``reset_after`` lets the emulator handle
the request and then drops the connection instead of answering: the write happened, but the
client cannot know it (the case a non-idempotent POST must survive).  Two effects need the emulator's help and
are asked for with ``take()``: ``in_use`` (APISIX's transient "still using it" 400 on a delete)
and ``truncate`` (a list page that silently comes back short).
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

CONTROL_PATH = "/__sandbox/faults"

Effect = Literal["status", "latency", "reset", "reset_after", "in_use", "truncate"]
GENERIC: frozenset[str] = frozenset({"status", "latency", "reset"})


class Asked(Protocol):
    """The parts of a request fault rules look at (``sandbox.http.Request`` has them)."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def body(self) -> bytes: ...


@dataclass(frozen=True)
class Injected:
    """What a fault answers instead of the emulator: a JSON answer, or a dropped connection.

    Plain data, so that this module needs nothing from the HTTP server that consults it.
    """

    status: int = 0
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    reset: bool = False


@dataclass
class Rule:
    """One fault rule.  ``nth`` is 1-based over the requests this rule matches."""

    effect: Effect
    method: str = "*"
    path: str = "/"
    nth: int | None = None
    fraction: float | None = None
    seed: int = 0
    times: int | None = None
    status: int = 500
    body: Any = None
    retry_after: float | None = None
    delay: float = 0.0
    seen: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def matches(self, method: str, path: str) -> bool:
        """Whether the request is one this rule looks at."""
        return (self.method == "*" or self.method.upper() == method) and path.startswith(self.path)

    def fires(self) -> bool:
        """Count one matching request; True when the fault should happen to it."""
        self.seen += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.nth is not None:
            hit = self.seen == self.nth
        elif self.fraction is not None:
            hit = self._rng.random() < self.fraction
        else:
            hit = True
        if hit:
            self.fired += 1
        return hit

    def public(self) -> dict[str, Any]:
        """The rule as JSON, for the control API."""
        data = asdict(self)
        data.pop("_rng", None)
        return data


class FaultInjector:
    """Holds rules and counts; consulted by the HTTP layer and by the emulators."""

    def __init__(self) -> None:
        self.rules: list[Rule] = []
        self.counts: dict[str, int] = {}

    def add(self, effect: Effect, **options: Any) -> Rule:
        """Add a rule, e.g. ``add("status", method="PUT", path="/apisix/admin/routes", nth=3, status=503)``."""
        rule = Rule(effect=effect, **options)
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every rule and reset the counts."""
        self.rules.clear()
        self.counts.clear()

    def _count(self, effect: str) -> None:
        self.counts[effect] = self.counts.get(effect, 0) + 1

    def take(self, effect: Effect, method: str, path: str) -> Rule | None:
        """For emulator-assisted effects: the rule that fires on this request, if any (counted)."""
        for rule in self.rules:
            if rule.effect == effect and rule.matches(method, path) and rule.fires():
                self._count(effect)
                return rule
        return None

    async def before(self, request: Asked) -> Injected | None:
        """Answer control requests, apply generic faults; None lets the emulator answer."""
        if request.path.startswith(CONTROL_PATH):
            return self._control(request)
        for rule in self.rules:
            if rule.effect not in GENERIC or not rule.matches(request.method, request.path):
                continue
            if not rule.fires():
                continue
            self._count(rule.effect)
            if rule.effect == "latency":
                await asyncio.sleep(rule.delay)
                continue
            if rule.effect == "reset":
                return Injected(reset=True)
            headers: tuple[tuple[str, str], ...] = ()
            if rule.retry_after is not None:
                headers = (("Retry-After", f"{rule.retry_after:g}"),)
            body = rule.body if rule.body is not None else {"error_msg": f"injected fault {rule.status}"}
            return Injected(rule.status, body, headers)
        return None

    def _control(self, request: Asked) -> Injected:
        if request.method == "GET":
            return Injected(200, {"rules": [r.public() for r in self.rules], "counts": self.counts})
        if request.method == "DELETE":
            self.clear()
            return Injected(200, {"rules": [], "counts": {}})
        if request.method == "POST":
            try:
                spec = json.loads(request.body or b"{}")
                effect = spec.pop("effect")
                for private in ("seen", "fired", "_rng"):
                    spec.pop(private, None)
                rule = self.add(effect, **spec)
            except (ValueError, KeyError, TypeError) as exc:
                return Injected(400, {"error_msg": f"bad fault rule: {exc}"})
            return Injected(201, rule.public())
        return Injected(405, {"error_msg": "use GET, POST or DELETE"})
