"""key-auth (2500) and basic-auth (2520): find the consumer a request's credential belongs to.

Why together: both are rewrite-phase auth plugins that look a credential up among consumers
and their 3.11+ credentials, attach the consumer (whose plugins then join the route's, see
``gateway.py``), and answer 401 with APISIX's texts otherwise (``shared/spec/apisix-data-plane.md``
§5; [A] ``apisix/plugins/key-auth.lua: find_consumer()``, ``basic-auth.lua:
extract_auth_header()``, ``apisix/consumer.lua: attach_consumer()``).  The upstream sees
``X-Consumer-Username``, ``X-Credential-Identifier`` and ``X-Consumer-Custom-ID``; a value the
consumer lacks deletes the client's header of that name.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

from reconciler.sandbox.gateway.context import Ctx, exit_json
from reconciler.sandbox.gateway.view import Consumer
from reconciler.sandbox.http import Response

Found = tuple[Consumer, str | None, dict[str, Any]]


def find_credential(ctx: Ctx, plugin: str, field: str, value: str) -> Found | None:
    """The consumer (and credential id) whose ``plugin`` config has ``field == value``."""
    for consumer in ctx.view.consumers.values():
        conf = consumer.conf.get("plugins", {}).get(plugin)
        if isinstance(conf, dict) and str(conf.get(field)) == value:
            return consumer, None, conf
        for cred_id, plugins in consumer.credentials:
            cred = plugins.get(plugin)
            if isinstance(cred, dict) and str(cred.get(field)) == value:
                return consumer, cred_id, cred
    return None


def attach(ctx: Ctx, consumer: Consumer, credential_id: str | None) -> None:
    """[A] ``consumer.attach_consumer()``: remember the consumer and tell the upstream who it is."""
    ctx.consumer, ctx.credential_id = consumer, credential_id
    custom_id = (consumer.conf.get("labels") or {}).get("custom_id")
    for name, value in (("x-consumer-username", consumer.username), ("x-credential-identifier", credential_id),
                        ("x-consumer-custom-id", custom_id)):
        if value is None:
            ctx.upstream_headers.pop(name, None)
        else:
            ctx.upstream_headers[name] = str(value)


def _anonymous(ctx: Ctx, conf: dict[str, Any]) -> bool:
    """Attach ``anonymous_consumer`` when it exists ([A] ``consumer.get_anonymous_consumer()``)."""
    name = conf.get("anonymous_consumer")
    consumer = ctx.view.consumers.get(str(name)) if name else None
    if consumer is None:
        return False
    attach(ctx, consumer, None)
    return True


def _drop_query_arg(ctx: Ctx, name: str) -> None:
    pairs = [(k, v) for k, v in parse_qsl(ctx.request.raw_query, keep_blank_values=True) if k != name]
    path = ctx.request.target.split("?", 1)[0]
    ctx.upstream_uri = path + ("?" + urlencode(pairs) if pairs else "")


class KeyAuth:
    """key-auth: key from the ``header`` (``apikey``), else the ``query`` argument (``apikey``)."""

    name = "key-auth"
    priority = 2500
    phase = "rewrite"
    auth = True

    async def run(self, conf: dict[str, Any], ctx: Ctx) -> Response | None:
        header = str(conf.get("header") or "apikey").lower()
        query = str(conf.get("query") or "apikey")
        realm = ("WWW-Authenticate", f'apikey realm="{conf.get("realm") or "key"}"')
        key = ctx.request.headers.get(header)
        from_header = key is not None
        if key is None:
            key = ctx.request.arg(query)
        found = find_credential(ctx, "key-auth", "key", key) if key is not None else None
        if found is None:
            message = "Missing API key in request" if key is None else "Invalid API key in request"
            if not conf.get("anonymous_consumer"):
                return exit_json(401, {"message": message}, [realm])
            if conf.get("hide_credentials"):  # both places, as the anonymous fallback does
                ctx.upstream_headers.pop(header, None)
                if ctx.request.arg(query) is not None:
                    _drop_query_arg(ctx, query)
            if not _anonymous(ctx, conf):
                return exit_json(401, {"message": "Invalid user authorization"}, [realm])
            return None
        consumer, cred_id, _cred = found
        if conf.get("hide_credentials"):
            if from_header:
                ctx.upstream_headers.pop(header, None)
            else:
                _drop_query_arg(ctx, query)
        attach(ctx, consumer, cred_id)
        return None


class BasicAuth:
    """basic-auth: ``Authorization`` matching ``(?i:basic)\\s(.+)``; whitespace removed, split at every ``:``."""

    name = "basic-auth"
    priority = 2520
    phase = "rewrite"
    auth = True

    @staticmethod
    def _find(ctx: Ctx) -> Found | str:
        header = ctx.request.headers.get("authorization")
        if header is None:
            return "Missing authorization in request"
        match = re.search(r"(?i:basic)\s(.+)", header)
        try:
            decoded = base64.b64decode(match.group(1), validate=True).decode() if match else None
        except (binascii.Error, UnicodeDecodeError):
            decoded = None
        parts = decoded.split(":") if decoded is not None else []
        if len(parts) < 2:
            return "Invalid authorization in request"
        username, password = re.sub(r"\s+", "", parts[0]), re.sub(r"\s+", "", parts[1])
        found = find_credential(ctx, "basic-auth", "username", username)
        if found is None or str(found[2].get("password")) != password:
            return "Invalid user authorization"
        return found

    async def run(self, conf: dict[str, Any], ctx: Ctx) -> Response | None:
        realm = ("WWW-Authenticate", f'Basic realm="{conf.get("realm") or "basic"}"')
        found = self._find(ctx)
        if isinstance(found, str):
            if not conf.get("anonymous_consumer"):
                return exit_json(401, {"message": found}, [realm])
            if not _anonymous(ctx, conf):
                return exit_json(401, {"message": "Invalid user authorization"}, [realm])
        if conf.get("hide_credentials"):
            ctx.upstream_headers.pop("authorization", None)
        if not isinstance(found, str):
            attach(ctx, found[0], found[1])
        return None
