"""A browser's walk through the authorization-code flow, with Hydra's login and consent accepted by API.

Why not a browser: these tests pin the gateway's side of the flow, so the login and consent
screens are skipped the way the issue describes for ``reconcile verify``: the challenges are
accepted through Hydra's admin API (``PUT /admin/oauth2/auth/requests/login/accept`` and
``.../consent/accept``), and every redirect is followed by hand with one cookie jar, so each
hop can be inspected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx


@dataclass
class Walk:
    """Every response of one login, in order, and the named hops."""

    hops: list[httpx.Response] = field(default_factory=list)
    authorize: httpx.Response | None = None
    callback: httpx.Response | None = None
    final: httpx.Response | None = None

    def query(self, response: httpx.Response) -> dict[str, str]:
        """The query of a redirect's ``Location``, one value per name."""
        return {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}


def _follow(client: httpx.Client, response: httpx.Response, walk: Walk) -> httpx.Response:
    location = response.headers["location"]
    nxt = client.get(urljoin(str(response.url), location))
    walk.hops.append(nxt)
    return nxt


def login(client: httpx.Client, start_url: str, hydra_admin: str, subject: str = "foo@bar.com",
          scopes: tuple[str, ...] = ("openid", "offline"), first: httpx.Response | None = None) -> Walk:
    """Request ``start_url`` (or take the gateway's ``first`` answer) and walk the whole login.

    The walk stops early when a hop is not a redirect."""
    walk = Walk()
    first = first if first is not None else client.get(start_url)
    walk.hops.append(first)
    walk.authorize = first
    if first.status_code != 302:
        return walk
    response = _follow(client, first, walk)  # Hydra /oauth2/auth -> login URL
    challenge = parse_qs(urlsplit(response.headers.get("location", "")).query).get("login_challenge")
    if response.status_code not in (302, 303) or not challenge:
        return walk
    accepted = httpx.put(f"{hydra_admin}/admin/oauth2/auth/requests/login/accept",
                         params={"login_challenge": challenge[0]}, json={"subject": subject}, timeout=10)
    accepted.raise_for_status()
    response = client.get(accepted.json()["redirect_to"])  # -> consent URL
    walk.hops.append(response)
    challenge = parse_qs(urlsplit(response.headers.get("location", "")).query).get("consent_challenge")
    if response.status_code not in (302, 303) or not challenge:
        return walk
    consent = httpx.put(f"{hydra_admin}/admin/oauth2/auth/requests/consent/accept",
                        params={"consent_challenge": challenge[0]},
                        json={"grant_scope": list(scopes), "remember": False,
                              "session": {"id_token": {"email": subject}}}, timeout=10)
    consent.raise_for_status()
    response = client.get(consent.json()["redirect_to"])  # -> the gateway's callback
    walk.hops.append(response)
    if response.status_code not in (302, 303):  # Hydra answers the last hop with 303
        return walk
    walk.callback = _follow(client, response, walk)
    if walk.callback.status_code == 302:
        walk.final = _follow(client, walk.callback, walk)
    return walk
