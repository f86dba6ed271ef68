"""Load a desired state: YAML files -> validated, merged, resolved ``ResolvedState``.

The entry point of the pipeline.  It reads every ``*.yaml``/``*.yml`` file under a path, turns
each into data with positions (``reconciler.load.yamlfile``), substitutes ``${...}`` references,
validates each file against ``DesiredStateFile`` and maps every pydantic error back to a line
and column, then hands the valid files to ``reconciler.load.resolve``.  It collects *every* problem
before raising, so one run of ``reconcile validate`` shows them all.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.errors import DesiredStateError, Problem
from reconciler.load import cache as loadcache
from reconciler.load.resolve import resolve
from reconciler.load.variables import Variables, is_unresolved
from reconciler.load.yamlfile import (
    ParsedFile,
    compose,
    dotted,
    find_node,
    key_node,
    parse_file,
    position,
    read_text,
    to_data,
)
from reconciler.secrets import Secret, scrub, wire
from reconciler.state.kinds import ResolvedState
from reconciler.state.models.closed_sets import not_one_of
from reconciler.state.models.desired import DesiredStateFile

__all__ = ["load_state", "read_var_files", "yaml_files"]

_TYPE_MESSAGES = {
    "model_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "float_type": "must be a number",
}


def yaml_files(path: Path) -> list[Path]:
    """``path`` itself, or every ``*.yaml``/``*.yml`` under it (recursively, sorted).

    Hidden files and directories (``.github/``, ``.pre-commit-config.yaml``) are not part of a
    desired state and are skipped.  A ``*.yaml`` entry that is not a regular file (a FIFO, a
    dangling or looping symlink) is listed, so that reading it reports it instead of a silent skip.
    """
    if path.is_dir():
        return sorted(
            p
            for p in path.rglob("*")
            if p.suffix in (".yaml", ".yml")
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
            and not p.is_dir()
        )
    return [path]


def read_var_files(var_files: Sequence[Path]) -> tuple[dict[str, Any], list[Problem]]:
    """Merged ``--var-file`` mappings (later files win) and the problems found in them."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for path in var_files:
        display = str(path)
        try:
            text = read_text(path)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problems.append(Problem(display, 0, 0, "", f"cannot read var file: {exc}"))
            continue
        root, loader, found = compose(text, display)
        problems += found
        if root is None:
            continue
        data, found, _ = to_data(root, display, None, loader)
        problems += found
        if not isinstance(data, dict):
            line, column = position(root)
            problems.append(Problem(display, line, column, "", "a var file must be a mapping of name: value"))
        elif not found:
            values.update(data)
    return values, problems


def _allowed(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """Field names (aliases) of the model reached by ``loc``, for 'unknown field' hints."""
    current: Any = model
    for segment in loc:
        if isinstance(segment, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields:
            return []
        found = next((f for n, f in fields.items() if (f.alias or n) == segment), None)
        if found is None:
            return []
        current = _model_in(found.annotation)
    fields = getattr(current, "model_fields", None) or {}
    return sorted(f.alias or n for n, f in fields.items())


def _hint(name: str, allowed: list[str]) -> str:
    """`` (did you mean 'x'?)``, or the allowed names when they are few, or nothing."""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)
    if close:
        return f" (did you mean {close[0]!r}?)"
    if 0 < len(allowed) <= 12:
        return f" (allowed: {', '.join(allowed)})"
    return ""


def _model_in(annotation: Any) -> Any:
    """The BaseModel inside ``X | None``, ``list[X]`` or ``Annotated[X, ...]``, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        model = _model_in(arg)
        if model is not None:
            return model
    origin = getattr(annotation, "__origin__", None)
    return _model_in(origin) if origin is not None and origin is not annotation else None


def _value_at(data: Any, path: Sequence[str | int]) -> Any:
    for segment in path:
        try:
            data = data[segment]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _closed_set_message(expected: str, value: Any) -> str:
    """``'round-robin' is not one of roundrobin, chash, ... (did you mean 'roundrobin'?)``."""
    allowed: list[Any] = [a.strip("'") for a in re.findall(r"'[^']*'|-?\d+", expected)]
    if isinstance(value, Secret) or value is None:
        return f"must be one of {', '.join(str(a) for a in allowed)}"
    return not_one_of(value, allowed)


def _problems_of(error: ValidationError, parsed: ParsedFile) -> list[Problem]:
    """Problems located in the file.  At a reference whose value is not at hand (offline validate),
    only a type error counts: the place must take a string, the value's own rules wait for it."""
    assert parsed.root is not None
    problems = []
    for err in error.errors(include_url=False, include_input=False):
        loc, kind = err["loc"], err["type"]
        node, parent, followed = find_node(parsed.root, loc)
        if not kind.endswith("_type") and is_unresolved(_value_at(parsed.data, followed)):
            continue
        path: list[str | int] = list(followed)
        message = err["msg"].removeprefix("Value error, ")
        if kind == "missing":
            path.append(loc[-1])
            message = "required field is missing"
        elif kind == "extra_forbidden":
            for holder in (parent, node):
                found_key = key_node(holder, str(loc[-1])) if holder is not None else None
                if found_key is not None:
                    node = found_key
                    break
            message = "unknown field" + _hint(str(loc[-1]), _allowed(DesiredStateFile, loc[:-1]))
        elif kind in _TYPE_MESSAGES:
            message = _TYPE_MESSAGES[kind]
        elif kind in ("literal_error", "enum"):
            message = _closed_set_message(err.get("ctx", {}).get("expected", ""), _value_at(parsed.data, followed))
        line, column = position(node)
        problems.append(Problem(parsed.display, line, column, dotted(path), message))
    return _merge_union_types(problems)


def _merge_union_types(problems: list[Problem]) -> list[Problem]:
    """One ``must be a string or a list`` instead of one line per member of a union type."""
    merged: list[Problem] = []
    for problem in problems:
        last = merged[-1] if merged else None
        same_spot = last is not None and (last.file, last.line, last.column, last.path) == (
            problem.file, problem.line, problem.column, problem.path
        )
        if last is not None and same_spot and last.message.startswith("must be ") and problem.message.startswith(
            "must be "
        ):
            message = f"{last.message} or {problem.message.removeprefix('must be ')}"
            merged[-1] = Problem(last.file, last.line, last.column, last.path, message)
        else:
            merged.append(problem)
    return merged


def check_file(parsed: ParsedFile) -> list[Problem]:
    """Validate one parsed file against ``DesiredStateFile``; problems located in the file."""
    if parsed.root is None or parsed.data is None:
        return []
    if not isinstance(parsed.data, dict):
        line, column = position(parsed.root)
        found = type(parsed.data).__name__.replace("str", "a string").replace("list", "a list")
        message = f"a desired-state file must be a mapping with 'hydra:' and/or 'apisix:' (found {found})"
        return [Problem(parsed.display, line, column, "", message)]
    data = {k: v for k, v in parsed.data.items() if not k.startswith("x-")}
    try:
        DesiredStateFile.model_validate(wire(data) if parsed.has_secrets else data)
    except ValidationError as exc:
        return _problems_of(exc, parsed)
    return []


def load_files(
    path: Path, *, var_files: Sequence[Path] = (), env: Mapping[str, str] | None = None,
    require_values: bool = True,
) -> tuple[list[ParsedFile], list[Problem]]:
    """Parse and validate every file; the parsed files and every problem found (not yet resolved)."""
    values, problems = read_var_files(var_files)
    files = yaml_files(path)
    if not path.exists():
        return [], [Problem(str(path), 0, 0, "", "no such file or directory")]
    root = path if path.is_dir() else path.parent
    base = Variables(dict(os.environ) if env is None else env, values, root, require_values, root)
    parsed_files = []
    for file in files:
        parsed = parse_file(file, str(file), base.for_dir(file.parent))
        spots = {(p.line, p.column) for p in parsed.problems}
        problems += parsed.problems
        problems += [p for p in check_file(parsed) if (p.line, p.column) not in spots]
        parsed_files.append(parsed)
    return parsed_files, problems


def load_state(
    path: Path, *, var_files: Sequence[Path] = (), env: Mapping[str, str] | None = None,
    require_values: bool = True,
) -> ResolvedState:
    """The resolved desired state under ``path``; ``DesiredStateError`` lists every problem.

    ``env`` defaults to ``os.environ``; ``var_files`` supply ``${var:name}`` (later files win).
    ``require_values=False`` (offline validate only) accepts references whose values are not at
    hand; such a state holds placeholders, so it is never cached and never planned.
    """
    path = Path(path)
    env = dict(os.environ) if env is None else env
    if not require_values:
        parsed_files, problems = load_files(path, var_files=var_files, env=env, require_values=False)
        return _resolve(parsed_files, problems)
    digest = _cache_digest(path, var_files)
    if digest is not None:
        values, var_problems = read_var_files(var_files)
        cached = None if var_problems else loadcache.read(digest, env, values)
        if cached is not None:
            return cached
    parsed_files, problems = load_files(path, var_files=var_files, env=env)
    state = _resolve(parsed_files, problems)
    if digest is not None:
        loadcache.write(digest, state)
    return state


def _resolve(parsed_files: list[ParsedFile], problems: list[Problem]) -> ResolvedState:
    """``resolve``, with every secret value masked in the problems it raises: validators and the
    resolver quote the values they refuse, and a value from ``${env:...}`` or ``${file:...}`` must
    not reach a terminal or a CI log."""
    try:
        return resolve(parsed_files, prior=problems)
    except DesiredStateError as exc:
        secrets = {value for parsed in parsed_files for value in parsed.secrets}
        raise DesiredStateError([scrub_problem(p, secrets) for p in exc.problems]) from None


def scrub_problem(problem: Problem, secrets: set[str]) -> Problem:
    """``problem`` with every secret value masked in its message."""
    if not secrets:
        return problem
    message = scrub(problem.message, secrets)
    return problem if message == problem.message else Problem(problem.file, problem.line, problem.column,
                                                                problem.path, message)


def _cache_digest(path: Path, var_files: Sequence[Path]) -> str | None:
    """The load cache's key for these inputs, or None (cache off, or inputs unreadable)."""
    if loadcache.cache_dir() is None or not path.exists():
        return None
    try:
        files = yaml_files(path)
        return loadcache.inputs_digest(files, var_files) if files else None
    except (OSError, ValueError):
        return None
