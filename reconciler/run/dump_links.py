"""What the servers flatten and a dump rebuilds: openid-connect ``client:`` links and ``hydra.issuer``.

In the desired state a plugin says ``client: shop-web`` and the loader fills in the Hydra
client's id, secret and ``<issuer>/.well-known/openid-configuration`` (``load/resolve.py``).
APISIX stores only the result, so a plain dump would hand back three literals where the user
wrote one link, and the Hydra client's secret, which Hydra never returns, would stay unmanaged.
A plugin is linked again when its ``client_id`` names a dumped Hydra client and its
``discovery`` is the issuer's; its secret then becomes the client's ``client_secret``
(Hydra's copy of the same secret), under one placeholder.  Two plugins that disagree on the
secret of one client keep their literals.  The loader's own checks have the last word: the
caller validates the linked dump and falls back to the literals if it does not load.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Final

from reconciler.state.kinds import Kind
from reconciler.state.registry import spec

DISCOVERY_SUFFIX: Final = "/.well-known/openid-configuration"
_PLACEHOLDER = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")
OIDC: Final = "openid-connect"


def _oidc(kind: Kind, entry: dict[str, Any]) -> dict[str, Any] | None:
    plugins = entry.get("plugins") if spec(kind).links_clients else None
    conf = plugins.get(OIDC) if isinstance(plugins, dict) else None
    return conf if isinstance(conf, dict) and isinstance(conf.get("client_id"), str) else None


def issuer_of(entries: dict[Kind, list[dict[str, Any]]], clients: set[str]) -> str | None:
    """The issuer most plugins that use a dumped client point at (``discovery`` minus its suffix)."""
    seen: Counter[str] = Counter()
    for kind, items in entries.items():
        for entry in items:
            conf = _oidc(kind, entry)
            discovery = conf.get("discovery") if conf else None
            if conf and conf["client_id"] in clients and isinstance(discovery, str) \
                    and discovery.endswith(DISCOVERY_SUFFIX):
                seen[discovery.removesuffix(DISCOVERY_SUFFIX) + "/"] += 1
    return seen.most_common(1)[0][0] if seen else None


def link_clients(entries: dict[Kind, list[dict[str, Any]]], issuer: str, secrets: dict[str, Any],
                 client_secret_name: Any) -> list[tuple[str, str]]:
    """Rewrite linkable plugins in place as ``client:``; returns the (plugin address, client id) pairs.

    ``secrets`` maps a placeholder name to its value (``Secret``) or None; a plugin's secret
    placeholder is moved to the client (``client_secret_name(client_id)`` names it) and
    dropped from ``secrets``.
    """
    clients = {e["client_id"]: e for e in entries.get(Kind.OAUTH2_CLIENT, [])}
    expected = issuer.rstrip("/") + DISCOVERY_SUFFIX
    linked: list[tuple[str, str]] = []
    for kind, items in entries.items():
        for entry in items:
            conf = _oidc(kind, entry)
            if conf is None or conf["client_id"] not in clients or conf.get("discovery") != expected:
                continue
            client = clients[conf["client_id"]]
            ours = _PLACEHOLDER.match(str(conf.get("client_secret", "")))
            if "client_secret" in conf and ours is None:
                continue  # a literal we cannot move
            if ours is not None:
                value = secrets.get(ours.group(1))
                theirs = _PLACEHOLDER.match(str(client.get("client_secret", "")))
                if theirs is not None and secrets.get(theirs.group(1)) != value:
                    continue  # this plugin holds a different secret for the same client
                if theirs is None or theirs.group(1) != ours.group(1):
                    secrets.pop(ours.group(1), None)
                if theirs is None:
                    name = client_secret_name(client["client_id"])
                    client["client_secret"] = f"${{env:{name}}}"
                    secrets[name] = value
            rest = {k: v for k, v in conf.items() if k not in ("client_id", "client_secret", "discovery")}
            conf.clear()
            conf.update({"client": client["client_id"], **rest})
            linked.append((f"{kind.value}.{entry.get(spec(kind).key_field)}", client["client_id"]))
    return linked
