"""Saved plans: ``reconcile plan --out plan.json``, then ``reconcile apply plan.json``.

A reviewed plan is only worth applying if the world it was made against is still the world:
the file records what the plan depended on, and apply refuses (writing nothing) when any of it
changed.  It records the masked changes, the desired state's location and a hash of it, the
options, the server versions, a version stamp of every live object read, and a PBKDF2 fingerprint
of every secret.  It holds no plaintext secret, so it can be a CI artifact: apply re-loads the
desired state (re-resolving ``${env:...}`` secrets), checks each secret against its fingerprint,
re-reads live state and re-plans; only a re-made plan identical to the saved one is applied, and
that re-made plan carries the real secrets.

The desired hash replaces every secret with its recorded (salted, slow) fingerprint, never a
plain hash.  APISIX live objects are stamped with ``modifiedIndex`` plus a hash of the body
with its secret fields masked, so no plain hash of a live secret is stored either.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from reconciler import __version__
from reconciler.config import Connection, Options
from reconciler.errors import DesiredStateError, PlanError
from reconciler.load.loader import load_state
from reconciler.plan.changes import Action, Plan
from reconciler.plan.normalize import canonical, secretize
from reconciler.plan.record import join_path, plan_record, secret_paths
from reconciler.run.apply import Observer
from reconciler.run.engine import Run, plan_and_apply_async
from reconciler.run.lease import LeaseSettings
from reconciler.secrets import Secret, mask
from reconciler.state import fingerprints
from reconciler.state.kinds import ResolvedState
from reconciler.state.live import LiveObject, LiveState
from reconciler.state.registry import HYDRA_KINDS, LEVELS

#: The plan file format this version writes and reads.
FORMAT_VERSION: Final = 1
_STALE: Final = "refusing to apply a stale plan; nothing was changed. Plan again."


class StalePlanError(PlanError):
    """The saved plan no longer matches the desired state or the live servers."""


# --- what the file records ------------------------------------------------------------------


def desired_secrets(desired: ResolvedState) -> dict[str, Secret]:
    """Every secret of the desired state by ``<kind>.<key>.<field path>``."""
    found: dict[str, Secret] = {}
    for kind in LEVELS:
        for key in sorted(desired.of(kind)):
            for path, secret in secret_paths(desired.of(kind)[key].body):
                found[f"{kind.value}.{key}.{path}"] = secret
    return found


def _substitute(value: Any, path: str, prints: dict[str, str]) -> Any:
    """``value`` with each secret replaced by its recorded fingerprint (or a marker when none)."""
    if isinstance(value, Secret):
        return {"$secret": prints.get(path, "(unrecorded)")}
    if isinstance(value, dict):
        return {k: _substitute(v, join_path(path, k), prints) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_substitute(v, f"{path}[{i}]", prints) for i, v in enumerate(value)]
    return value


def object_hashes(desired: ResolvedState, prints: dict[str, str]) -> dict[str, str]:
    """A hash per desired object, secrets replaced by their fingerprints (``prints``)."""
    out: dict[str, str] = {}
    for kind in LEVELS:
        for key in sorted(desired.of(kind)):
            address = f"{kind.value}.{key}"
            scoped = {p.removeprefix(address + "."): fp for p, fp in prints.items() if p.startswith(address + ".")}
            body = _substitute(desired.of(kind)[key].body, "", scoped)
            out[address] = hashlib.sha256(canonical(body).encode()).hexdigest()
    return out


def desired_hash(desired: ResolvedState, objects: dict[str, str]) -> str:
    """One hash of the whole desired state: its objects, systems and managed credential owners."""
    document = {"objects": objects, "systems": sorted(desired.systems),
                "managed_credentials": sorted(desired.managed_credentials)}
    return hashlib.sha256(canonical(document).encode()).hexdigest()


def live_version(obj: LiveObject) -> str:
    """What identifies one version of a live object, without a plain hash of any secret."""
    if obj.kind in HYDRA_KINDS:  # Hydra never returns client_secret; our fingerprint is PBKDF2
        return obj.content_hash()
    masked = mask(secretize(obj.body, None))
    content = hashlib.sha256(canonical(masked).encode()).hexdigest()[:32]
    return f"{obj.revision}/{content}" if obj.revision else content


def live_versions(live: LiveState) -> dict[str, str]:
    """``{"<kind>.<key>": version stamp}`` for every live object read."""
    return {f"{kind.value}.{key}": live_version(obj)
            for kind in LEVELS for key, obj in sorted(live.of(kind).items())}


def options_document(options: Options) -> dict[str, Any]:
    """The options as JSON."""
    return {"selector": dict(sorted(options.selector.items())), "owner_label": list(options.owner_label),
            "prune": options.prune, "allow_empty": options.allow_empty, "max_deletes": options.max_deletes,
            "adopt": options.adopt, "global_rule_prefix": options.global_rule_prefix}


def options_from(data: dict[str, Any]) -> Options:
    """``Options`` from ``options_document`` output."""
    owner = data["owner_label"]
    return Options(selector=dict(data["selector"]), owner_label=(str(owner[0]), str(owner[1])),
                   prune=bool(data["prune"]), allow_empty=bool(data["allow_empty"]),
                   max_deletes=int(data["max_deletes"]), adopt=bool(data["adopt"]),
                   global_rule_prefix=str(data["global_rule_prefix"]))


def save_plan(out: Path, plan: Plan, desired: ResolvedState, *, path: Path, var_files: Sequence[Path],
              options: Options, live: LiveState | None = None, conn: Connection | None = None) -> None:
    """Write ``plan`` to ``out`` (see the module docstring).  A plan with errors is not saved."""
    if plan.errors:
        raise PlanError("the plan has errors, so it was not saved to " + str(out))
    if live is None:
        raise PlanError("saving a plan needs the live state it was made from (live=run.live)")
    secrets = desired_secrets(desired)
    prints = {p: fingerprints.make_fingerprint(s) for p, s in secrets.items()}
    objects = object_hashes(desired, prints)
    document = {
        "format_version": FORMAT_VERSION,
        "type": "saved_plan",
        "created_by": f"reconcile {__version__}",
        "desired": {"path": str(path), "var_files": [str(v) for v in var_files],
                    "hash": desired_hash(desired, objects), "objects": objects},
        "options": options_document(options),
        "servers": dict(sorted(plan.servers.items())),
        "endpoints": endpoints(conn) if conn is not None else {},
        "complete": plan.complete,
        "changes": plan_record(plan),
        "live": live_versions(live),
        "secrets": prints,
    }
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(mask(document), indent=2, sort_keys=False) + "\n")
    except OSError as exc:
        raise PlanError(f"cannot write the plan to {out}: {exc.strerror or exc}") from exc


# --- applying -------------------------------------------------------------------------------


def read_plan_file(path: Path) -> dict[str, Any]:
    """The plan document; refuses an unreadable file or an unknown ``format_version``."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise PlanError(f"{path}: not a readable plan file: {exc}") from exc
    if not isinstance(document, dict) or "format_version" not in document:
        raise PlanError(f"{path}: not a plan file (no format_version)")
    if document["format_version"] != FORMAT_VERSION:
        raise PlanError(f"{path}: unsupported plan file format_version {document['format_version']!r} "
                        f"(this reconcile reads {FORMAT_VERSION}); nothing was changed; "
                        f"make the plan again with this version")
    for key in ("desired", "options", "changes", "live", "secrets", "servers"):
        if key not in document:
            raise PlanError(f"{path}: plan file lacks {key!r}")
    return document


def _names(items: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def check_desired(document: dict[str, Any], desired: ResolvedState) -> None:
    """Refuse when a secret or any desired object differs from what the plan recorded."""
    recorded: dict[str, str] = document["secrets"]
    secrets = desired_secrets(desired)
    changed = sorted(p for p, s in secrets.items() if p in recorded and not fingerprints.matches(s, recorded[p]))
    if changed:
        raise StalePlanError(f"the desired state changed since the plan was made: secret {_names(changed)} no "
                             f"longer matches its fingerprint; {_STALE}")
    objects = object_hashes(desired, {p: recorded[p] for p in secrets if p in recorded})
    if desired_hash(desired, objects) == document["desired"]["hash"] and set(secrets) == set(recorded):
        return
    before: dict[str, str] = document["desired"].get("objects", {})
    differ = sorted({a for a in objects if before.get(a) != objects[a]} | (set(before) - set(objects)))
    what = f": {_names(differ)}" if differ else ""
    raise StalePlanError(f"the desired state changed since the plan was made{what}; {_STALE}")


def check_live(document: dict[str, Any], live: LiveState, desired: ResolvedState) -> None:
    """Refuse when a live object the plan writes or declares was edited, deleted or created since."""
    if not live.complete:
        kinds = ", ".join(k.value for k in sorted(live.incomplete))
        raise StalePlanError(f"live state could not be read completely ({kinds}); cannot prove the plan is "
                             f"current; nothing was changed")
    # Only the objects the plan writes or declares decide staleness: another team's edit elsewhere
    # on a shared gateway must not block this plan.
    touched = {change["address"] for change in document["changes"]}
    touched.update(f"{kind.value}.{key}" for kind in LEVELS for key in desired.of(kind))
    before = {a: f for a, f in document["live"].items() if a in touched}
    now = {a: f for a, f in live_versions(live).items() if a in touched}
    edited = sorted(a for a in now if a in before and before[a] != now[a])
    deleted = sorted(set(before) - set(now))
    created = sorted(set(now) - set(before))
    parts = [f"{label} {_names(items)}" for label, items in
             (("edited:", edited), ("deleted:", deleted), ("created:", created)) if items]
    if parts:
        raise StalePlanError(f"live state changed since the plan was made ({'; '.join(parts)}); {_STALE}")
    servers = {name: info.version for name, info in live.servers.items()}
    if servers != document["servers"]:
        raise StalePlanError(f"the servers changed since the plan was made ({document['servers']} -> {servers}); "
                             f"{_STALE}")


def _load(document: dict[str, Any]) -> ResolvedState:
    desired = document["desired"]
    try:
        return load_state(Path(desired["path"]), var_files=[Path(v) for v in desired["var_files"]])
    except DesiredStateError as exc:
        raise StalePlanError(f"the desired state recorded in the plan no longer loads:\n  {exc}") from exc


def check_replan(document: dict[str, Any], desired: ResolvedState) -> Callable[[Run], None]:
    """The engine's ``check``: refuse unless the live state and the re-made plan match the file."""

    def check(run: Run) -> None:
        check_live(document, run.live, desired)
        if run.plan.errors:
            raise StalePlanError("re-planning now gives errors:\n  " + "\n  ".join(run.plan.errors) + f"\n{_STALE}")
        if plan_record(run.plan) != document["changes"]:
            raise StalePlanError(f"re-planning gives different changes than the saved plan; {_STALE}")

    return check


def endpoints(conn: Connection) -> dict[str, str]:
    """``scheme://host:port`` of each admin API (no path, no credentials), by system."""
    out: dict[str, str] = {}
    for system, url in (("hydra", conn.hydra_admin_url), ("apisix", conn.apisix_admin_url)):
        if url:
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            out[system] = f"{parts.scheme}://{parts.hostname}:{port}"
    return out


def check_endpoints(document: dict[str, Any], conn: Connection) -> None:
    """Refuse to apply a plan to servers other than the ones it was made against."""
    recorded: dict[str, str] = document.get("endpoints") or {}
    now = endpoints(conn)
    moved = sorted(f"{s}: planned against {recorded[s]}, now {now.get(s, 'none')}"
                   for s in recorded if now.get(s) != recorded[s])
    if moved:
        raise StalePlanError(f"the plan was made against other servers ({'; '.join(moved)}); {_STALE}")


def apply_saved_plan(path: Path, conn: Connection, *, parallelism: int, rps: float | None,
                     observer_factory: Callable[[int], Observer], lease: LeaseSettings | None = None) -> Run:
    """Apply the plan saved at ``path`` if, and only if, nothing it depended on changed."""
    document = read_plan_file(path)
    check_endpoints(document, conn)
    desired = _load(document)
    check_desired(document, desired)
    observers: list[Observer] = []

    def start(plan: Plan) -> bool:
        observers.append(observer_factory(sum(1 for c in plan.changes if c.action is not Action.NOOP)))
        return True

    def observer(event: Any) -> None:
        observers[0](event)

    return asyncio.run(plan_and_apply_async(desired, conn, options_from(document["options"]), confirm=start,
                                            parallelism=parallelism, rps=rps, observer=observer,
                                            check=check_replan(document, desired), lease=lease))


__all__ = ["FORMAT_VERSION", "StalePlanError", "apply_saved_plan", "endpoints", "read_plan_file", "save_plan"]
