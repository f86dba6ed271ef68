"""APISIX's data encryption (``apisix/core/data_encryption.lua``), reproduced byte for byte.

Why it matters: with encryption on (the 3.10+ default) APISIX stores plugin secrets as
ciphertext and *echoes that ciphertext in write responses*, while GET decrypts.  A reconciler
that compares against write responses sees false drift; the emulator must show the same split
and produce the same ciphertext as the real server (the spec's §6 test vectors).  The scheme is
AES-CBC with each keyring entry used as both key and IV, PKCS#7 padding and base64 output.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def encrypt(plaintext: str, key: str) -> str:
    """Encrypt one string with one keyring entry (16 bytes: AES-128, 32 bytes: AES-256)."""
    raw = key.encode()
    padder = padding.PKCS7(128).padder()
    data = padder.update(plaintext.encode()) + padder.finalize()
    enc = Cipher(algorithms.AES(raw), modes.CBC(raw[:16])).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def decrypt(ciphertext: str, key: str) -> str | None:
    """Decrypt with one keyring entry; None when it does not decrypt cleanly."""
    raw = key.encode()
    try:
        blob = base64.b64decode(ciphertext, validate=True)
        if not blob or len(blob) % 16:
            return None
        dec = Cipher(algorithms.AES(raw), modes.CBC(raw[:16])).decryptor()
        padded = dec.update(blob) + dec.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode()
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


class Keyring:
    """The configured keyring: the first entry encrypts, decryption tries each entry in order."""

    def __init__(self, keys: Sequence[str], enabled: bool = True) -> None:
        self.keys = [k for k in keys if len(k.encode()) in (16, 32)]
        self.enabled = enabled and bool(self.keys)

    def encrypt(self, text: str) -> str:
        """Ciphertext of ``text``, or ``text`` itself when encryption is off."""
        return encrypt(text, self.keys[0]) if self.enabled else text

    def decrypt(self, text: str) -> str:
        """Plaintext of ``text``; unchanged when no entry decrypts it (as APISIX does)."""
        if not self.enabled:
            return text
        for key in self.keys:
            plain = decrypt(text, key)
            if plain is not None:
                return plain
        return text

    def apply(self, conf: dict[str, Any], fields: Sequence[str], *, decrypt: bool) -> None:
        """Encrypt (or decrypt) the string values at the dotted ``fields`` of ``conf`` in place.

        A path segment that meets an array or a map applies to each element (3.18 behaviour).
        """
        if not self.enabled:
            return
        fn = self.decrypt if decrypt else self.encrypt
        for path in fields:
            _walk(conf, path.split("."), fn)


def _walk(node: Any, parts: list[str], fn: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _walk(item, parts, fn)
        return
    if not isinstance(node, dict) or not parts:
        return
    head, rest = parts[0], parts[1:]
    if head not in node:
        return
    if not rest:
        value = node[head]
        if isinstance(value, str):
            node[head] = fn(value)
        elif isinstance(value, list):
            node[head] = [fn(v) if isinstance(v, str) else v for v in value]
        return
    _walk(node[head], rest, fn)
