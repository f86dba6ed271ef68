"""The edited desired states the scenarios apply to a seeded server.

Each scenario starts from the same live state (the base state, applied once) and a desired
state that differs from it in a known way: some objects edited (plan with 5% changed, apply of
updates), some added (apply of creates) or some dropped (prune).  The edits are the kind users
make every day (a description, a node weight, a client's name and metadata, a rate limit) and
are spread over every kind in proportion, chosen by a seeded generator so that runs compare.
"""

from __future__ import annotations

import random
from typing import Final

from benchmarks.generate import KINDS, MAKERS, DesiredSet, Obj, client_id, counts, web_clients

#: Share of the changes per kind for creates and deletes (the rest of the total goes to routes).
CREATE_MIX: Final[dict[str, float]] = {"client": 0.3, "upstream": 0.1, "consumer": 0.2}
PRUNE_MIX: Final[dict[str, float]] = {"client": 0.25, "consumer": 0.25}


def _edit(obj: Obj, rng: random.Random) -> None:
    """Change ``obj`` in both forms, the way a user edits one object in the YAML."""
    stamp = rng.randint(1, 10_000)
    for body in (obj.desired, obj.wire):
        if obj.kind == "client":
            body["client_name"] = f"{body['client_name'].split(' #')[0]} #{stamp}"
            body["metadata"] = {**body["metadata"], "revision": str(stamp)}
        elif obj.kind == "upstream":
            body["nodes"] = [{**node, "weight": (node["weight"] % 100) + 1} if i == 0 else node
                             for i, node in enumerate(body["nodes"])]
        elif obj.kind == "route" and "limit-count" in body["plugins"]:
            body["plugins"] = {**body["plugins"],
                               "limit-count": {**body["plugins"]["limit-count"], "count": 101 + 2 * stamp}}
        else:
            body["desc"] = f"edited {stamp}"


def with_edits(base: DesiredSet, n: int, salt: str = "edit") -> DesiredSet:
    """``base`` with ``n`` objects edited, spread over all kinds in proportion to their counts."""
    out = base.copy()
    rng = random.Random(f"{base.seed}:{salt}")
    keys = [(obj.kind, obj.key) for obj in out.ordered()]
    for kind, key in sorted(rng.sample(keys, min(n, len(keys)))):
        _edit(out.objects[kind][key], rng)
    return out


def with_fraction_edited(base: DesiredSet, fraction: float) -> DesiredSet:
    """``base`` with ``fraction`` of all objects edited (the "plan with 5% changed" scenario)."""
    return with_edits(base, round(base.count() * fraction), salt=f"fraction-{fraction}")


def _split(n: int, mix: dict[str, float]) -> dict[str, int]:
    share = {kind: int(n * part) for kind, part in mix.items()}
    share["route"] = n - sum(share.values())
    return share


def with_creates(base: DesiredSet, n: int) -> DesiredSet:
    """``base`` plus ``n`` new objects: routes, clients, consumers and upstreams."""
    out = base.copy()
    start = counts(base.scale)
    for kind, extra in _split(n, CREATE_MIX).items():
        for index in range(start[kind], start[kind] + extra):
            out.add(MAKERS[kind](out, index))
    return out


def referenced_clients(ds: DesiredSet) -> set[str]:
    """Clients some route's openid-connect names (they cannot be dropped alone)."""
    return {obj.desired["plugins"]["openid-connect"]["client"] for obj in ds.objects["route"].values()
            if "openid-connect" in obj.desired["plugins"]}


def without(base: DesiredSet, n: int) -> DesiredSet:
    """``base`` minus ``n`` objects nothing else refers to (routes, consumers, unused clients)."""
    out = base.copy()
    rng = random.Random(f"{base.seed}:prune")
    used = referenced_clients(base) | {client_id(i) for i in range(web_clients(base.scale))}
    for kind, drop in _split(n, PRUNE_MIX).items():
        candidates = sorted(k for k in out.objects[kind] if kind != "client" or k not in used)
        for key in rng.sample(candidates, min(drop, len(candidates))):
            del out.objects[kind][key]
    return out


def removed(before: DesiredSet, after: DesiredSet) -> list[Obj]:
    """Objects of ``before`` that ``after`` no longer declares, in delete order (reverse levels)."""
    gone = [obj for obj in before.ordered() if obj.key not in after.objects[obj.kind]]
    return sorted(gone, key=lambda o: (-KINDS.index(o.kind), o.key))
