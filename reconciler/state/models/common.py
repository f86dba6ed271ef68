"""Shared building blocks of the desired-state models: the base config and the small types
(ids, labels, names) that several APISIX resources repeat.

Every model is strict and forbids unknown fields: YAML typos must fail here, with a position,
rather than be dropped by Hydra or rejected later by APISIX with no file to point at.
Multi-type fields (an id is a string *or* an integer) use one plain validator, so a bad value
gives one clear message instead of one per union member.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema

ID_PATTERN: Final = r"^[a-zA-Z0-9-_.]+$"
_ID_RE: Final = re.compile(ID_PATTERN)
USERNAME_PATTERN: Final = r"^[a-zA-Z0-9_\-]+$"
LABEL_VALUE_PATTERN: Final = r"^\S+$"


class Strict(BaseModel):
    """Base of every desired-state model: strict types, unknown fields rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=False)


def check_id(value: Any) -> str | int:
    """APISIX's ``id_schema``: a string of 1..64 of ``[a-zA-Z0-9-_.]`` or an integer >= 1."""
    if isinstance(value, bool):
        raise ValueError("an id is a string or a positive integer, not a boolean")
    if isinstance(value, int):
        if value < 1:
            raise ValueError("an integer id must be >= 1")
        return value
    if not isinstance(value, str):
        raise ValueError("an id is a string or a positive integer")
    if not 1 <= len(value) <= 64:
        raise ValueError(f"id {value!r} must be 1..64 characters long (has {len(value)})")
    if not _ID_RE.match(value):
        raise ValueError(f"id {value!r} may hold only letters, digits, '-', '_' and '.'")
    if value in (".", ".."):
        # APISIX's pattern allows them, but in a URL path they are dot-segments that clients and
        # nginx collapse, so such an object could never be read, replaced or deleted again.
        raise ValueError(f"id {value!r} is a path dot-segment and cannot be addressed in a URL")
    return value


_ID_SCHEMA: Final[dict[str, Any]] = {
    "anyOf": [
        {"type": "string", "minLength": 1, "maxLength": 64, "pattern": ID_PATTERN, "not": {"enum": [".", ".."]}},
        {"type": "integer", "minimum": 1},
    ]
}

#: An APISIX object id (also used for references such as ``upstream_id``).
Id = Annotated[str | int, PlainValidator(check_id), WithJsonSchema(_ID_SCHEMA)]

#: ``name`` of routes, services, upstreams, consumer groups and credentials.
Name = Annotated[str, Field(min_length=1, max_length=256, description="Human-readable name (1..256).")]

#: ``desc`` of every APISIX resource.
Desc = Annotated[str, Field(max_length=256, description="Description (at most 256 characters).")]

LabelValue = Annotated[str, Field(min_length=1, max_length=256, pattern=LABEL_VALUE_PATTERN)]

#: ``labels``: free keys, values of 1..256 non-space characters.
Labels = Annotated[
    dict[str, LabelValue],
    Field(description="Key/value labels; values are 1..256 characters without whitespace."),
]
