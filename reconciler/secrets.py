"""The one type that holds a secret value, so that no output path can print one by accident.

A ``Secret`` is not a ``str``: f-strings, ``repr``, ``str``, logging and ``json.dumps`` all see
the mask or fail, and only ``reveal()`` gives the value.  Adapters call ``reveal()`` when they
put a value on the wire (``wire()``); everything else compares, hashes and displays the
wrapper.  Equality compares the values, so the planner can tell a changed secret from an
unchanged one without ever showing either.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final, final

MASK: Final = "(sensitive value)"
#: APISIX's references to secrets it resolves itself (``$secret://<manager>/<id>/<key>``,
#: ``$env://NAME``; ``apisix/secret.lua``).  They name a secret without holding it: the tool keeps
#: them as plain strings, never resolves them and never masks them.
REFERENCE_PREFIXES: Final = ("$secret://", "$env://")


def is_reference(value: object) -> bool:
    """True for a string that is an APISIX secret reference (see ``REFERENCE_PREFIXES``)."""
    return isinstance(value, str) and value.startswith(REFERENCE_PREFIXES)


@final
class Secret:
    """A secret string.  Prints as a mask; ``reveal()`` returns the value."""

    __slots__ = ("_origin", "_value")
    _origin: tuple[str, ...] | None
    _value: str

    def __init__(self, value: str | Secret, origin: tuple[str, ...] | None = None) -> None:
        if isinstance(value, Secret):
            origin = origin if origin is not None else value._origin
            value = value.reveal()
        if not isinstance(value, str):
            raise TypeError("a Secret holds a string")
        self._value = value
        self._origin = origin

    @property
    def origin(self) -> tuple[str, ...] | None:
        """Where the value came from, without the value: ``("ref", template, base_dir)`` for a
        ``${env:..}``/``${file:..}`` reference, ``("literal",)`` for text written in the desired
        state, None when unknown.  Lets a cache record how to get the value again."""
        return self._origin

    def reveal(self) -> str:
        """The plain value.  Call only where the value goes on the wire or into a hash."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self._value == other._value
        return NotImplemented

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __len__(self) -> int:
        return len(self._value)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self  # immutable: copies may share it

    def __reduce__(self) -> tuple[Any, ...]:
        raise TypeError("a Secret cannot be pickled")


def wire(value: Any) -> Any:
    """``value`` with every ``Secret`` inside replaced by its plain value (for request bodies only)."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


def mask(value: Any) -> Any:
    """``value`` with every ``Secret`` replaced by the mask string (for reports and plan files)."""
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask(v) for v in value]
    return value


def contains_secret(value: Any) -> bool:
    """True when ``value`` holds a ``Secret`` anywhere."""
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_secret(v) for v in value)
    return False


def scrub(text: str, values: Iterable[str], *, anywhere: bool = False) -> str:
    """``text`` with every one of ``values`` replaced by the mask, in the forms a message may quote
    it (as is, ``repr``-escaped, JSON-escaped), longest first.  A value shorter than 4 characters
    is masked only where it stands quoted alone, so that masking "a" does not garble every word,
    unless ``anywhere`` (a server's answer to a request that carried the value)."""
    for value in sorted(set(values), key=len, reverse=True):
        if not value:
            continue
        forms = {value, repr(value)[1:-1], json.dumps(value)[1:-1]}
        for form in sorted(forms, key=len, reverse=True):
            if anywhere or len(value) >= 4:
                text = text.replace(form, MASK)
            else:
                text = text.replace(f"'{form}'", repr(MASK)).replace(f'"{form}"', f'"{MASK}"')
    return text
