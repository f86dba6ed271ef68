"""The etcd-like state behind the APISIX emulator: entries, revisions, leases, encryption at rest.

Why separate from the request handler: APISIX's admin layer sits on etcd, and several behaviours
a reconciler sees come from that layer rather than from the Admin API code: one global revision
counter (createdIndex/modifiedIndex), key-ordered lists, ``?ttl=`` leases, and secrets that are
encrypted when written and decrypted (or stripped) when read.  ``ApisixStore`` keeps those rules
in one place; ``ApisixEmulator`` adds HTTP routing and the Admin API checks on top.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Sequence
from typing import Any

from reconciler.sandbox.apisix_crypto import Keyring
from reconciler.sandbox.apisix_plugins import PluginRegistry
from reconciler.sandbox.apisix_resources import KINDS, Entry, ResourceType


class ApisixStore:
    """Stored objects per resource segment, keyed by id (credentials: ``user/credentials/id``)."""

    def __init__(self, vtuple: tuple[int, ...], keyring: Keyring, plugins: Sequence[str] | None) -> None:
        self.vtuple = vtuple
        self.legacy = vtuple <= (3, 13, 99)
        self.keyring = keyring
        self.plugins = PluginRegistry(vtuple, plugins)
        self.revision = 0
        self.data: dict[str, dict[str, Entry]] = {segment: {} for segment in KINDS}
        self._sorted: dict[str, list[Entry] | None] = {}
        self._expiry: dict[tuple[str, str], float] = {}
        self._ttl: float | None = None

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-able data (stored values, indexes, revision)."""
        return {"version": ".".join(map(str, self.vtuple)), "revision": self.revision,
                "data": {seg: [[e.key, e.value, e.created, e.modified] for e in store.values()]
                         for seg, store in self.data.items()}}

    def restore(self, data: dict[str, Any]) -> None:
        """Replace the state with a ``snapshot()``."""
        self.revision = int(data.get("revision", 0))
        self.data = {segment: {} for segment in KINDS}
        for segment, rows in data.get("data", {}).items():
            for key, value, created, modified in rows:
                self._put(segment, key, value, created, modified)
        self._sorted.clear()

    def _expire(self) -> None:
        """Drop objects whose ``?ttl=`` lease ran out; each expiry is a write, like etcd's."""
        now = time.monotonic()
        for (segment, store_id), deadline in list(self._expiry.items()):
            if deadline > now:
                continue
            del self._expiry[(segment, store_id)]
            if self.data[segment].pop(store_id, None) is not None:
                self._sorted[segment] = None
                self._bump()

    def _put(self, segment: str, key: str, value: dict[str, Any], created: int, modified: int) -> Entry:
        plain = copy.deepcopy(value)
        kind = KINDS[segment]
        if segment == "plugin_metadata":
            self.keyring.apply(plain, self.plugins.encrypt_fields(key.rsplit("/", 1)[1], "metadata"),
                               decrypt=True)
        else:
            self._crypt_plugins(plain, kind, decrypt=True)
        if segment == "ssls":
            plain.pop("key", None)
            plain.pop("keys", None)
        entry = Entry(key, value, plain, created, modified)
        store = self.data[segment]
        # The cached key-ordered list holds Entry objects, so any write (new key or in-place
        # replace) must drop it: real APISIX reads etcd on every list (apisix/admin/resource.lua get).
        self._sorted[segment] = None
        store[self._store_id(key, segment)] = entry
        return entry

    @staticmethod
    def _store_id(key: str, segment: str) -> str:
        if segment == "credentials":
            return key.removeprefix("/apisix/consumers/")
        if segment == "secrets":  # "<manager>/<id>"
            return key.removeprefix("/apisix/secrets/")
        return key.rsplit("/", 1)[1]

    def _crypt_plugins(self, value: dict[str, Any], kind: ResourceType, *, decrypt: bool) -> None:
        plugins = value.get("plugins")
        if not isinstance(plugins, dict) or not self.keyring.enabled:
            return
        for name, conf in plugins.items():
            if isinstance(conf, dict):
                self.keyring.apply(conf, self.plugins.encrypt_fields(name, kind.plugin_type), decrypt=decrypt)

    def _lookup(self, segment: str, obj_id: str) -> Entry | None:
        return self.data[segment].get(obj_id)

    def _scan(self, segment: str) -> Iterable[Entry]:
        return list(self.data[segment].values())

    def _by_key(self, segment: str) -> list[Entry]:
        cached = self._sorted.get(segment)
        if cached is None:
            cached = sorted(self.data[segment].values(), key=lambda e: e.key)
            self._sorted[segment] = cached
        return cached

    def _bump(self) -> int:
        self.revision += 1
        return self.revision

    def _store(self, kind: ResourceType, key: str, conf: dict[str, Any]) -> Entry:
        """Encrypt ``conf``'s secrets and store it at a new revision."""
        self._encrypt(kind, key, conf)
        segment = kind.segment
        old = self.data[segment].get(self._store_id(key, segment))
        revision = self._bump()
        entry = self._put(segment, key, conf, old.created if old else revision, revision)
        store_id = self._store_id(key, segment)
        if self._ttl is not None:
            self._expiry[(segment, store_id)] = time.monotonic() + self._ttl
        else:
            self._expiry.pop((segment, store_id), None)
        return entry

    def _pkey(self, value: Any) -> Any:
        """``aes_encrypt_pkey``: only PEM text (``---`` prefix) is encrypted, so ciphertext stays as is."""
        return self.keyring.encrypt(value) if isinstance(value, str) and value.startswith("---") else value

    def _encrypt(self, kind: ResourceType, key: str, conf: dict[str, Any]) -> None:
        if kind.segment == "plugin_metadata":
            self.keyring.apply(conf, self.plugins.encrypt_fields(key.rsplit("/", 1)[1], "metadata"),
                               decrypt=False)
            return
        if kind.segment == "ssls":
            if "key" in conf:
                conf["key"] = self._pkey(conf["key"])
            if isinstance(conf.get("keys"), list):
                conf["keys"] = [self._pkey(k) for k in conf["keys"]]
            return
        upstream = conf if kind.segment == "upstreams" else conf.get("upstream")
        tls = upstream.get("tls") if isinstance(upstream, dict) else None
        if isinstance(tls, dict) and "client_key" in tls:  # encrypted at rest and never decrypted on GET
            tls["client_key"] = self._pkey(tls["client_key"])
        self._crypt_plugins(conf, kind, decrypt=False)
