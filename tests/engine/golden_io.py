"""Reading and writing the inputs of the engine's golden cases (tests/golden/engine/<case>/).

A case is ``desired.yaml`` (the desired state), ``live.json`` (what the servers hold: detected
versions, objects by kind and key, incomplete kinds, the plugin schemas the server served) and
``options.json`` (the environment that supplies the desired state's secrets, and the planner's
``Options``).  From them the pure pipeline, load -> plan -> render, produces ``plan.txt``,
``plan.json`` and ``plan.md``, which are compared with the files kept next to them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.config import Options
from reconciler.load.loader import load_state
from reconciler.plan.changes import Plan
from reconciler.plan.planner import plan
from reconciler.state.kinds import Kind
from reconciler.state.live import LiveObject, LiveState, ServerInfo


def live_to_json(live: LiveState) -> dict[str, Any]:
    """``live`` as the JSON document of ``live.json``."""
    return {
        "servers": {name: info.version for name, info in sorted(live.servers.items())},
        "objects": {kind.value: {key: {"revision": obj.revision, "body": obj.body}
                                 for key, obj in sorted(objs.items())}
                    for kind, objs in sorted(live.objects.items(), key=lambda kv: kv[0].value) if objs},
        "read": sorted(kind.value for kind in live.read),
        "incomplete": {kind.value: why for kind, why in sorted(live.incomplete.items())},
        "schemas": {f"{name}/{stype}": schema for (name, stype), schema in sorted(live.schemas.items())},
    }


def live_from_json(doc: dict[str, Any]) -> LiveState:
    """The ``LiveState`` a ``live.json`` document describes."""
    live = LiveState()
    live.servers = {name: ServerInfo(name, version) for name, version in doc.get("servers", {}).items()}
    for kind_name, objs in doc.get("objects", {}).items():
        kind = Kind(kind_name)
        live.objects[kind] = {key: LiveObject(kind, key, o["body"], o.get("revision", "")) for key, o in objs.items()}
    live.read = frozenset(Kind(k) for k in doc.get("read", []))
    for kind in live.read:
        live.objects.setdefault(kind, {})
    live.incomplete = {Kind(k): why for k, why in doc.get("incomplete", {}).items()}
    for name_type, schema in doc.get("schemas", {}).items():
        name, _, stype = name_type.rpartition("/")
        live.schemas[(name, stype)] = schema
    return live


def options_from_json(doc: dict[str, Any]) -> Options:
    """``Options`` from the ``options`` part of ``options.json``."""
    raw = dict(doc.get("options", {}))
    if "owner_label" in raw:
        raw["owner_label"] = tuple(raw["owner_label"])
    return Options(**raw)


def plan_case(case: Path) -> Plan:
    """Load, read the recorded live state, plan: the whole pure pipeline of one case."""
    settings = json.loads((case / "options.json").read_text())
    desired = load_state(case / "desired.yaml", env=settings.get("env", {}))
    live = live_from_json(json.loads((case / "live.json").read_text()))
    return plan(desired, live, options_from_json(settings))
