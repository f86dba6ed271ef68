"""A loopback emulator of the Apache APISIX Admin API (v3), held to ``shared/spec/apisix-admin-api.md``.

Why it exists: every engine test and ``reconcile sandbox`` need a server that behaves like APISIX
where reconcilers get hurt: envelopes and the global revision counter, PUT 201/200, 20-digit POST
ids, PATCH merge rules, exact error texts, reference checks, paging quirks, auth roles, ciphertext
in write responses with plaintext on GET, and (in legacy mode, versions <= 3.13) stored defaults
and invented secrets.  Version 3.18.0 behaviour is the default.

Reads are the hot path (the benchmarks need thousands of GETs per second), so each stored object
keeps its GET encoding ready (``Entry.item``) and a read does a dict lookup and a byte join.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from typing import Any

from reconciler.sandbox import apisix_listing, apisix_secrets
from reconciler.sandbox.apisix_configs import validate_configs
from reconciler.sandbox.apisix_crypto import Keyring
from reconciler.sandbox.apisix_info import plugins_endpoint, schema_endpoint
from reconciler.sandbox.apisix_jsonschema import lua_type
from reconciler.sandbox.apisix_resources import (
    KINDS,
    STREAM_ROUTES,
    ApiError,
    Entry,
    ResourceType,
    bad,
    dumps,
    forbidden_times,
    merge_patch,
    parse_body,
)
from reconciler.sandbox.apisix_schemas import resource_schemas
from reconciler.sandbox.apisix_store import ApisixStore
from reconciler.sandbox.apisix_validate import Checker, tostring
from reconciler.sandbox.faults import FaultInjector
from reconciler.sandbox.http import HTTPServer, Request, Response

PREFIX = "/apisix/admin"
NOT_FOUND_KEY = {"message": "Key not found"}
CORS = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Expose-Headers", "*"), ("Access-Control-Max-Age", "3600")]
PREFLIGHT = [("Access-Control-Allow-Origin", "*"),
             ("Access-Control-Allow-Methods", "POST, GET, PUT, OPTIONS, DELETE, PATCH"),
             ("Access-Control-Max-Age", "3600"), ("Access-Control-Allow-Headers", "*"),
             ("Access-Control-Allow-Credentials", "true"), ("Content-Type", "text/plain")]
JSON_HEADERS = [("Content-Type", "application/json"), *CORS]
API_HEADERS = [*JSON_HEADERS, ("X-API-VERSION", "v3")]


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("-", maxsplit=1)[0].split(".") if p.isdigit())


def _raw(status: int, body: bytes, headers: list[tuple[str, str]] = API_HEADERS) -> Response:
    return Response(status, body, list(headers))


def _json(status: int, obj: Any) -> Response:
    return _raw(status, dumps(obj) + b"\n")


class ApisixEmulator(ApisixStore):
    """The Admin API request handler over an ``ApisixStore``; ``server()`` serves it over HTTP."""

    def __init__(self, version: str = "3.18.0", *, admin_key: str = "edd1c9f034335f136f87ad84b625c8f1",
                 viewer_key: str | None = "4054f7cf07e344346cd3f287985e76a2", encryption: bool = True,
                 keyring: Sequence[str] = ("qeddd145sfvddff3", "edd1c9f0985e76a2"),
                 faults: FaultInjector | None = None, plugins: Sequence[str] | None = None) -> None:
        super().__init__(_version(version), Keyring(keyring, encryption), plugins)
        self.version = version
        self.admin_key: str | None = admin_key
        self.viewer_key = viewer_key
        self.faults = faults or FaultInjector()
        self.schemas = resource_schemas(self.legacy)
        self.checker = Checker(self.schemas, self.plugins, self.vtuple, self._lookup, self._scan)

    # ----------------------------------------------------------------- public API
    def server(self, host: str = "127.0.0.1", port: int = 0) -> HTTPServer:
        """An HTTP server for this emulator (``Server: APISIX/<version>``)."""
        return HTTPServer(self.handle, host, port, faults=self.faults, server_header=f"APISIX/{self.version}")

    def plugin_schema(self, name: str, schema_type: str = "main") -> dict[str, Any] | None:
        """The schema served for plugin ``name`` (``main``, ``consumer`` or ``metadata``)."""
        return self.plugins.schema(name, schema_type)

    async def handle(self, request: Request) -> Response:
        """Answer one Admin API request."""
        if self._expiry:
            self._expire()
        try:
            self._ttl = None
            return self._route(request)
        except ApiError as exc:
            if isinstance(exc.body, str):
                return _raw(exc.status, exc.body.encode())
            return _json(exc.status, exc.body)

    # ------------------------------------------------------------------ ttl (etcd leases)
    @staticmethod
    def _parse_ttl(request: Request) -> float | None:
        raw = request.arg("ttl") if request.method in ("PUT", "POST", "PATCH") else None
        if raw is None:
            return None
        try:
            return float(raw)
        except ValueError:
            raise bad("invalid argument ttl: should be a number") from None

    # ------------------------------------------------------------------ routing
    def _route(self, request: Request) -> Response:
        path = request.path
        if path != PREFIX and not path.startswith(PREFIX + "/"):
            raise ApiError(404, {"error_msg": "not found"})
        if request.method == "OPTIONS":
            return _raw(200, b"", list(PREFLIGHT))
        parts = [p for p in path[len(PREFIX):].split("/") if p]
        if not parts:
            if request.method == "HEAD":
                return _raw(200, b"", list(JSON_HEADERS))
            raise ApiError(404, {"error_msg": "not found"})
        denied = self._auth(request)
        if denied is not None:
            return denied
        self._ttl = self._parse_ttl(request)
        head = parts[0]
        if head == "schema":
            return schema_endpoint(request, parts[1:], self.schemas, self.plugins)
        if head == "plugins":
            return plugins_endpoint(request, parts[1:], self.plugins)
        if head == "configs" and parts[1:] == ["validate"] and request.method == "POST" \
                and self.vtuple >= (3, 17):
            status, body = validate_configs(request, self.checker)
            return _json(status, body)
        if head == STREAM_ROUTES:
            raise bad("stream mode is disabled, can not add stream routes")
        if head == "secrets":
            parts = [head, *apisix_secrets.join_id(parts[1:])]
        kind = KINDS.get(head)
        if kind is None or head == "credentials":
            raise ApiError(404, {"error_msg": f"Unsupported resource type: {head}"})
        if head == "consumers" and len(parts) >= 3 and parts[2] == "credentials":
            return self._credentials(request, parts[1], parts[3] if len(parts) > 3 else None)
        return self._resource(request, kind, parts[1] if len(parts) > 1 else None, parts[2:])

    def _auth(self, request: Request) -> Response | None:
        if self.admin_key is None:
            return None
        token = request.arg("api_key") or request.headers.get("x-api-key") or request.cookies.get("x_api_key")
        if token and token == self.admin_key:
            return None
        if not token:
            reason = "missing apikey"
        elif self.viewer_key is not None and token == self.viewer_key:
            if request.method == "GET":
                return None
            reason = "invalid method for role viewer"
        else:
            reason = "wrong apikey"
        body: dict[str, str] = {"error_msg": "failed to check token"}
        if self.vtuple >= (3, 10):
            body["description"] = reason
        return _raw(401, dumps(body) + b"\n", list(JSON_HEADERS))

    def _resource(self, request: Request, kind: ResourceType, obj_id: str | None, sub: list[str]) -> Response:
        method = request.method
        if method not in ("GET", "PUT", "POST", "PATCH", "DELETE"):
            raise ApiError(404, {"error_msg": "not found"})
        if method not in kind.methods:
            raise ApiError(405, {"error_msg": f"not supported `{method}` method for {kind.noun}"})
        if method == "GET":
            if obj_id is None:
                segment = kind.segment
                return self._list(request, segment, list(self.data[segment].values()), self._by_key(segment))
            return self._get_one(kind.segment, obj_id)
        if method == "DELETE":
            return self._delete(request, kind, obj_id)
        if method == "PATCH":
            return self._patch(request, kind, obj_id, sub)
        return self._write(request, kind, obj_id)

    # ------------------------------------------------------------------ reads
    def _get_one(self, segment: str, obj_id: str) -> Response:
        entry = self.data[segment].get(obj_id)
        if entry is None:
            raise ApiError(404, NOT_FOUND_KEY)
        return _raw(200, entry.item + b"\n")

    def _list(self, request: Request, segment: str, by_created: list[Entry], by_key: list[Entry]) -> Response:
        items, total, as_object = apisix_listing.page_of(request, segment, by_created, by_key)
        if items and self.faults.take("truncate", "GET", request.path):
            items = items[:-1]
        return _raw(200, apisix_listing.render(items, total, as_object))

    # ------------------------------------------------------------------ writes
    def _key(self, kind: ResourceType, obj_id: str) -> str:
        return f"/apisix/{kind.segment}/{obj_id}"

    def _write(self, request: Request, kind: ResourceType, url_id: str | None) -> Response:
        conf = parse_body(request, "missing configurations")
        if not isinstance(conf, dict):
            raise bad(f"invalid configuration: wrong type: expected object, got {lua_type(conf)}")
        if kind.segment == "plugin_metadata":
            return self._write_metadata(kind, url_id, conf)
        if kind.segment == "consumers":
            forbidden_times(conf, self.vtuple)
            self.checker.check(kind, conf, url_id or "")
            obj_id = str(conf["username"])
            conf.pop("id", None)
        else:
            obj_id = self._check_id(request.method, kind, url_id, conf)
            forbidden_times(conf, self.vtuple)
            self.checker.check(kind, conf, tostring(obj_id))
            if request.method == "POST":  # the id is etcd's revision of /apisix/gen_id, taken after the checks
                conf["id"] = obj_id = f"{self._bump():020d}"
            obj_id = tostring(obj_id)
        key = self._key(kind, obj_id)
        existed = obj_id in self.data[kind.segment]
        now = int(time.time())
        old = self.data[kind.segment].get(obj_id)
        conf["create_time"] = old.value.get("create_time", now) if old else now
        conf["update_time"] = now
        entry = self._store(kind, key, conf)
        return _json(200 if existed else 201, {"key": key, "value": entry.value})

    def _check_id(self, method: str, kind: ResourceType, url_id: str | None, conf: dict[str, Any]) -> Any:
        if method == "POST":
            if url_id is not None or conf.get("id") is not None:
                raise bad(f"wrong {kind.noun} id, do not need it")
            return ""
        obj_id: Any = url_id if url_id is not None else conf.get("id")
        if obj_id is None:
            raise bad(f"missing {kind.noun} id")
        if url_id is not None and conf.get("id") is not None and tostring(conf["id"]) != url_id:
            raise bad(f"wrong {kind.noun} id")
        conf["id"] = obj_id
        return obj_id

    def _write_metadata(self, kind: ResourceType, name: str | None, conf: dict[str, Any]) -> Response:
        if not name:
            raise bad("missing plugin name")
        self.checker.check(kind, conf, name)
        conf["id"] = name
        key = self._key(kind, name)
        existed = name in self.data[kind.segment]
        entry = self._store(kind, key, conf)
        return _json(200 if existed else 201, {"key": key, "value": entry.value})

    def _patch(self, request: Request, kind: ResourceType, obj_id: str | None, sub: list[str]) -> Response:
        if obj_id is None:
            raise bad(f"missing {kind.noun} id")
        conf = parse_body(request, "missing new configuration")
        if not sub and not isinstance(conf, dict):
            raise bad("invalid configuration")
        old = self.data[kind.segment].get(obj_id)
        if old is None:
            raise ApiError(404, NOT_FOUND_KEY)
        # 3.18 decrypts before merging; earlier versions merged ciphertext and encrypted it again.
        base = copy.deepcopy(old.value if self.vtuple < (3, 18) else old.plain)
        if kind.segment == "ssls":  # private keys are merged and checked in plaintext, encrypted again on store
            base = copy.deepcopy(old.plain)
            if isinstance(old.value.get("key"), str):
                base["key"] = self.keyring.decrypt(old.value["key"])
            if isinstance(old.value.get("keys"), list):
                base["keys"] = [self.keyring.decrypt(k) if isinstance(k, str) else k for k in old.value["keys"]]
        if sub:
            merged = base
            node: Any = merged
            for depth, part in enumerate(sub[:-1], 1):
                if node.get(part) is None:
                    node[part] = {}
                node = node[part]
                if not isinstance(node, dict):
                    raise bad("invalid sub-path: /" + "/".join(sub[:depth]))
            node[sub[-1]] = conf
            merged["update_time"] = int(time.time())
        else:
            merged = merge_patch(base, conf)
            if "update_time" not in conf:
                merged["update_time"] = int(time.time())
        merged["id"] = obj_id
        self.checker.check(kind, merged, obj_id)
        entry = self._store(kind, old.key, merged)
        return _json(200, {"key": old.key, "value": entry.value})

    # ------------------------------------------------------------------ deletes
    def _delete(self, request: Request, kind: ResourceType, obj_id: str | None) -> Response:
        if obj_id is None:
            raise bad(f"missing {kind.noun} id")
        segment = kind.segment
        entry = self.data[segment].get(obj_id)
        if entry is None:
            raise ApiError(404, NOT_FOUND_KEY)
        if self.faults.take("in_use", "DELETE", request.path):
            user = {"upstreams": "upstream", "services": "service", "plugin_configs": "plugin config",
                    "consumer_groups": "consumer group"}.get(segment, kind.noun)
            directly = " directly" if segment == "services" else ""
            raise bad(f"can not delete this {user}{directly}, route [x] is still using it now")
        if request.arg("force") != "true":
            self.checker.in_use(segment, obj_id)
        del self.data[segment][obj_id]
        self._sorted[segment] = None
        if segment == "consumers":
            # resource.lua _M:delete: etcd.rmdir(key .. "/credentials/") before the consumer's own
            # delete, so its credentials go with it (a range delete is one more revision when it
            # removed anything).
            prefix = obj_id + "/credentials/"
            owned = [k for k in self.data["credentials"] if k.startswith(prefix)]
            for cred in owned:
                del self.data["credentials"][cred]
                self._expiry.pop(("credentials", cred), None)
            self._sorted["credentials"] = None
            if owned:
                self._bump()
        self._bump()
        return _json(200, {"deleted": "1", "key": entry.key})

    # ------------------------------------------------------------------ credentials
    def _credentials(self, request: Request, username: str, cred_id: str | None) -> Response:
        kind = KINDS["credentials"]
        method = request.method
        if method not in ("GET", "PUT", "POST", "PATCH", "DELETE"):
            raise ApiError(404, {"error_msg": "not found"})
        if method not in kind.methods:
            raise ApiError(405, {"error_msg": f"not supported `{method}` method for {kind.noun}"})
        store = self.data["credentials"]
        key = f"/apisix/consumers/{username}/credentials/{cred_id}"
        if method == "GET":
            if cred_id is not None:
                return self._get_one("credentials", f"{username}/credentials/{cred_id}")
            if username not in self.data["consumers"]:
                raise ApiError(404, NOT_FOUND_KEY)
            prefix = username + "/credentials/"
            mine = [e for k, e in store.items() if k.startswith(prefix)]
            return self._list(request, "credentials", mine, sorted(mine, key=lambda e: e.key))
        if method == "DELETE":
            entry = store.pop(f"{username}/credentials/{cred_id}", None) if cred_id else None
            if entry is None:
                raise ApiError(404, NOT_FOUND_KEY)
            self._bump()
            return _json(200, {"deleted": "1", "key": entry.key})
        if username not in self.data["consumers"]:
            raise ApiError(404, {"error_msg": "consumer not found"})
        conf = parse_body(request, "missing configurations")
        if not isinstance(conf, dict):
            raise bad(f"invalid configuration: wrong type: expected object, got {lua_type(conf)}")
        obj_id = self._check_id("PUT", kind, cred_id, conf)
        forbidden_times(conf, self.vtuple)
        self.checker.check(kind, conf, tostring(obj_id), parent=username)
        key = f"/apisix/consumers/{username}/credentials/{tostring(obj_id)}"
        old = store.get(self._store_id(key, "credentials"))
        now = int(time.time())
        conf["create_time"] = old.value.get("create_time", now) if old else now
        conf["update_time"] = now
        entry = self._store(kind, key, conf)
        return _json(200 if old else 201, {"key": key, "value": entry.value})
