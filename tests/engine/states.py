"""Desired states for the engine's acceptance tests: examples/rich plus what it lacks.

examples/rich is the reference a user reads; these tests apply it to every server mode, so it is
copied, not rewritten.  What it lacks is added in one more file: an SSL certificate,
plugin_metadata, and routes that carry the plugins rich does not use (limit-conn, csrf,
jwt-auth, cors and prometheus on a route).  Two adjustments follow the servers, not taste:
APISIX <= 3.13 knows only ``session.secret`` and ``session.cookie.lifetime`` in openid-connect,
and Hydra v1 has no per-grant lifespans and no ``access_token_strategy``.  The secrets APISIX
<= 3.13 invents cannot be left out here: ``validate`` refuses such a state, so their handling is
tested on plain dicts in test_normalize.py.
"""

from __future__ import annotations

import datetime
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reconciler.sandbox.apisix_plugins import PLUGIN_NAMES

ROOT = Path(__file__).resolve().parents[2]
RICH = ROOT / "examples" / "rich"
SNI = "photos.example.test"

#: Every kind the engine manages, as plan addresses spell it.
ALL_KINDS = ("oauth2_client", "plugin_metadata", "ssl", "upstream", "consumer_group", "plugin_config",
             "service", "consumer", "credential", "route", "global_rule")
#: The plugins the rich example uses: the first thirteen the emulator transcribed.  The wider
#: catalogue (hmac-auth, loggers, traffic shaping...) converges in ``test_converge_wide_plugins``.
ALL_PLUGINS = PLUGIN_NAMES[:13]


@lru_cache(maxsize=1)
def tls_pair() -> tuple[str, str]:
    """A self-signed certificate and its private key (PEM) for ``SNI``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SNI)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SNI)]), critical=False)
            .sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return cert.public_bytes(serialization.Encoding.PEM).decode(), pem_key


def secret_env(canary: str = "") -> dict[str, str]:
    """The environment the desired state reads its secrets from.  ``canary`` is mixed into each."""
    tag = canary or "plain"
    return {
        "RICH_ALICE_KEY": f"alice-{tag}-key",
        "RICH_BOB_KEY": f"bob-{tag}-key",
        "RICH_BOB_PASSWORD": f"bob-{tag}-password",
        "RICH_CAROL_JWT_SECRET": f"carol-{tag}-jwt-secret",
        "RICH_PHOTO_WEB_SECRET": f"photo-web-{tag}-secret",
        "RICH_REPORTING_SECRET": f"reporting-{tag}-secret",
        "RICH_SESSION_SECRET": f"session-{tag}-secret-0123456789",
        "ENGINE_CSRF_KEY": f"csrf-{tag}-key-0123456789",
        "ENGINE_TLS_KEY": tls_pair()[1],
    }


def extras() -> dict[str, Any]:
    """The objects and plugins examples/rich lacks."""
    cert, _key = tls_pair()
    routes: list[dict[str, Any]] = [
        {"id": "uploads", "name": "photo uploads", "uri": "/uploads/*", "upstream_id": "photo-web",
         "plugins": {
             "limit-conn": {"conn": 10, "burst": 5, "default_conn_delay": 0.1, "key": "remote_addr"},
             "csrf": {"key": "${env:ENGINE_CSRF_KEY}"},
             "cors": {"allow_origins": "http://127.0.0.1:9080", "max_age": 600},
             "prometheus": {"prefer_name": True},
             "request-id": {"header_name": "X-Upload-Id"},
         }},
        {"id": "signed", "name": "JWT-signed callers", "uri": "/signed/*", "upstream_id": "reports",
         "plugins": {"jwt-auth": {"hide_credentials": True}}},
    ]
    apisix: dict[str, Any] = {
        "ssls": [{"id": "photos-tls", "sni": SNI, "cert": cert, "key": "${env:ENGINE_TLS_KEY}",
                  "labels": {"team": "photo"}}],
        "plugin_metadata": [{"plugin": "cors", "allow_origins": {"photos": "http://127.0.0.1:9080"}},
                            {"plugin": "limit-count", "limit_header": "X-Limit"}],
        "routes": routes,
    }
    return {"apisix": apisix}


def _adjust(doc: dict[str, Any], legacy: bool, hydra_v1: bool) -> dict[str, Any]:
    if legacy:
        for route in doc.get("apisix", {}).get("routes", []):
            oidc = (route.get("plugins") or {}).get("openid-connect")
            if isinstance(oidc, dict) and isinstance(oidc.get("session"), dict):
                oidc["session"] = {k: v for k, v in oidc["session"].items() if k == "secret"}
    if hydra_v1:
        for client in doc.get("hydra", {}).get("clients", []):
            for name in [n for n in client if n.endswith("_lifespan") or n == "access_token_strategy"]:
                del client[name]
    return doc


def write_state(target: Path, *, legacy: bool = False, hydra_v1: bool = False,
                with_extras: bool = True) -> Path:
    """Write the rich desired state (adjusted to the server modes) under ``target``; returns it."""
    target.mkdir(parents=True, exist_ok=True)
    for source in sorted(RICH.glob("*.yaml")):
        if not legacy and not hydra_v1:
            shutil.copy(source, target / source.name)
            continue
        doc = yaml.safe_load(source.read_text())
        (target / source.name).write_text(yaml.safe_dump(_adjust(doc, legacy, hydra_v1), sort_keys=False))
    if with_extras:
        (target / "zz-extras.yaml").write_text(yaml.safe_dump(extras(), sort_keys=False))
    return target
