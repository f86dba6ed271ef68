"""The openid-connect session cookie, sealed with ``session.secret``, as lua-resty-session 4.1.5 keeps it.

Why not byte-compatible: nothing outside the gateway reads the cookie, so any authenticated
encryption keyed by the secret will do (``shared/spec/apisix-data-plane.md`` §6.1).  What a
browser or a test can see is kept ([S] ``lib/resty/session.lua``: ``new()``, ``open()``,
``save()``, ``destroy()``): the name (``session`` or ``cookie_name``), the attribute order
``; Path=/; SameSite=Lax; HttpOnly`` (``Domain`` first, ``Secure`` before ``HttpOnly``), no
``Expires`` on a live cookie, a new value on every save, the idling (900 s), rolling (3600 s)
and absolute (86400 s) timeouts, chunks ``session2``... above 4096 bytes, and a cookie that does
not open (tampered, other secret, expired) silently becoming an empty session.

Sealing: key = HKDF-SHA256(SHA-256(secret), info ``encryption:<sid>``) as in [S]
``utils.lua: derive_aes_gcm_256_key_and_iv()``; AES-256-GCM with the header (sid, creation,
last save, last touch) as associated data; the JSON payload is deflated above 1024 bytes.
"""

from __future__ import annotations

import json
import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from reconciler.sandbox.gateway.jwt import b64url, b64url_decode

CHUNK = 4000
MAX_CHUNKS = 9
HEADER = struct.Struct("<32sQQQB")  # sid, created, saved, touched, deflated
EXPIRED = "Expires=Thu, 01 Jan 1970 00:00:01 GMT; Max-Age=0"


def _key(secret: str, sid: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"encryption:" + sid)
    return hkdf.derive(sha256(secret.encode()).digest())


@dataclass
class Session:
    """An opened session: ``data`` is empty for a new one; ``present`` says a cookie was sent."""

    data: dict[str, Any] = field(default_factory=dict)
    created: int = 0
    saved: int = 0
    touched: int = 0
    present: bool = False
    chunks: int = 0


class SessionCookie:
    """Opens and saves sessions under one ``conf.session`` (secret, cookie name, timeouts)."""

    def __init__(self, conf: dict[str, Any]) -> None:
        cookie = conf.get("cookie") if isinstance(conf.get("cookie"), dict) else {}
        self.secret = str(conf.get("secret") or "")
        self.name = str(conf.get("cookie_name") or "session")
        self.path = str(conf.get("cookie_path") or "/")
        self.domain = conf.get("cookie_domain")
        self.same_site = str(conf.get("cookie_same_site") or "Lax")
        self.secure = bool(conf.get("cookie_secure")) or self.same_site == "None"
        self.http_only = conf.get("cookie_http_only", True) is not False
        self.idling = int(conf.get("idling_timeout", 900))
        self.rolling = int(conf.get("rolling_timeout", 3600))
        lifetime = cookie.get("lifetime") if isinstance(cookie, dict) else None
        self.absolute = int(conf.get("absolute_timeout") or lifetime or 86400)

    def _names(self) -> list[str]:
        return [self.name] + [f"{self.name}{i}" for i in range(2, MAX_CHUNKS + 1)]

    def open(self, cookies: dict[str, str], now: float | None = None) -> Session:
        """The session in ``cookies``; an empty one when absent or when it does not open."""
        parts = []
        for name in self._names():
            if name not in cookies:
                break
            parts.append(cookies[name])
        if not parts:
            return Session()
        session = self._unseal("".join(parts), int(now if now is not None else time.time()))
        session.present = True
        session.chunks = len(parts)
        return session

    def _unseal(self, value: str, now: int) -> Session:
        try:
            raw = b64url_decode(value)
            header, rest = raw[: HEADER.size], raw[HEADER.size:]
            sid, created, saved, touched, deflated = HEADER.unpack(header)
            plain = AESGCM(_key(self.secret, sid)).decrypt(rest[:12], rest[12:], header)
            data = json.loads(zlib.decompress(plain) if deflated else plain)
        except (ValueError, struct.error, InvalidTag, zlib.error):
            return Session()
        expired = ((self.idling and now - touched > self.idling) or (self.rolling and now - saved > self.rolling)
                   or (self.absolute and now - created > self.absolute))
        if expired or not isinstance(data, dict):
            return Session()
        return Session(data, created, saved, touched)

    def stale(self, session: Session, now: float | None = None) -> bool:
        """[S] ``refresh()`` at start: more than 75 % of the rolling timeout or 60 s idle since the last save."""
        at = int(now if now is not None else time.time())
        return bool(session.data) and ((self.rolling and at - session.saved > self.rolling * 0.75)
                                       or at - session.touched > 60)

    def _attributes(self) -> str:
        out = ""
        if self.domain and self.domain != "localhost":
            out += f"; Domain={self.domain}"
        out += f"; Path={self.path}; SameSite={self.same_site}"
        if self.secure:
            out += "; Secure"
        if self.http_only:
            out += "; HttpOnly"
        return out

    def save(self, session: Session, now: float | None = None) -> list[tuple[str, str]]:
        """``Set-Cookie`` headers holding ``session`` under a new id (and expiring unused chunks)."""
        at = int(now if now is not None else time.time())
        created = session.created or at
        plain = json.dumps(session.data, separators=(",", ":")).encode()
        deflated = len(plain) > 1024
        if deflated:
            plain = zlib.compress(plain)
        sid = os.urandom(32)
        header = HEADER.pack(sid, created, at, at, int(deflated))
        nonce = os.urandom(12)
        value = b64url(header + nonce + AESGCM(_key(self.secret, sid)).encrypt(nonce, plain, header))
        session.created, session.saved, session.touched = created, at, at
        parts = [value[i: i + CHUNK] for i in range(0, len(value), CHUNK)][:MAX_CHUNKS]
        names = self._names()
        headers = [("Set-Cookie", f"{names[i]}={part}{self._attributes()}") for i, part in enumerate(parts)]
        headers += [("Set-Cookie", f"{names[i]}={self._attributes()}; {EXPIRED}")
                    for i in range(len(parts), session.chunks)]
        session.chunks = len(parts)
        return headers

    def destroy(self, session: Session) -> list[tuple[str, str]]:
        """Expiring ``Set-Cookie`` headers ([S] ``destroy()``)."""
        names = self._names()[: max(session.chunks, 1)]
        session.data = {}
        return [("Set-Cookie", f"{name}={self._attributes()}; {EXPIRED}") for name in names]
