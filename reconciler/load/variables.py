"""``${env:NAME}``, ``${file:path}`` and ``${var:name}`` references inside YAML strings.

Secrets must never sit in Git, and one desired state must serve several environments without
copies; references solve both.  Values from the environment or from files are wrapped in
``Secret`` (they are how secrets arrive), ``${var:...}`` values from ``--var-file`` are plain.
A missing value is an error, never an empty string.  ``$${`` writes a literal ``${``.

``reconcile validate`` runs where secrets are absent by design (pre-commit hooks, CI jobs for
pull requests from forks), so with ``require_values=False`` an unset ``${env:...}`` or a missing
``${file:...}`` is not an error: the reference is still checked for form, and the string becomes
an *unresolved* ``Secret`` (``is_unresolved``) whose value checks the loader skips.

``${file:...}`` reads only regular files, at most ``MAX_FILE_BYTES``, found inside the
desired-state root (the PATH given to the command) or inside an extra root the operator named
in ``RECONCILE_FILE_ROOTS`` (``os.pathsep``-separated).  A pull request that edits the desired
state must not be able to make a plan job read ``/proc/self/environ`` or block on a FIFO.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.secrets import Secret

_TOKEN = re.compile(r"\$\$\{|\$\{")
_SOURCES = ("env", "file", "var")
#: Largest file a ``${file:...}`` reference may read (certificates and keys are a few KiB).
MAX_FILE_BYTES = 1024 * 1024
#: Environment variable naming extra directories ``${file:...}`` may read from.
FILE_ROOTS_ENV = "RECONCILE_FILE_ROOTS"


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
    #: The desired-state root ``${file:...}`` must stay inside (``base_dir`` when None).
    root: Path | None = None

    def for_dir(self, base_dir: Path) -> Variables:
        """The same sources, with ``${file:...}`` relative to ``base_dir``."""
        return Variables(self.env, self.vars, base_dir, self.require_values,
                         self.root if self.root is not None else self.base_dir)

    def roots(self) -> list[Path]:
        """The directories ``${file:...}`` may read from, resolved."""
        extra = [Path(p) for p in self.env.get(FILE_ROOTS_ENV, "").split(os.pathsep) if p]
        root = self.root if self.root is not None else self.base_dir
        return [p.resolve() for p in (root, *extra)]

    def read_file(self, name: str) -> str:
        """The text of ``name`` (relative to ``base_dir``), refused unless it is a regular file of at
        most ``MAX_FILE_BYTES`` inside one of ``roots()``; ``MissingValue`` when it does not exist."""
        ref = f"${{file:{name}}}"
        try:
            path = (self.base_dir / name).resolve()
            if not any(path.is_relative_to(root) for root in self.roots()):
                raise VariableError(f"{name!r} ({ref}) is outside the desired-state directory; name extra "
                                    f"directories in {FILE_ROOTS_ENV} to allow it")
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                raise VariableError(f"{name!r} ({ref}) is not a regular file")
            if info.st_size > MAX_FILE_BYTES:
                raise VariableError(f"{name!r} ({ref}) is larger than {MAX_FILE_BYTES} bytes")
            with path.open("rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError as exc:
            raise MissingValue(f"cannot read {name!r} ({ref}): {exc.strerror or exc}") from None
        except OSError as exc:
            raise VariableError(f"cannot read {name!r} ({ref}): {exc.strerror or exc}") from None
        if len(data) > MAX_FILE_BYTES:
            raise VariableError(f"{name!r} ({ref}) is larger than {MAX_FILE_BYTES} bytes")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise VariableError(f"{name!r} ({ref}) is not UTF-8 text") from None

    def _lookup(self, source: str, name: str) -> tuple[Any, bool]:
        """(value, is_secret) of one reference."""
        if source == "env":
            if name not in self.env:
                raise MissingValue(f"environment variable {name!r} is not set (${{env:{name}}})")
            return self.env[name], True
        if source == "file":
            text = self.read_file(name)
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
