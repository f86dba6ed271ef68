"""The emulated Hydra's signing keys: the public JWKS and RS256-signed JSON Web Tokens.

A gateway or a test verifies an ID token against ``/.well-known/jwks.json`` exactly as it would
with real Hydra, so the emulator must sign with a real RSA key and publish its public half.
Real Hydra v2.3.0 publishes two RS256 keys (``hydra.openid.id-token`` and
``hydra.jwt.access-token``, each ``{"use":"sig","kty":"RSA","kid":<uuid>,"alg":"RS256","n","e"}``,
as ``GET /.well-known/jwks.json`` on the real binary shows) and signs ID tokens with a header
``{"alg":"RS256","kid":...,"typ":"JWT"}``.  The emulator does the same with 2048-bit keys
instead of Hydra's 4096 bits, generated on first use so that a sandbox that never issues an ID
token starts without paying for key generation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

KEY_BITS = 2048


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE uses it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def at_hash(access_token: str) -> str:
    """OpenID Connect's ``at_hash`` for RS256: the left half of SHA-256, base64url."""
    digest = hashlib.sha256(access_token.encode()).digest()
    return b64url(digest[: len(digest) // 2])


class SigningKeys:
    """Two RS256 key pairs (ID tokens first, then JWT access tokens), made on first use."""

    def __init__(self) -> None:
        self._keys: list[tuple[str, rsa.RSAPrivateKey]] = []

    def _ensure(self) -> list[tuple[str, rsa.RSAPrivateKey]]:
        if not self._keys:
            self._keys = [(str(uuid.uuid4()), rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS))
                          for _ in range(2)]
        return self._keys

    def jwks(self) -> dict[str, Any]:
        """The public key set, members in go-jose's order."""
        keys = []
        for kid, key in self._ensure():
            numbers = key.public_key().public_numbers()
            keys.append({"use": "sig", "kty": "RSA", "kid": kid, "alg": "RS256",
                         "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)})
        return {"keys": keys}

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of ``claims`` signed with the ID-token key."""
        kid, key = self._ensure()[0]
        header = {"alg": "RS256", "kid": kid, "typ": "JWT"}
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "."
                         + b64url(json.dumps(claims, separators=(",", ":"), sort_keys=True).encode()))
        signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + b64url(signature)
