"""The shape of one emulated APISIX plugin: schemas, priority, auth flag and extra checks.

Why a separate module: each plugin's schema is data transcribed from its 3.18.0 Lua source, and
the plugins that behave differently in legacy (<= 3.13) mode build a second variant, so both
the per-plugin modules and the registry need this one small vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]
Version = tuple[int, ...]
# (conf, schema_type, legacy) -> error text or None; may mutate conf (legacy secret generation).
Check = Callable[[dict[str, Any], str, bool], "str | None"]


def is_legacy(version: Version) -> bool:
    """Versions up to 3.13 stored defaults and invented secrets (spec §5.2)."""
    return version <= (3, 13, 99)


@dataclass(frozen=True)
class PluginDef:
    """One plugin as the Admin API sees it."""

    name: str
    priority: int
    schema: Schema
    consumer_schema: Schema | None = None
    metadata_schema: Schema | None = None
    auth: bool = False
    version: float = 0.1
    pre_check: Check | None = None
    post_check: Check | None = None
    #: no schema transcribed: any object is accepted (docs/emulator-fidelity.md)
    permissive: bool = False

    def schema_for(self, schema_type: str) -> Schema | None:
        """The schema a config of this ``schema_type`` (main, consumer, metadata) is checked with."""
        if schema_type == "consumer":
            return self.consumer_schema or self.schema
        if schema_type == "metadata":
            return self.metadata_schema
        return self.schema
