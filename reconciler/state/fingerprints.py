"""Secret fingerprints for Hydra clients, whose secrets can be written but never read back.

Hydra stores only a hash of ``client_secret`` and never returns it, so the only passive way to
notice that the desired secret changed is to keep our own fingerprint in the client's
``metadata`` and re-send it on every PUT (PUT replaces metadata).  Anyone who can read the admin
API can read metadata, so the fingerprint is a salted, deliberately slow PBKDF2-SHA256, with a
per-client random salt, self-describing so that its cost can be raised later:
``pbkdf2-sha256$<iterations>$<salt>$<hash>`` (base64url without padding).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from reconciler.secrets import Secret

ALGORITHM = "pbkdf2-sha256"
ITERATIONS = 10_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_fingerprint(secret: Secret, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """A new fingerprint of ``secret`` with a fresh random salt (unless one is given)."""
    salt = salt if salt is not None else os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", secret.reveal().encode(), salt, iterations)
    return f"{ALGORITHM}${iterations}${_b64(salt)}${_b64(digest)}"


#: Answers already known in this process, by (secret value, fingerprint).
_KNOWN: dict[tuple[str, str], bool] = {}


def matches(secret: Secret, fingerprint: str) -> bool:
    """True when ``fingerprint`` was made from ``secret``; False for any malformed fingerprint."""
    pair = (secret.reveal(), fingerprint)
    known = _KNOWN.get(pair)
    if known is None:
        known = _KNOWN[pair] = _matches(*pair)
    return known


def known(secret: Secret, fingerprint: str) -> bool:
    """True when ``matches`` already has the answer for this pair (no hashing needed)."""
    return (secret.reveal(), fingerprint) in _KNOWN


def remember(secret: Secret, fingerprint: str) -> None:
    """Record that ``fingerprint`` is known to match ``secret`` (from the load cache)."""
    _KNOWN[(secret.reveal(), fingerprint)] = True


def _matches(plain: str, fingerprint: str) -> bool:
    try:
        algorithm, iterations, salt, digest = fingerprint.split("$")
        if algorithm != ALGORITHM or not 1 <= int(iterations) <= 10_000_000:
            return False
        actual = hashlib.pbkdf2_hmac("sha256", plain.encode(), _unb64(salt), int(iterations))
        return hmac.compare_digest(actual, _unb64(digest))
    except (ValueError, TypeError):
        return False
