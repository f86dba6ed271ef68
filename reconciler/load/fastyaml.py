"""The happy path of loading: parse a desired-state file fast, without node positions.

Positions are needed only to report a problem, but composing libyaml's node tree (every node a
Python object with two marks) is most of a cold load: about 0.15 ms per object.  ``yaml-rs`` (a
Rust parser) reads the same file some twenty times faster, without positions.  So a file is
first read here; the moment anything is not plainly fine, it is read again by ``yamlfile``,
whose answers (and problem messages, with line and column) stay the reference:

- the text is refused here when it holds anything whose meaning the two parsers could read
  differently, or that ``yamlfile`` must police: anchors and aliases (alias bombs), tags,
  merge keys, directives and document markers, NUL bytes, integers out of range, nesting past
  ``MAX_DEPTH``, and numbers written with a leading
  zero, a base prefix or underscores (YAML 1.1 and 1.2 read ``017`` or ``0o17`` differently);
- yaml-rs refuses duplicate keys and bad syntax itself;
- the data is refused when it holds a null, a date, a float or a non-string key, or when a
  string that PyYAML's implicit resolvers (YAML 1.1, which ``yamlfile`` follows) would read as
  something else (``yes``, ``1:30``, ``2026-01-01``, ``0``...) appears unquoted in the text;
- a ``${...}`` reference that cannot be resolved sends the file to ``yamlfile`` too.

Messages still name a line for each object (``file:line``): the line of each item of a
section's block list is found by a scan of the text, checked against the item count; a file
in flow style or with any surprise there goes to ``yamlfile`` as well.  Anything found wrong
later (by pydantic or by the resolver) raises ``NeedPositions``, and the loader starts over with
positions, so a user never sees a message without them.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import yaml

from reconciler.load.variables import VariableError, Variables, is_unresolved
from reconciler.load.yamlfile import MAX_DEPTH, MAX_INT, ParsedFile, read_text
from reconciler.secrets import Secret

#: Text that only ``yamlfile`` may read: anchors, aliases and tags at the start of a token,
#: merge keys, directives, document markers, NUL bytes, and numbers with a leading zero, a
#: base prefix or underscores.
_RISKY: Final = re.compile(
    r"(?:^|[\s\[\]{},])[&*!][^\s,\]}]|<<|^%|^(?:---|\.\.\.)|\x00"
    r"|(?:^|[\s\[{,])[-+]?(?:0[0-9_bBoOxX]|[0-9]+_)",
    re.MULTILINE,
)

#: A plain (unquoted) scalar in a value position: after ``key:``, a block list's ``-``, or
#: ``[``, ``{`` or ``,`` in a flow collection; up to a comment, a flow delimiter or the line's end.
_PLAIN_TOKEN: Final = re.compile(
    r"(?:^[ \t]*-[ \t]+|:[ \t]+|[\[{,][ \t]*)([^\s\"'\[\]{},#&*!|>][^\n]*?)[ \t]*(?=$|[,\]}]|[ \t]#)",
    re.MULTILINE,
)

#: Plain scalars that YAML 1.2's core schema (yaml-rs) reads as something other than a string.
_CORE_NON_STR: Final = re.compile(
    r"^(?:null|Null|NULL|~|true|True|TRUE|false|False|FALSE|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)

#: PyYAML's implicit resolvers (YAML 1.1) for everything but strings, by first character.
_RESOLVERS: Final[dict[str | None, list[tuple[str, re.Pattern[str]]]]] = yaml.SafeLoader.yaml_implicit_resolvers
_STR: Final = "tag:yaml.org,2002:str"


class NeedPositions(Exception):
    """A file read without positions has a problem: read every file again with positions."""


class _Unsure(Exception):
    """This file must be read by ``yamlfile``."""


def _reads_as_other(text: str) -> bool:
    """Whether PyYAML would read the plain scalar ``text`` as something other than a string."""
    for tag, pattern in (*_RESOLVERS.get(text[:1] if text else "", ()), *_RESOLVERS.get(None, ())):
        if tag != _STR and pattern.match(text):
            return True
    return False


class _Walk:
    """Checks the parsed data and substitutes ``${...}`` references, as ``yamlfile`` would."""

    def __init__(self, variables: Variables | None) -> None:
        self.variables = variables
        self.has_secrets = False
        #: the values of the secrets met, to be masked in any message (as ``yamlfile`` keeps them)
        self.secrets: set[str] = set()
        self.depth = 0
        #: strings that PyYAML would read as another type if they were written unquoted
        self.suspects: set[str] = set()

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            if _reads_as_other(value):
                self.suspects.add(value)  # fine only if it was quoted: see ``_plain_tokens``
            if self.variables is not None and "${" in value:
                try:
                    result = self.variables.substitute(value)
                except VariableError:
                    raise _Unsure from None
                if isinstance(result, Secret):
                    self.has_secrets = True
                    if not is_unresolved(result) and result.reveal():
                        self.secrets.add(result.reveal())
                return result
            return value
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            if abs(value) > MAX_INT:
                raise _Unsure  # out of range: ``yamlfile`` says so, with the position
            return value
        if isinstance(value, dict | list):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise _Unsure  # nested too deep: ``yamlfile`` refuses it
            try:
                if isinstance(value, list):
                    return [self.value(item) for item in value]
                out = {}
                for key, item in value.items():
                    if not isinstance(key, str) or key == "<<":
                        raise _Unsure
                    out[key] = self.value(item)
                return out
            finally:
                self.depth -= 1
        raise _Unsure  # None, float, date, datetime: only ``yamlfile`` decides what these mean


def _item_lines(text: str, data: dict[str, Any]) -> dict[tuple[str | int, ...], int]:
    """The line of each item of every ``system.section`` list, from the text's block layout."""
    lines = text.split("\n")
    out: dict[tuple[str | int, ...], int] = {}
    for system, sections in data.items():
        if not isinstance(sections, dict):
            continue
        start = _key_line(lines, 0, 0, system)
        for section, items in sections.items():
            if not isinstance(items, list) or not items:
                continue
            at = _key_line(lines, start + 1, None, section)
            found = _dash_lines(lines, at)
            if len(found) != len(items):
                raise _Unsure
            for index, line in enumerate(found):
                out[(system, section, index)] = line + 1
    return out


def _key_line(lines: list[str], start: int, indent: int | None, key: str) -> int:
    pattern = re.compile(r"^( *)" + re.escape(key) + r"\s*:")
    for number in range(start, len(lines)):
        match = pattern.match(lines[number])
        if match and (indent is None or len(match.group(1)) == indent):
            return number
    raise _Unsure


def _dash_lines(lines: list[str], key_line: int) -> list[int]:
    """Lines of the items of the block list under the key at ``key_line``."""
    key_indent = len(lines[key_line]) - len(lines[key_line].lstrip(" "))
    if lines[key_line].split(":", 1)[1].split("#", 1)[0].strip():
        raise _Unsure  # a flow list (or anything else) on the key's own line
    found: list[int] = []
    dash_indent: int | None = None
    for number in range(key_line + 1, len(lines)):
        line = lines[number]
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(stripped)
        if indent < key_indent or (indent == key_indent and not stripped.startswith("- ")):
            break
        if stripped.startswith("-") and (dash_indent is None or indent == dash_indent):
            if not stripped.startswith("- ") or not stripped[2:].strip() or stripped[2:].lstrip().startswith("#"):
                raise _Unsure  # "-" alone on its line: the item starts below
            dash_indent = indent
            found.append(number)
    return found


def parse_fast(path: Path, display: str, variables: Variables | None) -> ParsedFile | None:
    """The parsed file, or None when ``yamlfile`` must read it (see the module docstring)."""
    try:
        import yaml_rs
    except ImportError:  # pragma: no cover - an install without the optional fast parser
        return None
    try:
        text = read_text(path)  # the same size and content limits as ``yamlfile``
    except (OSError, ValueError):
        return None
    if _RISKY.search(text):
        return None
    try:
        data = yaml_rs.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    walk = _Walk(variables)
    try:
        converted = walk.value(data)
        if walk.suspects and any(m.group(1) in walk.suspects and not _CORE_NON_STR.match(m.group(1))
                                 for m in _PLAIN_TOKEN.finditer(text)):
            return None  # written unquoted: yaml-rs read a string where PyYAML reads a number, a date...
        lines = _item_lines(text, converted)
    except (_Unsure, RecursionError):
        return None
    return ParsedFile(display, data=converted, has_secrets=walk.has_secrets, secrets=frozenset(walk.secrets),
                      item_lines=lines)
