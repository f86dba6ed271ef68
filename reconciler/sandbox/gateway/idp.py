"""The gateway's calls to the OpenID provider, with lua-resty-openidc's caches and client authentication.

Why separate: the openid-connect flow decides *when* to call the provider; this module decides
*how* ([O] ``openidc_discover()``, ``openidc_jwks()``, ``openidc.call_token_endpoint()``,
``openidc_apply_client_auth()``, ``openidc_get_token_auth_method()``,
``openidc.call_userinfo_endpoint()``, ``openidc.introspect()``; ``shared/spec/apisix-data-plane.md``
§4.4-4.5, §4.10): discovery cached 24 h per URL and failures never cached; the JWKS cached
``jwk_expires_in``; introspection answers cached until the token's ``exp``;
``client_secret_basic`` as ``Basic base64(urlencode(id):urlencode(secret))``, ``client_secret_post``
in the body, and *no* credentials when discovery lists auth methods without the configured one.
Errors carry the library's texts, which APISIX logs; the client sees only a status.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import quote

import httpx

DISCOVERY_TTL = 24 * 3600.0


class IdpError(Exception):
    """A failed provider call; the text is lua-resty-openidc's reason."""


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise IdpError(f"JSON decoding failed ({what})") from exc
    if not isinstance(body, dict):
        raise IdpError(f"JSON decoding failed ({what}): not an object")
    return body


def auth_method(conf: dict[str, Any], discovery: dict[str, Any], key: str) -> str | None:
    """The client authentication to use; None when discovery does not support the configured one."""
    method = str(conf.get(key) or "client_secret_basic")
    supported = discovery.get("token_endpoint_auth_methods_supported")
    if isinstance(supported, list) and method not in supported:
        return None
    return method


def client_auth(conf: dict[str, Any], method: str | None, form: dict[str, str]) -> dict[str, str]:
    """Headers for ``method``; ``client_secret_post`` adds the credentials to ``form`` instead."""
    client_id, secret = str(conf.get("client_id", "")), str(conf.get("client_secret") or "")
    if method == "client_secret_basic":
        pair = f"{quote(client_id, safe='')}:{quote(secret, safe='')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    if method == "client_secret_post":
        form["client_id"] = client_id
        if secret:
            form["client_secret"] = secret
    return {}


class Provider:
    """Calls to the IdPs of every openid-connect config, sharing the caches (as nginx shared dicts)."""

    def __init__(self, http: Any) -> None:
        self._http = http  # (verify: bool) -> httpx.AsyncClient
        self._discovery: dict[str, tuple[float, dict[str, Any]]] = {}
        self._jwks: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._introspection: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}

    def _client(self, conf: dict[str, Any]) -> httpx.AsyncClient:
        client: httpx.AsyncClient = self._http(conf.get("ssl_verify", True) is not False)
        return client

    @staticmethod
    def _timeout(conf: dict[str, Any]) -> float:
        return float(conf.get("timeout", 3))

    async def _call(self, conf: dict[str, Any], method: str, url: str, what: str,
                    **kwargs: Any) -> httpx.Response:
        try:
            return await self._client(conf).request(method, url, timeout=self._timeout(conf), **kwargs)
        except httpx.HTTPError as exc:
            raise IdpError(f"accessing {what} ({url}) failed: {type(exc).__name__}: {exc}") from exc

    async def discover(self, conf: dict[str, Any]) -> dict[str, Any]:
        """The discovery document of ``conf.discovery``."""
        url = str(conf.get("discovery", ""))
        cached = self._discovery.get(url)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        response = await self._call(conf, "GET", url, "discovery url")
        if response.status_code != 200:
            raise IdpError(f"accessing discovery url ({url}) failed: status {response.status_code}")
        document = _json(response, "discovery")
        self._discovery[url] = (time.monotonic() + DISCOVERY_TTL, document)
        return document

    async def jwks(self, conf: dict[str, Any], discovery: dict[str, Any], *, force: bool = False) -> list[
            dict[str, Any]]:
        """The provider's keys (``jwks_uri``), cached ``jwk_expires_in`` seconds."""
        url = str(discovery.get("jwks_uri", ""))
        if not url:
            raise IdpError("no jwks_uri in the discovery document")
        cached = self._jwks.get(url)
        if cached is not None and cached[0] > time.monotonic() and not force:
            return cached[1]
        response = await self._call(conf, "GET", url, "jwks url")
        if response.status_code != 200:
            raise IdpError(f"accessing jwks url ({url}) failed: status {response.status_code}")
        keys = _json(response, "jwks").get("keys")
        if not isinstance(keys, list):
            raise IdpError("jwks has no keys")
        self._jwks[url] = (time.monotonic() + float(conf.get("jwk_expires_in", 86400)), keys)
        return keys

    async def token(self, conf: dict[str, Any], discovery: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
        """``POST token_endpoint`` with client authentication; a non-200 answer is an error."""
        url = str(discovery.get("token_endpoint", ""))
        body = dict(form)
        headers = client_auth(conf, auth_method(conf, discovery, "token_endpoint_auth_method"), body)
        response = await self._call(conf, "POST", url, "token endpoint", data=body, headers=headers)
        if response.status_code != 200:
            raise IdpError(f"response indicates failure, status={response.status_code}, body={response.text}")
        return _json(response, "token response")

    async def userinfo(self, conf: dict[str, Any], discovery: dict[str, Any], access_token: str) -> dict[str, Any]:
        """``GET userinfo_endpoint`` with the access token."""
        url = str(discovery.get("userinfo_endpoint", ""))
        response = await self._call(conf, "GET", url, "userinfo endpoint",
                                    headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code != 200:
            raise IdpError(f"response indicates failure, status={response.status_code}, body={response.text}")
        return _json(response, "userinfo")

    async def introspect(self, conf: dict[str, Any], discovery: dict[str, Any] | None, token: str) -> dict[str, Any]:
        """[O] ``openidc.introspect()``: an active introspection answer, cached until its ``exp``."""
        endpoint = conf.get("introspection_endpoint") or (discovery or {}).get("introspection_endpoint")
        if not endpoint:
            raise IdpError("no introspection endpoint")
        key = (str(endpoint), token)
        cached = self._introspection.get(key)
        if cached is not None and cached[0] > time.time():
            return cached[1]
        form = {"token": token}
        method = str(conf.get("introspection_endpoint_auth_method") or "client_secret_basic")
        headers = client_auth(conf, method, form)
        response = await self._call(conf, "POST", str(endpoint), "introspection endpoint", data=form,
                                    headers=headers)
        if response.status_code != 200:
            raise IdpError(f"response indicates failure, status={response.status_code}, body={response.text}")
        answer = _json(response, "introspection")
        if answer.get("active") is not True:
            raise IdpError("invalid token")
        expiry = float(answer.get("exp") or 0)
        interval = float(conf.get("introspection_interval") or 0)
        if interval > 0:
            expiry = min(expiry, time.time() + interval) if expiry else time.time() + interval
        if expiry > time.time():
            self._introspection[key] = (expiry, answer)
        return answer
