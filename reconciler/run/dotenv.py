"""``reconcile dump --secrets-out FILE``: the secret values a dump replaced, as a dotenv file.

Why: APISIX returns plugin secrets (the ``encrypt_fields``) in plaintext on GET, so a dump can
hand them over and ``dump`` then ``plan`` is empty without anyone typing a key.  Those values
must never land in Git, so the file is created with mode 0600 and never replaced unless asked
(``--force``), and its path goes into the dump folder's ``.gitignore``.  Values the servers do not
return (SSL private keys, upstream ``tls.client_key``, Hydra client secrets) cannot be written;
they stay as commented, empty names for the user to fill.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from reconciler.errors import ReconcilerError
from reconciler.run.dump import Dump

_BARE = re.compile(r"^[A-Za-z0-9_./:+=@%,-]*$")


def quote(value: str) -> str:
    """A dotenv value that both ``python-dotenv`` and a POSIX shell (``set -a; . FILE``) read back."""
    if _BARE.match(value):
        return value
    if "'" not in value and "\n" not in value:
        return f"'{value}'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
    return '"' + escaped.replace("\n", "\\n") + '"'


def render(dump: Dump) -> str:
    """The file's text: one ``NAME=value`` per readable secret, a comment for each unreadable one."""
    lines = ["# Secret values read from the live servers by `reconcile dump`. Never commit this file.",
             "# Hydra never returns client secrets: those here come from openid-connect plugins linked to the client.",
             ""]
    for secret in dump.secrets:
        lines.append(f"# {secret.address}: {secret.path}")
        if secret.value is None:
            lines.append(f"# {secret.name}=  (the server does not return this value: set it yourself)")
        else:
            lines.append(f"{secret.name}={quote(secret.value.reveal())}")
    return "\n".join(lines) + "\n"


def check_target(path: Path, force: bool) -> None:
    """Refuse, before anything is read, to replace an existing file without ``force``."""
    if path.exists() and not force:
        raise ReconcilerError(f"{path} exists; pass --force to overwrite it with the live secret values")
    if path.exists() and not path.is_file():
        raise ReconcilerError(f"{path} exists and is not a regular file")


def write_secrets(path: Path, text: str, force: bool) -> None:
    """Create ``path`` with mode 0600 (never wider, even for a moment) and write ``text``."""
    check_target(path, force)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if force and path.exists():
            path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(path, 0o600)  # the umask may have narrowed it; never wider than 0600
    except OSError as exc:
        raise ReconcilerError(f"cannot write the secrets file {path}: {exc.strerror or exc}") from exc


def ignore(out_dir: Path, path: Path) -> Path | None:
    """Add ``path`` to ``out_dir/.gitignore`` (once); None when it lies outside ``out_dir``."""
    try:
        relative = path.resolve().relative_to(out_dir.resolve())
    except ValueError:
        return None
    gitignore = out_dir / ".gitignore"
    entry = "/" + relative.as_posix()
    try:
        text = gitignore.read_text() if gitignore.exists() else ""
        if entry not in text.splitlines():
            with gitignore.open("a", encoding="utf-8") as handle:
                if text and not text.endswith("\n"):
                    handle.write("\n")
                handle.write(f"# live secret values written by `reconcile dump --secrets-out`\n{entry}\n")
    except OSError as exc:
        raise ReconcilerError(f"cannot update {gitignore}: {exc.strerror or exc}") from exc
    return gitignore
