"""Fenced blocks of the Markdown docs, with the directives that say how the suite runs them.

A directive is an HTML comment on the line right before a fence (invisible on GitHub):

- ``<!-- docs-test: skip REASON -->``: a console block not run, with the reason (for example
  ``make test``, which would run this suite inside itself);
- ``<!-- docs-test: file PATH -->``: a YAML block the session writes to PATH (relative to the
  session's current directory) at that point of the page, as the text tells the reader to;
- ``<!-- docs-test: var-file -->``: a YAML block that is a ``--var-file``, not a desired state;
- ``<!-- docs-test: validate-with DIR -->``: a YAML block validated together with DIR's files
  (for an example that refers to objects the seed state declares).

Console blocks are sessions: ``$ `` starts a command (``\\`` or an open quote continues it, a
heredoc runs to its end marker), and the lines up to the next ``$ `` are output the command
promises.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

_FENCE = re.compile(r"^(\s*)```(\S*)\s*$")
_DIRECTIVE = re.compile(r"^\s*<!--\s*docs-test:\s*(\S+)\s*(.*?)\s*-->\s*$")
_EXIT = re.compile(r"\s#\s*exit\s+(\d+)\b")
_HEREDOC = re.compile(r"<<-?\s*(['\"]?)(\w+)\1")


@dataclass
class Block:
    """One fenced block: where it is, its language, its text and its directive (if any)."""

    doc: Path
    line: int
    lang: str
    text: str
    directive: str = ""
    argument: str = ""

    @property
    def where(self) -> str:
        return f"{self.doc.name}:{self.line}"


@dataclass
class Command:
    """One ``$`` command of a console block, the exit code it expects and the lines it promises."""

    block: Block
    line: int
    text: str
    expected_exit: int = 0
    promised: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.block.doc.name}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """Every fenced block of ``doc``, in order."""
    found: list[Block] = []
    lines = doc.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        indent, lang = match.groups()
        directive = _DIRECTIVE.match(lines[i - 1]) if i > 0 else None
        start = i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and not _FENCE.match(lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i])
            i += 1
        found.append(Block(doc, start, lang, "\n".join(body) + "\n",
                           directive.group(1) if directive else "", directive.group(2) if directive else ""))
        i += 1
    return found


def commands(block: Block) -> list[Command]:
    """The commands of a console block."""
    lines = block.text.splitlines()
    found: list[Command] = []
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            if found:
                found[-1].promised.append(lines[i])
            i += 1
            continue
        start = i
        text = [lines[i][2:]]
        while (text[-1].endswith("\\") or _open_quote("\n".join(text))) and i + 1 < len(lines):
            i += 1
            text.append(lines[i])
        head = "\n".join(text)
        heredoc = _HEREDOC.search(head)
        if heredoc:
            while i + 1 < len(lines):
                i += 1
                text.append(lines[i])
                if lines[i].strip() == heredoc.group(2):
                    break
        exit_code = _EXIT.search(head)
        found.append(Command(block, block.line + start + 1, "\n".join(text),
                             int(exit_code.group(1)) if exit_code else 0))
        i += 1
    return found


def _open_quote(text: str) -> bool:
    """True while a quote is still open (the shell reads on to the next line, as a reader pastes it)."""
    try:
        shlex.split(text.split("<<", 1)[0], comments=True)
    except ValueError:
        return True
    return False


def promise_matches(promised: list[str], output: str) -> list[str]:
    """The promised lines not found, in order, in ``output``; ``...`` matches any text."""
    actual = [line.rstrip() for line in output.splitlines()]
    missing: list[str] = []
    pos = 0
    for raw in promised:
        line = raw.rstrip()
        if not line or line.strip() == "...":
            continue
        pattern = re.compile(".*".join(re.escape(part) for part in line.split("...")) + r"\Z")
        for j in range(pos, len(actual)):
            if pattern.match(actual[j]):
                pos = j + 1
                break
        else:
            missing.append(line)
    return missing
