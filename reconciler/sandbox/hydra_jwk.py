"""The JSON Web Key checks Hydra applies to a client's ``jwks``, with go-jose's messages.

Hydra decodes ``jwks`` with go-jose, which rejects malformed keys while the body is decoded
(so the answer is a 400 "malformed request"), and its validator then refuses keys go-jose
parsed but does not count as valid, such as symmetric ``oct`` keys ("Invalid JSON web key in
set.").  A reconciler that ships ``private_key_jwt`` clients must see the same refusals in the
sandbox.  Only public-key material is checked closely (RSA ``n``/``e``, EC curve, lengths and
point, Ed25519 length); private parts are checked for presence only.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

KEY_TYPES = frozenset({"RSA", "EC", "OKP", "oct"})
# go-jose re-marshals each key in its struct order and drops members it does not know.
ORDER = ("use", "kty", "kid", "crv", "alg", "k", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi",
         "x5c", "x5u", "x5t", "x5t#S256", "key_ops")
_B64_FIELDS = ("k", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi")
_CURVES: dict[str, tuple[ec.EllipticCurve, int]] = {
    "P-256": (ec.SECP256R1(), 32), "P-384": (ec.SECP384R1(), 48), "P-521": (ec.SECP521R1(), 66)}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class JWKError(ValueError):
    """A key go-jose refuses while decoding; the message is go-jose's."""


def _b64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise JWKError("illegal base64 data at input byte 0")
    m = _B64URL.match(text)
    end = m.end() if m else 0
    if end < len(text):
        raise JWKError(f"illegal base64 data at input byte {end}")
    if len(text) % 4 == 1:
        raise JWKError(f"illegal base64 data at input byte {len(text) - 1}")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_key(key: Any) -> dict[str, Any]:
    """Check one key as go-jose decodes it; return it re-marshalled (known members, go-jose order)."""
    kty = key.get("kty") if isinstance(key, dict) else None
    if kty not in KEY_TYPES:
        raise JWKError(f'go-jose/go-jose: unknown json web key type "{kty or ""}"')
    assert isinstance(key, dict)
    decoded = {name: _b64(key[name]) for name in _B64_FIELDS if key.get(name)}
    if kty == "RSA":
        if "n" not in decoded or "e" not in decoded:
            raise JWKError("go-jose/go-jose: invalid RSA key, missing n/e values")
        if "d" in decoded and ("p" not in decoded or "q" not in decoded):
            raise JWKError("go-jose/go-jose: invalid RSA private key, missing P value(s)")
    elif kty == "EC":
        _check_ec(key.get("crv"), decoded)
    elif kty == "OKP":
        if key.get("crv") != "Ed25519":
            raise JWKError(f"go-jose/go-jose: unknown curve {key.get('crv') or ''}'")
        if len(decoded.get("x", b"")) != 32:
            raise JWKError("go-jose/go-jose: invalid Ed25519 key, missing x value")
    return {name: key[name] for name in ORDER if key.get(name)}


def _check_ec(crv: Any, decoded: dict[str, bytes]) -> None:
    if crv not in _CURVES:
        raise JWKError(f"go-jose/go-jose: unsupported elliptic curve '{crv or ''}'")
    curve, size = _CURVES[crv]
    if "x" not in decoded or "y" not in decoded:
        raise JWKError("go-jose/go-jose: invalid EC key, missing x/y values")
    for name in ("x", "y"):
        if len(decoded[name]) != size:
            raise JWKError(f"go-jose/go-jose: invalid EC public key, wrong length for {name}")
    x, y = int.from_bytes(decoded["x"], "big"), int.from_bytes(decoded["y"], "big")
    try:
        ec.EllipticCurvePublicNumbers(x, y, curve).public_key()
    except ValueError:
        raise JWKError("go-jose/go-jose: invalid EC key, X/Y are not on declared curve") from None


def valid_for_client(key: dict[str, Any]) -> bool:
    """What Hydra's validator accepts after decoding: asymmetric keys only."""
    return key.get("kty") != "oct"
