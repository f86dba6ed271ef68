"""JSON Web Token checks as APISIX's openid-connect plugin makes them (ID tokens, bearer JWTs).

Why hand-written on ``cryptography``: lua-resty-openidc decides what a signature check means,
and a general JWT library decides differently (``shared/spec/apisix-data-plane.md`` §4.4-4.5,
[O] ``openidc_load_jwt_and_verify_crypto()``, ``openidc_validate_id_token()``, ``get_jwk()``):
RS* keys come from the JWKS (only ``kty: RSA`` with no ``use`` or ``use: sig``; no ``kid`` means
the only RSA key), HS* uses the client secret, ``none`` needs ``accept_none_alg``, and an alg
lua-resty-jwt cannot verify (ES256, PS256...) is *accepted unverified* when
``accept_unsupported_alg`` is true, its default.  ``x5c`` keys are read from the certificate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

RSA_HASHES: dict[str, hashes.HashAlgorithm] = {"RS256": hashes.SHA256(), "RS384": hashes.SHA384(),
                                             "RS512": hashes.SHA512()}
HMAC_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}


class JwtError(Exception):
    """A token that does not pass; the text is lua-resty-openidc's reason."""


def b64url_decode(text: str) -> bytes:
    """base64url without padding."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64url(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True)
class Jwt:
    """A parsed compact JWS."""

    header: dict[str, Any]
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def parse(token: str) -> Jwt:
    """Split and decode a compact JWS; malformed text is a ``JwtError``."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwtError("invalid jwt: not a compact JWS")
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        signature = b64url_decode(parts[2])
    except (ValueError, binascii.Error) as exc:
        raise JwtError(f"invalid jwt: {exc}") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise JwtError("invalid jwt: header or payload is not an object")
    return Jwt(header, claims, f"{parts[0]}.{parts[1]}".encode(), signature)


def _int(value: str) -> int:
    return int.from_bytes(b64url_decode(value), "big")


def rsa_key(jwk: Mapping[str, Any]) -> rsa.RSAPublicKey:
    """The RSA public key of a JWK (``x5c`` preferred over ``n``/``e``)."""
    chain = jwk.get("x5c")
    if isinstance(chain, list) and chain:
        cert = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
        key = cert.public_key()
        if isinstance(key, rsa.RSAPublicKey):
            return key
    return rsa.RSAPublicNumbers(_int(str(jwk["e"])), _int(str(jwk["n"]))).public_key()


def pick_jwk(keys: list[dict[str, Any]], kid: str | None) -> dict[str, Any] | None:
    """[O] ``get_jwk()``: the RSA signing key with ``kid``; without one, the only RSA key."""
    usable = [k for k in keys if k.get("kty") == "RSA" and k.get("use", "sig") == "sig"]
    if kid is None:
        if len(usable) > 1:
            raise JwtError("JWT doesn't specify kid but the keystore contains multiple RSA keys")
        return usable[0] if usable else None
    return next((k for k in usable if k.get("kid") == kid), None)


def verify_signature(token: Jwt, *, jwks: list[dict[str, Any]] | None, secret: str | None,
                     allowed_algs: list[str] | None, accept_none: bool, accept_unsupported: bool) -> bool:
    """Check the signature; False when it was skipped as unsupported.  Failures raise ``JwtError``."""
    alg = str(token.header.get("alg", ""))
    if allowed_algs and alg not in allowed_algs:
        raise JwtError(f'token is signed by unexpected algorithm "{alg}"')
    if alg in RSA_HASHES:
        if jwks is None:
            raise JwtError("no JWKS to verify the RSA signature")
        jwk = pick_jwk(jwks, token.header.get("kid"))
        if jwk is None:
            raise JwtError(f"RSA key with id {token.header.get('kid')} not found")
        try:
            rsa_key(jwk).verify(token.signature, token.signing_input, padding.PKCS1v15(), RSA_HASHES[alg])
        except (InvalidSignature, ValueError) as exc:
            raise JwtError("jwt signature verification failed: signature mismatch") from exc
        return True
    if alg in HMAC_HASHES:
        if not secret:
            raise JwtError("no secret to verify the HMAC signature")
        expected = hmac.new(secret.encode(), token.signing_input, HMAC_HASHES[alg]).digest()
        if not hmac.compare_digest(expected, token.signature):
            raise JwtError("jwt signature verification failed: signature mismatch")
        return True
    if alg == "none":
        if not accept_none:
            raise JwtError('token uses "none" alg but accept_none_alg is not enabled')
        return False
    if accept_unsupported:
        return False  # lua-resty-openidc: "ignored id_token signature as algorithm ... is not supported"
    raise JwtError(f"token is signed using algorithm \"{alg}\" which is not supported by lua-resty-jwt")


def validate_id_token(claims: Mapping[str, Any], *, issuer: str, client_id: str, nonce: str | None,
                      now: float, slack: int) -> None:
    """[O] ``openidc_validate_id_token()``: iss, sub, nonce (if sent), iat, exp, aud."""
    if claims.get("iss") != issuer:
        raise JwtError(f"issuer \"{claims.get('iss')}\" does not match the expected issuer \"{issuer}\"")
    if not claims.get("sub"):
        raise JwtError("no \"sub\" claim found in id_token")
    if nonce is not None and claims.get("nonce") != nonce:
        raise JwtError("nonce in id_token does not match the nonce sent")
    iat, exp = claims.get("iat"), claims.get("exp")
    if not isinstance(iat, (int, float)) or iat > now + slack:
        raise JwtError("id_token \"iat\" claim is missing or in the future")
    if not isinstance(exp, (int, float)) or exp + slack < now:
        raise JwtError("token expired")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if client_id not in audiences:
        raise JwtError(f"client_id {client_id} is not part of the audience")
