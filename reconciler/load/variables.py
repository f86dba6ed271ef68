"""``${env:NAME}``, ``${file:path}`` and ``${var:name}`` references inside YAML strings.

Secrets must never sit in Git, and one desired state must serve several environments without
copies; references solve both.  Values from the environment or from files are wrapped in
``Secret`` (they are how secrets arrive), ``${var:...}`` values from ``--var-file`` are plain.
A missing value is an error, never an empty string.  ``$${`` writes a literal ``${``.

``reconcile validate`` runs where secrets are absent by design (pre-commit hooks, CI jobs for
pull requests from forks), so with ``require_values=False`` an unset ``${env:...}`` or a missing
``${file:...}`` is not an error: the reference is still checked for form, and the string becomes
an *unresolved* ``Secret`` (``is_unresolved``) whose value checks the loader skips.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.secrets import Secret

_TOKEN = re.compile(r"\$\$\{|\$\{")
_SOURCES = ("env", "file", "var")


#: ``Secret.origin`` of a value whose ``${env:}``/``${file:}`` reference had no value (offline validate).
UNRESOLVED = "unresolved"


class VariableError(ValueError):
    """A reference that cannot be resolved; the message names it (never a secret value)."""


class MissingValue(VariableError):
    """An ``${env:...}`` that is not set or a ``${file:...}`` that does not exist: a value not at hand."""


def is_unresolved(value: Any) -> bool:
    """True for the placeholder of a reference whose value was not at hand (offline validate only)."""
    return isinstance(value, Secret) and value.origin is not None and value.origin[:1] == (UNRESOLVED,)


@dataclass(frozen=True)
class Variables:
    """Where references are looked up: the environment, ``--var-file`` values, and the file's folder."""

    env: Mapping[str, str]
    vars: Mapping[str, Any]
    base_dir: Path
    require_values: bool = True

    def for_dir(self, base_dir: Path) -> Variables:
        """The same sources, with ``${file:...}`` relative to ``base_dir``."""
        return Variables(self.env, self.vars, base_dir, self.require_values)

    def _lookup(self, source: str, name: str) -> tuple[Any, bool]:
        """(value, is_secret) of one reference."""
        if source == "env":
            if name not in self.env:
                raise MissingValue(f"environment variable {name!r} is not set (${{env:{name}}})")
            return self.env[name], True
        if source == "file":
            path = self.base_dir / name
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError as exc:
                raise MissingValue(f"cannot read {name!r} (${{file:{name}}}): {exc.strerror or exc}") from None
            except OSError as exc:
                raise VariableError(f"cannot read {name!r} (${{file:{name}}}): {exc.strerror or exc}") from None
            except UnicodeDecodeError:
                raise VariableError(f"{name!r} (${{file:{name}}}) is not UTF-8 text") from None
            return text.removesuffix("\n").removesuffix("\r"), True
        if name not in self.vars:
            known = ", ".join(sorted(self.vars)) or "none: pass --var-file"
            raise VariableError(f"variable {name!r} is not defined (known: {known})")
        return self.vars[name], False

    def substitute(self, text: str) -> Any:
        """``text`` with every reference replaced.

        A string that is exactly one ``${var:...}`` keeps the variable's YAML type (so a port
        can come from a var file); any ``${env:...}``/``${file:...}`` makes the result a ``Secret``.
        Without ``require_values``, a string with a missing value becomes an unresolved ``Secret``
        once every reference in it has been checked.
        """
        if "${" not in text:
            return text
        parts: list[str] = []
        secret = False
        missing = False
        pos = 0
        for match in _TOKEN.finditer(text):
            if match.start() < pos:
                continue
            parts.append(text[pos : match.start()])
            if match.group() == "$${":
                parts.append("${")
                pos = match.end()
                continue
            end = text.find("}", match.end())
            if end < 0:
                raise VariableError("unterminated '${' (write '$${' for a literal '${')")
            source, sep, name = text[match.end() : end].partition(":")
            if not sep or source not in _SOURCES or not name:
                raise VariableError(
                    f"bad reference '${{{text[match.end() : end]}}}' (use ${{env:NAME}}, ${{file:path}} "
                    "or ${var:name}; '$${' for a literal '${')"
                )
            try:
                value, is_secret = self._lookup(source, name)
            except MissingValue:
                if self.require_values:
                    raise
                value, is_secret, missing = "", True, True
            if match.start() == 0 and end == len(text) - 1 and not is_secret:
                return value
            secret = secret or is_secret
            parts.append(value.reveal() if isinstance(value, Secret) else str(value))
            pos = end + 1
        parts.append(text[pos:])
        if missing:
            return Secret(text, origin=(UNRESOLVED, text))
        joined = "".join(parts)
        return Secret(joined, origin=("ref", text, str(self.base_dir))) if secret else joined
