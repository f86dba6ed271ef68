"""YAML files read with libyaml, turned into plain data while every node keeps its position.

PyYAML's ``safe_load`` loses positions, lets a duplicate key silently win and expands
"billion laughs" aliases without limit.  Here libyaml composes the node tree (fast), and one
walk builds the data: duplicate keys, unknown tags, nulls and runaway aliases become problems,
and string scalars go through variable substitution.  The node tree is kept so that an error
found later (by pydantic or by the resolver) can be mapped back to a line and column.
"""

from __future__ import annotations

import math
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml

from reconciler.errors import Problem
from reconciler.load.variables import VariableError, Variables, is_unresolved
from reconciler.secrets import Secret

#: Nodes an alias (or a merge key ``<<``) may expand to, in total per file, before the file is refused.
MAX_ALIAS_NODES: Final = 200_000
#: Largest YAML file read; anything bigger (or not a regular file: /dev/zero, a FIFO) is refused.
MAX_FILE_BYTES: Final = 64 * 1024 * 1024
#: Deepest nesting of mappings and lists; nothing in a desired state needs more, and the later
#: stages (normalise, diff) recurse once per level.
MAX_DEPTH: Final = 64
#: Largest integer magnitude taken: JSON peers (APISIX's Lua, Hydra's Go) hold 64-bit numbers.
MAX_INT: Final = 2**63 - 1

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_FLOAT = "tag:yaml.org,2002:float"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
_MERGE = "tag:yaml.org,2002:merge"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_PLAIN_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader; only its composer is used.

    ``resolve`` is PyYAML's implicit tag resolution for the safe schema, with the same answers,
    made cheaper: it is called once per node from libyaml's composer, and with tens of thousands
    of objects the generic version (path resolvers, list concatenation per call) costs seconds.
    """

    _FIRST: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {}

    def resolve(self, kind: type[yaml.Node], value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                rules = self._FIRST.get(value[:1])
                if rules is None:
                    rules = tuple(yaml.CSafeLoader.yaml_implicit_resolvers.get(value[:1] if value else "", []))
                    rules += tuple(yaml.CSafeLoader.yaml_implicit_resolvers.get(None, []))
                    self._FIRST[value[:1]] = rules
                for tag, regexp in rules:
                    if regexp.match(value):
                        return tag
            return _STR
        if kind is yaml.SequenceNode:
            return _SEQ
        return _MAP


class AliasBomb(Exception):
    """Aliases expand past ``MAX_ALIAS_NODES``."""


class TooDeep(Exception):
    """Mappings and lists nest deeper than ``MAX_DEPTH``; ``args[0]`` is the node."""


def read_text(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes.

    ``ValueError`` for anything else: ``/dev/zero`` would be read until memory runs out, a FIFO
    would block forever, and a file past the limit is no desired state anyone wrote.
    """
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file")
    if info.st_size > limit:
        raise ValueError(f"larger than {limit} bytes")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit} bytes")
    return data.decode("utf-8")


def position(node: yaml.Node) -> tuple[int, int]:
    """1-based (line, column) of a node."""
    return node.start_mark.line + 1, node.start_mark.column + 1


@dataclass
class ParsedFile:
    """One YAML file: its data (strings substituted), its node tree and the problems found."""

    display: str
    data: Any = None
    root: yaml.Node | None = None
    problems: list[Problem] = field(default_factory=list)
    has_secrets: bool = False
    #: The values every ``Secret`` of this file holds, to be masked in any message.
    secrets: frozenset[str] = frozenset()


class _Builder:
    """Turns a node tree into plain data, collecting problems instead of stopping at the first."""

    def __init__(self, display: str, variables: Variables | None, loader: _Loader) -> None:
        self.display = display
        self.variables = variables
        self.loader = loader
        self.problems: list[Problem] = []
        self.seen: set[int] = set()
        self.in_alias = 0
        self.expanded = 0
        self.path: list[str | int] = []
        self.has_secrets = False
        self.secrets: set[str] = set()
        self.depth = 0

    def problem(self, node: yaml.Node, message: str, key: str | None = None) -> None:
        line, column = position(node)
        path = dotted([*self.path, key] if key is not None else self.path)
        self.problems.append(Problem(self.display, line, column, path, message))

    def build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            if self.in_alias:
                self._count()
            return self._scalar(node)
        if self.depth >= MAX_DEPTH:
            raise TooDeep(node)
        key = id(node)
        alias = key in self.seen
        self.seen.add(key)
        if alias:
            self.in_alias += 1
        self.depth += 1
        try:
            if self.in_alias:
                self._count()
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node)
            items = []
            for index, item in enumerate(node.value):
                self.path.append(index)
                items.append(self.build(item))
                self.path.pop()
            return items
        finally:
            self.depth -= 1
            if alias:
                self.in_alias -= 1

    def _count(self) -> None:
        self.expanded += 1
        if self.expanded > MAX_ALIAS_NODES:
            raise AliasBomb

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _STR:
            if self.variables is not None and "${" in value:
                try:
                    result = self.variables.substitute(value)
                    if isinstance(result, Secret):
                        self.has_secrets = True
                        if not is_unresolved(result):  # a placeholder holds the reference text, no value
                            self.secrets.add(result.reveal())
                    return result
                except VariableError as exc:
                    self.problem(node, str(exc))
                    return value
            return value
        if tag == _INT:
            digits = value.lstrip("+-").replace("_", "")
            if len(digits) > 24:  # also keeps int() clear of Python's 4300-digit limit
                self.problem(node, f"integer {value[:20]}... is out of range (at most {MAX_INT})")
                return 0
            number = int(value) if _PLAIN_INT.match(value) else self.loader.construct_object(node)
            if abs(number) > MAX_INT:
                self.problem(node, f"integer {value} is out of range (at most {MAX_INT})")
                return 0
            return number
        if tag == _FLOAT:
            number = self.loader.construct_object(node)
            if not math.isfinite(number):
                self.problem(node, f"{value!r} is not a finite number (JSON has no infinity or NaN)")
                return 0.0
            return number
        if tag == _BOOL:
            return self.loader.construct_object(node)
        if tag == _TIMESTAMP:
            return value
        if tag == _NULL:
            self.problem(node, "empty value (null): give a value or remove the key")
            return None
        self.problem(node, f"unsupported YAML tag {tag!r}")
        return value

    def _mapping(self, node: yaml.MappingNode) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, "mapping keys must be plain scalars")
                continue
            key = key_node.value
            if key in first:
                line, column = position(first[key])
                self.problem(key_node, f"duplicate key (first at line {line}, column {column})", key)
                continue
            first[key] = key_node
            self.path.append(key)
            value = self.build(value_node)
            self.path.pop()
            if value is not None:  # a null was reported; leaving the key out avoids echo problems
                result[key] = value
        for merge in merges:
            sources = merge.value if isinstance(merge, yaml.SequenceNode) else [merge]
            for source in sources:
                if not isinstance(source, yaml.MappingNode):
                    self.problem(source, "a merge key '<<' takes a mapping or a list of mappings")
                    continue
                # Through build(), so that a merged anchor counts toward the alias limit: nested
                # ``<<: [*a, *a, ...]`` grows exponentially, exactly like nested aliases.
                merged = self.build(source)
                for key, value in merged.items():
                    result.setdefault(key, value)
        return result


def compose(text: str, display: str) -> tuple[yaml.Node | None, _Loader, list[Problem]]:
    """The node tree of one YAML document (None when empty), or a syntax problem."""
    loader = _Loader(text)
    try:
        return loader.get_single_node(), loader, []
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        message = f"the file holds a character YAML does not allow (code point {exc.character!r:.12})"
        return None, loader, [Problem(display, line, column, "", message)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        if isinstance(exc, yaml.composer.ComposerError) and "single document" in str(exc.context):
            message = "a file holds one YAML document; move the second document ('---') into its own file"
        else:
            message = f"YAML syntax error: {exc.problem}" + (f" ({exc.context})" if exc.context else "")
        return None, loader, [Problem(display, line, column, "", message)]
    finally:
        loader.dispose()


def to_data(
    root: yaml.Node, display: str, variables: Variables | None, loader: _Loader
) -> tuple[Any, list[Problem], bool]:
    """Plain data of a node tree, its problems (duplicates, nulls, tags, references, alias bombs),
    and whether any ``Secret`` came from a reference."""
    data, problems, builder = _build(root, display, variables, loader)
    return data, problems, builder.has_secrets


def _build(root: yaml.Node, display: str, variables: Variables | None, loader: _Loader
           ) -> tuple[Any, list[Problem], _Builder]:
    """``to_data``, and the builder (which knows the secret values it met)."""
    builder = _Builder(display, variables, loader)
    try:
        data = builder.build(root)
    except AliasBomb:
        line, column = position(root)
        message = f"YAML aliases expand to more than {MAX_ALIAS_NODES} nodes; refused"
        return None, [Problem(display, line, column, "", message)], builder
    except TooDeep as exc:
        line, column = position(exc.args[0])
        message = f"mappings and lists nest deeper than {MAX_DEPTH} levels; refused"
        return None, [Problem(display, line, column, dotted(builder.path), message)], builder
    return data, builder.problems, builder


def parse_file(path: Path, display: str, variables: Variables | None) -> ParsedFile:
    """Read, compose and convert one file.  ``problems`` is empty when the file is usable."""
    parsed = ParsedFile(display)
    try:
        text = read_text(path)
    except OSError as exc:
        parsed.problems.append(Problem(display, 0, 0, "", f"cannot read: {exc.strerror or exc}"))
        return parsed
    except UnicodeDecodeError as exc:
        parsed.problems.append(Problem(display, 0, 0, "", f"cannot read: not UTF-8 text (byte {exc.start})"))
        return parsed
    except ValueError as exc:
        parsed.problems.append(Problem(display, 0, 0, "", f"cannot read: {exc}"))
        return parsed
    root, loader, problems = compose(text, display)
    parsed.problems.extend(problems)
    if root is None:
        return parsed
    parsed.root = root
    parsed.data, problems, builder = _build(root, display, variables, loader)
    parsed.has_secrets = builder.has_secrets
    parsed.secrets = frozenset(s for s in builder.secrets if s)
    parsed.problems.extend(problems)
    return parsed


def find_node(root: yaml.Node, loc: Sequence[str | int]) -> tuple[yaml.Node, yaml.Node | None, list[str | int]]:
    """The deepest node along ``loc``, its parent, and the segments of ``loc`` that were followed.

    Segments that are not in the data (a missing key, or pydantic's union tags such as
    ``'function-after[...]'``) are skipped.
    """
    node: yaml.Node = root
    parent: yaml.Node | None = None
    followed: list[str | int] = []
    for segment in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(segment, str):
            found = _lookup(node, segment, 0)
            if found is not None:
                parent, node = found
                followed.append(segment)
        elif isinstance(node, yaml.SequenceNode) and isinstance(segment, int) and 0 <= segment < len(node.value):
            parent, node = node, node.value[segment]
            followed.append(segment)
    return node, parent, followed


def _lookup(mapping: yaml.MappingNode, key: str, depth: int) -> tuple[yaml.Node, yaml.Node] | None:
    """(mapping that holds ``key``, its value), looking into merge-key (``<<``) sources too."""
    merges: list[yaml.Node] = []
    for key_node, value in mapping.value:
        if key_node.tag == _MERGE:
            merges.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
        elif isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return mapping, value
    for source in merges:
        if isinstance(source, yaml.MappingNode) and depth < MAX_DEPTH:
            found = _lookup(source, key, depth + 1)
            if found is not None:
                return found
    return None


def dotted(path: Sequence[str | int]) -> str:
    """``("apisix", "routes", 2, "uri")`` as ``apisix.routes[2].uri``."""
    text = ""
    for segment in path:
        text += f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if text else segment)
    return text


def key_node(mapping: yaml.Node, key: str) -> yaml.Node | None:
    """The key node of ``key`` in a mapping node (for 'unknown field' positions)."""
    if isinstance(mapping, yaml.MappingNode):
        for k, _ in mapping.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return k
    return None
