"""A local cache of resolved desired states, so that a plan of an unchanged Git tree does not
parse and validate tens of thousands of YAML objects again.

Parsing and validating is the largest cost of a plan at scale (about 12 s of CPU for 28,000
objects, against half a second to read the same objects from the servers).  A drift job or a
developer re-planning runs against the same files again and again, so the resolved state is
kept on disk, keyed by the exact bytes of every desired-state and var file.

No secret value is ever written.  Secrets are stored as the reference they came from
(``${env:NAME}``, ``${file:path}``) and resolved again on every load; the entry also holds a
salted PBKDF2 key over all the secret values it was built with, and an entry whose key does
not match the values now in the environment is ignored.  A secret with no reference to resolve
again (written literally in the YAML, or a ``${var:...}`` value at a secret position) makes the
state uncacheable: cache folders are shared and copied, so no value may go there.  Entries are
only written for states that loaded without problems; any doubt (a missing variable, a format
change, a damaged file) falls back to the full load, which reports problems with their positions.

The cache also remembers which Hydra secret fingerprints (public, in client metadata) were
verified against these same secret values, sparing a slow PBKDF2 check per client per plan.

Location: ``$RECONCILE_CACHE_DIR``, else ``$XDG_CACHE_HOME/reconcile``, else
``~/.cache/reconcile``; ``RECONCILE_CACHE=off`` disables it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import marshal
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from reconciler import __version__
from reconciler.load.variables import VariableError, Variables
from reconciler.load.yamlfile import read_text
from reconciler.secrets import Secret, contains_secret
from reconciler.state import fingerprints
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState

FORMAT: Final = 2  # 2: ${file:} confined to the desired-state root, hostile-input checks
KEY_ITERATIONS: Final = 100_000
_SECRET: Final = "\x00secret"


class _Uncacheable(Exception):
    """The state holds a secret that is not a reference, so caching it would store its value."""


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where entries live, or None when caching is off."""
    environ = os.environ if environ is None else environ
    if environ.get("RECONCILE_CACHE", "").lower() in ("off", "0", "no", "false"):
        return None
    if environ.get("RECONCILE_CACHE_DIR"):
        return Path(environ["RECONCILE_CACHE_DIR"])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "reconcile"


def inputs_digest(files: Sequence[Path], var_files: Sequence[Path]) -> str:
    """A digest of every input file's name and bytes (and of this program's version)."""
    h = hashlib.sha256(f"reconcile {__version__} cache {FORMAT}\n".encode())
    for group, paths in (("file", files), ("var", var_files)):
        for path in paths:
            data = read_text(Path(path)).encode()  # bounded, regular files only (ValueError otherwise)
            h.update(f"{group} {Path(path).resolve()} {len(data)}\n".encode())
            h.update(data)
    return h.hexdigest()


# --- encoding -----------------------------------------------------------------------------


def _encode(value: Any, refs: dict[tuple[str, str], str]) -> Any:
    if isinstance(value, Secret):
        origin = value.origin
        if origin is not None and origin[0] == "ref" and len(origin) == 3:
            refs[(origin[1], origin[2])] = value.reveal()
            return {_SECRET: ["ref", origin[1], origin[2]]}
        raise _Uncacheable
    if isinstance(value, dict):
        return {k: _encode(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_encode(v, refs) for v in value]
    return value


def _decode(value: Any, resolved: dict[tuple[str, str], Secret]) -> Any:
    if isinstance(value, dict):
        marker = value.get(_SECRET)
        if marker is not None and len(value) == 1:
            return resolved[(marker[1], marker[2])]
        return {k: _decode(v, resolved) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v, resolved) for v in value]
    return value


def _secrets_key(values: list[str], salt: bytes) -> str:
    material = "\x00".join(values).encode()
    return hashlib.pbkdf2_hmac("sha256", material, salt, KEY_ITERATIONS).hex()


def _entry_path(directory: Path, digest: str) -> Path:
    return directory / f"desired-{digest}.marshal"


# --- reading and writing ---------------------------------------------------------------------


def read(digest: str, env: Mapping[str, str], var_values: Mapping[str, Any]) -> ResolvedState | None:
    """The cached state for ``digest`` when every secret still has the value it was built with."""
    directory = cache_dir()
    if directory is None:
        return None
    try:
        entry = marshal.loads(_entry_path(directory, digest).read_bytes())
        if entry.get("format") != FORMAT:
            return None
        resolved: dict[tuple[str, str], Secret] = {}
        values: list[str] = []
        for template, base in entry["refs"]:
            value = Variables(env, var_values, Path(base)).substitute(template)
            secret = value if isinstance(value, Secret) else Secret(str(value))
            resolved[(template, base)] = Secret(secret, origin=("ref", template, base))
            values.append(secret.reveal())
        if not hmac.compare_digest(_secrets_key(values, entry["salt"]), entry["key"]):
            return None
        state = ResolvedState(systems=frozenset(entry["systems"]),
                              managed_credentials=frozenset(entry["managed_credentials"]),
                              hydra_issuer=entry["issuer"])
        for kind_value, key, stored, source, has_secret in entry["objects"]:
            kind = Kind(kind_value)
            body = _decode(stored, resolved) if has_secret else stored
            state.objects.setdefault(kind, {})[key] = DesiredObject(kind, key, body, source)
    except (OSError, ValueError, EOFError, TypeError, KeyError, IndexError, VariableError):
        return None
    state.cache_token = f"{digest}:{entry['key']}"
    _remember_verified(directory, state)
    return state


def write(digest: str, state: ResolvedState) -> None:
    """Store ``state`` (no secret values) under ``digest``; silently skipped when not possible."""
    directory = cache_dir()
    if directory is None:
        return
    refs: dict[tuple[str, str], str] = {}
    try:
        objects = []
        for kind, by_key in state.objects.items():
            for key, obj in by_key.items():
                has_secret = contains_secret(obj.body)
                encoded = _encode(obj.body, refs) if has_secret else obj.body
                objects.append((kind.value, key, encoded, obj.source, has_secret))
    except _Uncacheable:
        return
    order = sorted(refs)
    salt = os.urandom(16)
    entry = {"format": FORMAT, "refs": [list(r) for r in order], "salt": salt,
             "key": _secrets_key([refs[r] for r in order], salt), "systems": sorted(state.systems),
             "managed_credentials": sorted(state.managed_credentials), "issuer": state.hydra_issuer,
             "objects": objects}
    try:
        data = marshal.dumps(entry)
    except ValueError:
        return
    _atomic_write(_entry_path(directory, digest), data)
    state.cache_token = f"{digest}:{entry['key']}"


def _atomic_write(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError:
        return


# --- verified fingerprints -----------------------------------------------------------------


def _verified_path(directory: Path, token: str) -> Path:
    return directory / f"verified-{token.partition(':')[0]}.json"


def _remember_verified(directory: Path, state: ResolvedState) -> None:
    """Load the verified pairs, but only those recorded with these very secret values (the
    entry's key is part of the token): after a rotation the old pairs must never count."""
    assert state.cache_token is not None
    try:
        recorded = json.loads(_verified_path(directory, state.cache_token).read_text())
        known: dict[str, str] = recorded["pairs"] if recorded.get("token") == state.cache_token else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return
    clients = state.of(Kind.OAUTH2_CLIENT)
    for client_id, fingerprint in known.items():
        obj = clients.get(client_id)
        secret = obj.body.get("client_secret") if obj is not None else None
        if isinstance(secret, Secret) and isinstance(fingerprint, str):
            fingerprints.remember(secret, fingerprint)


def save_verified(state: ResolvedState, pairs: Mapping[str, str]) -> None:
    """Record ``{client_id: fingerprint}`` pairs verified against this state's secrets."""
    directory = cache_dir()
    if directory is None or state.cache_token is None or not pairs:
        return
    document = {"token": state.cache_token, "pairs": dict(sorted(pairs.items()))}
    _atomic_write(_verified_path(directory, state.cache_token), json.dumps(document).encode())
