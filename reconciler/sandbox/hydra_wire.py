"""Wire-level pieces of the Hydra emulator: Go's response framing and secret hashing.

Kept apart from the request handlers so that both ports (admin in ``hydra.py``, public in
``hydra_public.py``) frame responses the same way Go's ``net/http`` does (header names sorted,
then ``Date``) and share one secret format.  Secrets are PBKDF2-SHA256 with a per-client salt,
stored as ``$pbkdf2-sha256$i=<rounds>,l=32$<salt>$<key>`` so that verification reads the round
count from the hash itself.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import secrets
import string
import time

from reconciler.sandbox.http import Request, Response
from reconciler.sandbox.hydra_json import dumps
from reconciler.sandbox.hydra_model import ClientError

SECRET_ALPHABET = string.ascii_letters + string.digits + "_.~-"
NO_CACHE = ("Cache-Control", "private, no-cache, no-store, must-revalidate")
JSON_OK = ("Content-Type", "application/json; charset=utf-8")
JSON_ERR = ("Content-Type", "application/json")

_date_cache: tuple[int, str] = (0, "")


def http_date() -> str:
    """The ``Date`` header value, formatted once per second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, email.utils.formatdate(now, usegmt=True))
    return _date_cache[1]


def go_response(status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None) -> Response:
    """A response with Go's header order: sorted names, then ``Date`` (then Content-Length)."""
    ordered = sorted(headers or [], key=lambda kv: kv[0])
    ordered.append(("Date", http_date()))
    return Response(status, body, ordered)


def html_escape(text: str) -> str:
    """Escape text for an HTML attribute as Go's ``html.EscapeString`` does."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


#: Go's ``http.StatusText`` for the redirects the emulator sends.
REDIRECT_TEXT = {301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect", 308: "Permanent Redirect"}


def go_redirect(status: int, location: str, *, body: bool, extra: list[tuple[str, str]] | None = None) -> Response:
    """Go's ``http.Redirect``: ``Location`` and, when ``body`` (GET and HEAD), a tiny HTML page naming it."""
    headers = [("Location", location), *(extra or [])]
    if not body:
        return go_response(status, b"", headers)
    headers.append(("Content-Type", "text/html; charset=utf-8"))
    return go_response(status, f'<a href="{html_escape(location)}">{REDIRECT_TEXT[status]}</a>.\n\n'.encode(), headers)


def generate_secret(length: int = 26) -> str:
    """A random secret from Hydra's alphabet ``[a-zA-Z0-9_.~-]`` (unbiased rejection sampling)."""
    out: list[str] = []
    limit = 256 - 256 % len(SECRET_ALPHABET)
    while len(out) < length:
        out.extend(SECRET_ALPHABET[b % len(SECRET_ALPHABET)] for b in secrets.token_bytes(length) if b < limit)
    return "".join(out[:length])


def hash_secret(secret: str, iterations: int) -> str:
    """PBKDF2-SHA256 of ``secret`` with a fresh 16-byte salt, as a self-describing string."""
    salt = secrets.token_bytes(16)
    key = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, iterations, 32)
    b64 = base64.b64encode
    return f"$pbkdf2-sha256$i={iterations},l=32${b64(salt).decode().rstrip('=')}${b64(key).decode().rstrip('=')}"


def verify_secret(secret: str, hashed: str) -> bool:
    """Whether ``secret`` matches a hash made by ``hash_secret``."""
    try:
        _, algo, params, salt_b64, key_b64 = hashed.split("$")
        fields = dict(p.split("=", 1) for p in params.split(","))
        salt = base64.b64decode(salt_b64 + "=" * (-len(salt_b64) % 4))
        key = base64.b64decode(key_b64 + "=" * (-len(key_b64) % 4))
    except ValueError:
        return False
    if algo != "pbkdf2-sha256":
        return False
    derived = hashlib.pbkdf2_hmac("sha256", secret.encode(), salt, int(fields["i"]), len(key))
    return hmac.compare_digest(derived, key)


def error_response(err: ClientError) -> Response:
    """Hydra's ``{"error","error_description"}`` body with the admin API's headers."""
    body = dumps({"error": err.error, "error_description": err.description}) + "\n"
    return go_response(err.status, body.encode(), [NO_CACHE, JSON_ERR])


def json_response(status: int, text: str, extra: list[tuple[str, str]] | None = None) -> Response:
    """A JSON success body (Go's encoder ends it with a newline) with the admin API's headers."""
    return go_response(status, (text + "\n").encode(), [NO_CACHE, JSON_OK, *(extra or [])])


def plain_response(status: int, text: str, extra: list[tuple[str, str]] | None = None) -> Response:
    """A plain-text answer of Go's router (404 page, 405)."""
    headers = [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")]
    return go_response(status, text.encode(), headers + (extra or []))


def not_allowed(methods: str) -> Response:
    """The router's 405 with its ``Allow`` header."""
    return plain_response(405, "Method Not Allowed\n", [("Allow", methods)])


def gate(request: Request, allowed: str) -> Response | None:
    """The router's method check: None to go on, 200 with ``Allow`` for OPTIONS, or a 405."""
    if request.method == "OPTIONS":
        return go_response(200, b"", [("Allow", allowed)])
    if request.method not in allowed.split(", "):
        return not_allowed(allowed)
    return None


def health(request: Request) -> Response:
    """``/health/alive`` and ``/health/ready`` (both ports): always ready."""
    return gate(request, "GET, OPTIONS") or go_response(200, b'{"status":"ok"}\n', [JSON_OK])
