"""Secret fingerprints for Hydra clients, whose secrets can be written but never read back.

Hydra stores only a hash of ``client_secret`` and never returns it, so the only passive way to
notice that the desired secret changed is to keep our own fingerprint in the client's
``metadata`` and re-send it on every PUT (PUT replaces metadata).  Anyone who can read the admin
API can read metadata, so the fingerprint is a salted, deliberately slow PBKDF2-SHA256, with a
per-client random salt, self-describing so that its cost can be raised later:
``pbkdf2-sha256$<iterations>$<salt>$<hash>`` (base64url without padding).

Slow is the point against someone who reads the metadata and guesses secrets, but it costs
about 2.5 ms of CPU per check, which is most of a cold plan with thousands of clients.  So an
operator may supply a key instead (``RECONCILE_FINGERPRINT_KEY``, at least 32 characters, kept
in the CI secret store and never next to the fingerprints): new fingerprints are then a salted
HMAC-SHA256 under that key, ``hmac-sha256$<key id>$<salt>$<hash>``, checked in microseconds.
Without the key a reader of the metadata cannot test a single guess; with it, guesses are cheap,
so the key must be guarded like the admin credentials (README, "Secret fingerprints").  The
key id (a keyed hash, 8 bytes) tells a fingerprint made under another key from a changed secret.
Fingerprints of either kind are always checked; the key only decides what new ones are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping

from reconciler.secrets import Secret

ALGORITHM = "pbkdf2-sha256"
ITERATIONS = 10_000
HMAC_ALGORITHM = "hmac-sha256"
#: The environment variable that holds the operator's fingerprint key, if any.
KEY_ENV = "RECONCILE_FINGERPRINT_KEY"
MIN_KEY_LENGTH = 32

#: The operator's key for this process (``use_key``), or None for PBKDF2 fingerprints.
_KEY: Secret | None = None


class FingerprintKeyError(ValueError):
    """The configured fingerprint key is unusable (its value is never part of the message)."""


def use_key(key: Secret | None) -> None:
    """Make new fingerprints with ``key`` (HMAC), or with PBKDF2 when None."""
    global _KEY
    if key is not None and len(key.reveal()) < MIN_KEY_LENGTH:
        raise FingerprintKeyError(f"{KEY_ENV} must be at least {MIN_KEY_LENGTH} characters long")
    if (key and key.reveal()) == (_KEY and _KEY.reveal()):
        return
    _KEY = key
    # Answers that depended on the key: "no" may now be "yes", and keyed "yes" must be re-checked.
    for pair in [pair for pair, answer in _KNOWN.items() if not answer or pair[1].startswith(HMAC_ALGORITHM)]:
        del _KNOWN[pair]


def key_from(environ: Mapping[str, str]) -> Secret | None:
    """The key ``environ`` supplies (``RECONCILE_FINGERPRINT_KEY``), or None."""
    value = environ.get(KEY_ENV, "")
    return Secret(value) if value else None


def key_id(key: Secret) -> str:
    """A public name for ``key``: a keyed hash that reveals nothing about it."""
    return _b64(hmac.new(key.reveal().encode(), b"reconcile fingerprint key id", hashlib.sha256).digest()[:8])


def _hmac(key: Secret, salt: bytes, plain: str) -> bytes:
    return hmac.new(key.reveal().encode(), salt + plain.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_fingerprint(secret: Secret, *, iterations: int = ITERATIONS, salt: bytes | None = None) -> str:
    """A new fingerprint of ``secret`` with a fresh random salt (unless one is given): an HMAC
    under the operator's key when one is in use, PBKDF2 otherwise."""
    salt = salt if salt is not None else os.urandom(16)
    if _KEY is not None:
        return f"{HMAC_ALGORITHM}${key_id(_KEY)}${_b64(salt)}${_b64(_hmac(_KEY, salt, secret.reveal()))}"
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


def unverifiable(fingerprint: str) -> str | None:
    """Why ``fingerprint`` cannot be checked in this process (a key fingerprint without the
    key, or under another key), or None when it can."""
    algorithm, _, rest = fingerprint.partition("$")
    if algorithm != HMAC_ALGORITHM:
        return None
    if _KEY is None:
        return f"its fingerprint was made with a key, and {KEY_ENV} is not set"
    if rest.partition("$")[0] != key_id(_KEY):
        return f"its fingerprint was made with another {KEY_ENV}"
    return None


def _matches(plain: str, fingerprint: str) -> bool:
    try:
        if fingerprint.startswith(HMAC_ALGORITHM + "$"):
            _algorithm, kid, salt, digest = fingerprint.split("$")
            if _KEY is None or kid != key_id(_KEY):
                return False
            return hmac.compare_digest(_hmac(_KEY, _unb64(salt), plain), _unb64(digest))
        algorithm, iterations, salt, digest = fingerprint.split("$")
        if algorithm != ALGORITHM or not 1 <= int(iterations) <= 10_000_000:
            return False
        actual = hashlib.pbkdf2_hmac("sha256", plain.encode(), _unb64(salt), int(iterations))
        return hmac.compare_digest(actual, _unb64(digest))
    except (ValueError, TypeError):
        return False
