"""One exception tree for the whole tool, so that the command line can map every failure to
an exit code and a message without catching library exceptions it never heard of.

::

    ReconcilerError
     +-- DesiredStateError          bad input: carries every problem with file, line and field
     +-- AdminAPIError              an admin API answered with an error, or could not be reached
     |    +-- ConnectError          no answer at all (refused, reset, timed out)
     |    +-- Unauthorized          401 / 403
     |    +-- NotFound              404
     |    +-- Conflict              409
     |    +-- RateLimited           429
     |    +-- ServerError           5xx
     +-- PlanError                  a plan cannot be made or applied safely (guards, stale plans)

Messages never contain secret values: adapters build them from status codes and server
error texts, and ``Secret`` values render as a mask everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

#: Longest quoted value kept whole in a message; longer ones are cut, with their length said.
MAX_QUOTED: Final = 80
#: Longest message kept whole (a server may answer with megabytes of text).
MAX_MESSAGE: Final = 2000
#: A quoted value: the quote opens after a non-word character and closes before one, so that the
#: text between two quoted values ("'a' is not 'b'") is never taken for one.
_QUOTED = re.compile(rf"(?<!\w)'[^'\n]{{{MAX_QUOTED + 1},}}'(?!\w)|(?<!\w)\"[^\"\n]{{{MAX_QUOTED + 1},}}\"(?!\w)")


def _escape(text: str) -> str:
    """Control, format (bidi overrides) and other unprintable characters as ``\\x..``/``\\u....``."""
    if text.isprintable():
        return text
    out = []
    for char in text:
        if char.isprintable() and unicodedata.category(char) not in ("Cf", "Zl", "Zp"):
            out.append(char)
        else:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def clean(text: str) -> str:
    """``text`` made safe to print: long quoted values cut, unprintable characters escaped, and
    the whole bounded, so that hostile input or a hostile server cannot flood or spoof a terminal."""
    total = len(text)
    if total > MAX_MESSAGE * 4:
        text = text[: MAX_MESSAGE * 4]
    text = _QUOTED.sub(lambda m: f"{m.group()[: MAX_QUOTED - 10]}...{m.group()[0]} ({len(m.group()) - 2} characters)",
                       text)
    text = _escape(text)
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + f"... ({total} characters)"
    return text


class ReconcilerError(Exception):
    """Base of every error this tool raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem in the desired state, located as precisely as the input allows."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "file", clean(self.file))
        object.__setattr__(self, "path", clean(self.path))
        object.__setattr__(self, "message", clean(self.message))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class DesiredStateError(ReconcilerError):
    """The desired state is invalid.  ``problems`` lists every problem found, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class AdminAPIError(ReconcilerError):
    """An admin API call failed.  ``status`` is None when no HTTP answer arrived."""

    def __init__(self, message: str, *, status: int | None = None, method: str = "", url: str = "") -> None:
        self.status = status
        self.method = method
        self.url = url
        message = clean(message)
        self.server_message = message
        prefix = f"{method} {url}: " if method else ""
        code = f"HTTP {status}: " if status is not None else ""
        super().__init__(f"{prefix}{code}{message}")


class ConnectError(AdminAPIError):
    """The server could not be reached, or the connection broke before an answer."""


class Unauthorized(AdminAPIError):
    """401 or 403: the admin key is missing or wrong, or the role may not do this."""


class NotFound(AdminAPIError):
    """404: the object does not exist."""


class Conflict(AdminAPIError):
    """409: the object exists already."""


class RateLimited(AdminAPIError):
    """429: slow down; ``retry_after`` is the server's hint in seconds, when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kw)  # type: ignore[arg-type]


class ServerError(AdminAPIError):
    """5xx: the server failed."""


class PlanError(ReconcilerError):
    """A plan cannot be made, or applying it would be unsafe (a guard refused, or it is stale)."""
