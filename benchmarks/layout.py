"""Writing a generated state to disk: the YAML desired state, and the naive script's manifest.

The YAML is split over several files the way a team splits a real repository (one file
per kind, large kinds in chunks), so that loading exercises the multi-file merge.  The
manifest is the naive baseline's input: the admin-API path and fully resolved body of every
declared object, in create order.  It holds plaintext secrets, so it lives only in the
benchmark's temporary work directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import yaml

from benchmarks.generate import ISSUER, DesiredSet, Obj

OBJECTS_PER_FILE: Final = 2_500

_SECTION: Final[dict[str, tuple[str, str]]] = {
    "client": ("hydra", "clients"),
    "upstream": ("apisix", "upstreams"),
    "service": ("apisix", "services"),
    "consumer": ("apisix", "consumers"),
    "route": ("apisix", "routes"),
}
_PATH: Final[dict[str, str]] = {
    "client": "/admin/clients/",
    "upstream": "/apisix/admin/upstreams/",
    "service": "/apisix/admin/services/",
    "consumer": "/apisix/admin/consumers/",
    "route": "/apisix/admin/routes/",
}

try:
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Dumper = yaml.SafeDumper


def _dump(path: Path, doc: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(doc, handle, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)


def write_yaml(ds: DesiredSet, directory: Path) -> list[Path]:
    """Write ``ds`` as a desired-state directory (replacing its YAML files); returns the files."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob("*.yaml"):
        old.unlink()
    written: list[Path] = []
    for kind in ("client", "upstream", "service", "consumer", "route"):
        system, section = _SECTION[kind]
        bodies = [obj.desired for _, obj in sorted(ds.objects[kind].items())]
        chunks = [bodies[i:i + OBJECTS_PER_FILE] for i in range(0, len(bodies), OBJECTS_PER_FILE)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            doc: dict[str, Any] = {system: {section: chunk}}
            if kind == "client" and number == 1:
                doc[system] = {"issuer": ISSUER, section: chunk}
            suffix = f"-{number:02d}" if len(chunks) > 1 else ""
            path = directory / f"{system}-{section}{suffix}.yaml"
            _dump(path, doc)
            written.append(path)
    return written


def path_of(obj: Obj) -> str:
    """The admin-API path of ``obj`` (Hydra v2 or APISIX v3)."""
    return _PATH[obj.kind] + obj.key


def manifest(ds: DesiredSet, deletes: list[Obj] | None = None) -> dict[str, Any]:
    """The naive script's input: every object's system, path and resolved body, plus deletions."""
    def entry(obj: Obj) -> dict[str, Any]:
        return {"system": _SECTION[obj.kind][0], "kind": obj.kind, "key": obj.key, "path": path_of(obj),
                "body": obj.wire}

    return {"objects": [entry(obj) for obj in ds.ordered()],
            "deletes": [entry(obj) for obj in deletes or []]}


def write_manifest(ds: DesiredSet, path: Path, deletes: list[Obj] | None = None) -> Path:
    """Write the naive script's manifest to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest(ds, deletes)), encoding="utf-8")
    return path
