"""Validation of a decoded Hydra client: server defaults, then checks in Hydra's fixed order.

Hydra's validator both fills defaults (auth method, scope, subject type, userinfo alg) and
rejects bad values, and the first failure wins, so the order is part of the behaviour: a body
with a short secret and a bad CORS origin must be refused for the secret.  The messages are
Hydra 2.3.0's, checked against the real server.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from reconciler.sandbox.hydra_jwk import valid_for_client
from reconciler.sandbox.hydra_model import ClientError, metadata_error

REDIRECT_PREFIX = "The value of one or more redirect_uris is invalid."
DEFAULT_SCOPE = "offline_access offline openid"
PRIVATE_KEY_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")


def _parse_request_uri(uri: str) -> bool:
    """Whether Go's ``url.ParseRequestURI`` accepts ``uri`` (absolute URI or absolute path)."""
    if not uri or any(ord(c) < 0x21 or c == "\x7f" for c in uri):
        return False
    if re.search(r"%(?![0-9A-Fa-f]{2})", uri):
        return False
    try:
        urlsplit(uri)
    except ValueError:
        return False
    if uri.startswith("/"):
        return True
    m = re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", uri)
    if m is None:
        return False
    rest = uri[m.end():]
    if rest.startswith("//"):
        authority = rest[2:].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
        if ":" in authority and not authority.endswith("]"):
            port = authority.rsplit(":", 1)[1]
            if port and not port.isdigit():
                return False
    return True


def _go_quote(c: str) -> str:
    return json.dumps(c).replace('"', "'") if c != '"' else "'\\''"


def _host(uri: str) -> tuple[str, str]:
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "", ""
    return parts.scheme, parts.netloc.rsplit("@", 1)[-1]


def validate(client: dict[str, Any], *, v2: bool) -> None:
    """Fill server defaults and check fields in Hydra's order; raise the first ``ClientError``."""
    if not client["token_endpoint_auth_method"]:
        client["token_endpoint_auth_method"] = "client_secret_basic"
    if client["token_endpoint_auth_method"] == "private_key_jwt":
        if not client["jwks_uri"] and client["jwks"] is None:
            raise metadata_error("When token_endpoint_auth_method is 'private_key_jwt', "
                                 "either jwks or jwks_uri must be set.")
        alg = client["token_endpoint_auth_signing_alg"]
        if alg and alg not in PRIVATE_KEY_ALGS:
            raise metadata_error("Only RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 and ES512 "
                                 "are supported as algorithms for private key authentication.")
    if client["jwks_uri"] and client["jwks"] is not None:
        raise metadata_error("Fields jwks and jwks_uri can not both be set, you must choose one.")
    if not all(valid_for_client(key) for key in (client["jwks"] or {}).get("keys") or []):
        raise metadata_error("Invalid JSON web key in set.")
    secret = client["client_secret"]
    if secret and len(secret) < 6:
        raise metadata_error("Field client_secret must contain a secret that is at least 6 characters long.")
    if not client["scope"]:
        client["scope"] = DEFAULT_SCOPE
    origins = []
    for origin in client["allowed_cors_origins"] or []:
        try:
            parts = urlsplit(origin)
        except ValueError:
            parts = urlsplit("")
        bad = next((c for c in parts.netloc if c in " {}|\\^`" or ord(c) < 0x20), None)
        if bad is not None:
            raise metadata_error(f"Origin URL {origin} from allowed_cors_origins could not be parsed: "
                                 f"parse '{origin}': invalid character {_go_quote(bad)} in host name")
        if parts.scheme not in ("http", "https"):
            raise metadata_error(f"Origin URL {origin} must use https:// or http:// as HTTP scheme.")
        if "@" in parts.netloc:
            raise metadata_error(f"Origin URL {origin} has HTTP user and/or password set which is not allowed.")
        if parts.path.rstrip("/") or parts.query or parts.fragment:
            raise metadata_error(f"Origin URL {origin} must have an empty path, query, and fragment "
                                 "but one of the parts is not empty.")
        force_query = "?" in origin.split("#", 1)[0]
        origins.append(f"{parts.scheme}://{parts.netloc}" + ("?" if force_query else ""))
    if client["allowed_cors_origins"] is not None:
        client["allowed_cors_origins"] = origins
    if client["sector_identifier_uri"]:
        # Hydra fetches the document over HTTPS; the sandbox reaches no network, so it always fails.
        raise metadata_error("")
    if not client["userinfo_signed_response_alg"]:
        client["userinfo_signed_response_alg"] = "none"
    if client["userinfo_signed_response_alg"] not in ("none", "RS256"):
        raise metadata_error("Field userinfo_signed_response_alg can either be 'none' or 'RS256'.")
    for uri in client["redirect_uris"] or []:
        if not _parse_request_uri(uri):
            raise ClientError(400, "invalid_redirect_uri", f"{REDIRECT_PREFIX} Unable to parse redirect URL: {uri}")
        if "#" in uri:
            raise ClientError(400, "invalid_redirect_uri",
                              f"{REDIRECT_PREFIX} Redirect URIs must not contain fragments (#).")
    if not client["subject_type"]:
        client["subject_type"] = "public"
    if client["subject_type"] != "public":
        raise metadata_error(f"Subject type {client['subject_type']} is not supported by server, "
                             "only [public] are allowed.")
    redirect_hosts = {_host(u) for u in client["redirect_uris"] or []}
    for uri in client["post_logout_redirect_uris"] or []:
        if not _parse_request_uri(uri):
            raise metadata_error(f"Unable to parse post_logout_redirect_uri: {uri}")
        if _host(uri) not in redirect_hosts:
            raise metadata_error(f"post_logout_redirect_uri '{uri}' must match the domain, port, scheme "
                                 "of at least one of the registered redirect URIs but did not'")
    if v2 and client["access_token_strategy"]:
        strategy = client["access_token_strategy"].lower()
        if strategy not in ("jwt", "opaque"):
            raise metadata_error("invalid access token strategy: expected one of [jwt, opaque] "
                                 f"but got {client['access_token_strategy']}")
        client["access_token_strategy"] = strategy
    client["client_secret_expires_at"] = 0
