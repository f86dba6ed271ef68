"""Unit tests of two modules: the session cookie (``session.py``) and the token checks (``jwt.py``).

These pin what the end-to-end tests cannot reach without waiting or a misbehaving provider:
lua-resty-session's timeouts and silent fallback ([S] ``open()``; checklist 26), and
lua-resty-openidc's ID-token claim checks ([O] ``openidc_validate_id_token()``; checklist 22).
"""

from __future__ import annotations

import base64
import json
import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from reconciler.sandbox.gateway import jwt
from reconciler.sandbox.gateway.session import Session, SessionCookie

SECRET = "0123456789abcdef0123"


def cookies(headers: list[tuple[str, str]]) -> dict[str, str]:
    out = {}
    for _, value in headers:
        name, _, rest = value.partition("=")
        out[name] = rest.split(";", 1)[0]
    return out


def test_round_trip_new_value_each_save_and_attributes() -> None:
    store = SessionCookie({"secret": SECRET})
    session = Session({"authenticated": True})
    first = store.save(session, now=1000)
    second = store.save(session, now=1000)
    assert first != second
    assert first[0][1].endswith("; Path=/; SameSite=Lax; HttpOnly")
    assert "Expires" not in first[0][1]
    assert store.open(cookies(first), now=1001).data == {"authenticated": True}


def test_tampered_or_foreign_cookie_is_an_empty_session() -> None:
    store = SessionCookie({"secret": SECRET})
    jar = cookies(store.save(Session({"a": 1}), now=1000))
    assert SessionCookie({"secret": "another-secret-0123456"}).open(jar, now=1000).data == {}
    value = jar["session"]
    flipped = value[:-2] + ("A" if value[-2] != "A" else "B") + value[-1]
    assert store.open({"session": flipped}, now=1000).data == {}
    assert store.open({"session": "garbage"}, now=1000).data == {}


@pytest.mark.parametrize(("conf", "later", "alive"), [
    ({"absolute_timeout": 5, "idling_timeout": 0, "rolling_timeout": 0}, 6, False),
    ({"absolute_timeout": 5, "idling_timeout": 0, "rolling_timeout": 0}, 4, True),
    ({}, 901, False),          # idling_timeout 900
    ({"idling_timeout": 0}, 3601, False),  # rolling_timeout 3600
    ({"idling_timeout": 0, "rolling_timeout": 0}, 86401, False),  # absolute_timeout 86400
])
def test_timeouts(conf: dict[str, int], later: int, alive: bool) -> None:
    store = SessionCookie({"secret": SECRET, **conf})
    jar = cookies(store.save(Session({"a": 1}), now=1000))
    assert (store.open(jar, now=1000 + later).data == {"a": 1}) is alive


def test_cookie_name_and_chunks() -> None:
    """Checklist 27 (``cookie_name``), and payloads over 4 KB split into ``name2``..."""
    store = SessionCookie({"secret": SECRET, "cookie_name": "custom_session"})
    big = {"blob": base64.b64encode(os.urandom(6000)).decode()}  # incompressible
    headers = store.save(Session(big), now=1000)
    names = [value.split("=", 1)[0] for _, value in headers]
    assert names[0] == "custom_session" and names[1] == "custom_session2"
    assert all(len(value.split(";", 1)[0]) <= 4096 for _, value in headers)
    assert store.open(cookies(headers), now=1000).data == big


def _rsa_token(claims: dict[str, object], kid: str = "k1") -> tuple[str, dict[str, str]]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    jwk = {"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
           "n": jwt.b64url(numbers.n.to_bytes(256, "big")), "e": jwt.b64url(numbers.e.to_bytes(3, "big"))}
    head = jwt.b64url(json.dumps({"alg": "RS256", "kid": kid}).encode())
    body = jwt.b64url(json.dumps(claims).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{jwt.b64url(signature)}", jwk


def test_rs256_signature_via_jwks() -> None:
    token, jwk = _rsa_token({"sub": "x"})
    parsed = jwt.parse(token)
    assert jwt.verify_signature(parsed, jwks=[jwk], secret=None, allowed_algs=["RS256"], accept_none=False,
                                accept_unsupported=True)
    _other, other_jwk = _rsa_token({"sub": "x"})
    with pytest.raises(jwt.JwtError, match="signature"):
        jwt.verify_signature(parsed, jwks=[other_jwk], secret=None, allowed_algs=None, accept_none=False,
                             accept_unsupported=True)
    with pytest.raises(jwt.JwtError, match="unexpected algorithm"):
        jwt.verify_signature(parsed, jwks=[jwk], secret=None, allowed_algs=["ES256"], accept_none=False,
                             accept_unsupported=True)
    with pytest.raises(jwt.JwtError, match="not found"):
        jwt.verify_signature(jwt.parse(_rsa_token({}, kid="zz")[0]), jwks=[jwk], secret=None, allowed_algs=None,
                             accept_none=False, accept_unsupported=True)


def test_unsupported_alg_is_accepted_unverified_by_default() -> None:
    """[O]: with ``accept_unsupported_alg`` (APISIX default true) an ES256 ID token's signature is ignored."""
    head = jwt.b64url(json.dumps({"alg": "ES256"}).encode())
    token = jwt.parse(f"{head}.{jwt.b64url(b'{}')}.{jwt.b64url(b'sig')}")
    assert jwt.verify_signature(token, jwks=[], secret=None, allowed_algs=None, accept_none=False,
                                accept_unsupported=True) is False
    with pytest.raises(jwt.JwtError):
        jwt.verify_signature(token, jwks=[], secret=None, allowed_algs=None, accept_none=False,
                             accept_unsupported=False)


GOOD = {"iss": "http://idp/", "sub": "u", "aud": ["c"], "iat": 1000, "exp": 2000}


@pytest.mark.parametrize(("change", "now"), [
    ({"iss": "http://other/"}, 1500),
    ({"aud": ["someone-else"]}, 1500),
    ({}, 2121),                       # exp + iat_slack (120) < now
    ({"iat": 1700}, 1500),            # iat > now + slack
    ({"sub": ""}, 1500),
])
def test_id_token_claims_refused(change: dict[str, object], now: int) -> None:
    with pytest.raises(jwt.JwtError):
        jwt.validate_id_token({**GOOD, **change}, issuer="http://idp/", client_id="c", nonce=None, now=now,
                              slack=120)


def test_id_token_claims_accepted_within_slack() -> None:
    jwt.validate_id_token({**GOOD, "aud": "c"}, issuer="http://idp/", client_id="c", nonce=None, now=2119, slack=120)
    with pytest.raises(jwt.JwtError):
        jwt.validate_id_token(GOOD, issuer="http://idp/", client_id="c", nonce="n", now=1500, slack=120)
