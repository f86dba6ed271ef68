"""The per-kind checks of APISIX's write path (``apisix/admin/<resource>.lua``), with its messages.

Why separate from the handler: these checks are where real servers and lenient fakes differ most
(reference checks, chash keys, ``pass_host`` rewrites, plugin schema errors, duplicate auth keys),
and they read the store but never write it.  ``Checker.check(kind, conf, id)`` raises ``ApiError``
with APISIX's exact text, or returns normally; in legacy mode it validates ``conf`` itself, so the
defaults it fills are stored, and from 3.14 on it validates a deep copy.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from reconciler.sandbox import apisix_secrets
from reconciler.sandbox.apisix_jsonschema import validate
from reconciler.sandbox.apisix_plugins import PluginRegistry
from reconciler.sandbox.apisix_resources import Entry, ResourceType, bad
from reconciler.sandbox.apisix_schemas import HASH_HEADER_KEY, HASH_VARS_KEY, Schema

Lookup = Callable[[str, str], "Entry | None"]
Scan = Callable[[str], Iterable[Entry]]
# plugin -> (consumer field holding the secret key, word used in the duplicate message)
# (apisix/consumer.lua 3.18.0, the table before check_duplicate_key)
DUP_FIELDS = {"key-auth": "key", "basic-auth": "username", "jwt-auth": "key", "hmac-auth": "key_id",
              "ldap-auth": "user_dn", "ldap-auth-advanced": "user_dn"}


def tostring(value: Any) -> str:
    """Lua's ``tostring`` for an id: ``1`` and ``1.0`` both give ``"1"``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class Checker:
    """Runs the write-path checks for one emulator."""

    def __init__(self, schemas: dict[str, Schema], plugins: PluginRegistry, version: tuple[int, ...],
                 lookup: Lookup, scan: Scan) -> None:
        self.schemas = schemas
        self.plugins = plugins
        self.version = version
        self.legacy = version <= (3, 13, 99)
        self.lookup = lookup
        self.scan = scan
        self.references = True

    def check(self, kind: ResourceType, conf: dict[str, Any], obj_id: str, parent: str | None = None,
              *, references: bool = True) -> None:
        """Check ``conf`` as a write of ``kind`` with id ``obj_id`` (``parent``: credential owner).
        ``references=False`` is ``opts.skip_references_check`` (``/configs/validate``)."""
        self.references = references
        try:
            self._check(kind, conf, obj_id, parent)
        finally:
            self.references = True

    def _check(self, kind: ResourceType, conf: dict[str, Any], obj_id: str, parent: str | None) -> None:
        target = conf if self.legacy else copy.deepcopy(conf)
        segment = kind.segment
        if segment == "routes":
            self._route(target)
        elif segment in ("services", "upstreams"):
            if segment == "upstreams":
                self._ipv6(target)
            self._schema(kind.schema, target)
            upstream = target if segment == "upstreams" else target.get("upstream")
            if isinstance(upstream, dict):
                self._upstream(upstream)
            self._ref(target, "upstream_id", "upstreams", "upstream")
            self._plugins(target.get("plugins"), "main")
        elif segment == "consumers":
            self._schema("consumer", target)
            if obj_id and obj_id != target.get("username"):
                raise bad("wrong username")
            self._plugins(target.get("plugins"), "consumer", "invalid plugins configuration: ")
            self._duplicates(target.get("plugins"), str(target.get("username")), None)
            self._ref(target, "group_id", "consumer_groups", "consumer group")
        elif segment == "credentials":
            self._credential(target, obj_id, parent or "")
        elif segment == "ssls":
            self._ssl(target)
        elif segment == "plugin_metadata":
            self._metadata(target, obj_id)
        elif segment == "secrets":
            apisix_secrets.check(target, obj_id)
        else:
            self._schema(kind.schema, target)
            self._plugins(target.get("plugins"), "main")
            if segment == "global_rules" and self.version >= (3, 15):
                self._global_rule_unique(target, obj_id)

    def _schema(self, name: str, conf: dict[str, Any]) -> None:
        err = validate(self.schemas[name], conf)
        if err:
            raise bad(f"invalid configuration: {err}")

    def _ref(self, conf: dict[str, Any], fld: str, segment: str, noun: str) -> None:
        ref = conf.get(fld)
        if ref is not None and self.references and self.lookup(segment, str(ref)) is None:
            raise bad(f"failed to fetch {noun} info by {noun} id [{ref}], response code: 404")

    def _route(self, conf: dict[str, Any]) -> None:
        if "host" in conf and "hosts" in conf:
            raise bad("only one of host or hosts is allowed")
        if "remote_addr" in conf and "remote_addrs" in conf:
            raise bad("only one of remote_addr or remote_addrs is allowed")
        self._schema("route", conf)
        if isinstance(conf.get("upstream"), dict):
            self._upstream(conf["upstream"])
        self._ref(conf, "upstream_id", "upstreams", "upstream")
        self._ref(conf, "service_id", "services", "service")
        self._ref(conf, "plugin_config_id", "plugin_configs", "plugin config")
        self._plugins(conf.get("plugins"), "main")

    @staticmethod
    def _ipv6(up: dict[str, Any]) -> None:
        nodes = up.get("nodes")
        for node in nodes if isinstance(nodes, list) else []:
            host = node.get("host", "") if isinstance(node, dict) else ""
            if isinstance(host, str) and ":" in host and not host.startswith("["):
                raise bad("invalid configuration: IPv6 address must be enclosed with '[' and ']'")

    def _upstream(self, up: dict[str, Any]) -> None:
        """``check_upstream_conf`` after the schema: ports, client cert, pass_host, chash key."""
        self._ipv6(up)
        nodes = up.get("nodes")
        if isinstance(nodes, dict):
            for addr in nodes:
                host, sep, port = addr.rpartition(":")
                if sep and host and port.isdigit() and not 1 <= int(port) <= 65535:
                    raise bad(f"invalid port {port}")
        tls = up.get("tls")
        if isinstance(tls, dict) and tls.get("client_cert_id") is not None:
            ref = tls["client_cert_id"]
            ssl = self.lookup("ssls", str(ref))
            if ssl is None:
                raise bad(f"failed to fetch ssl info by ssl id [{ref}], response code: 404")
            if ssl.value.get("type") != "client":
                raise bad(f"failed to fetch ssl info by ssl id [{ref}], wrong ssl type")
        if up.get("pass_host") == "rewrite" and not up.get("upstream_host"):
            raise bad("`upstream_host` can't be empty when `pass_host` is `rewrite`")
        if up.get("type") == "chash":
            hash_on = up.get("hash_on", "vars")
            if hash_on != "consumer" and not up.get("key"):
                raise bad("missing key")
            key_schema = {"vars": HASH_VARS_KEY, "header": HASH_HEADER_KEY,
                          "cookie": HASH_HEADER_KEY}.get(hash_on)
            if key_schema is not None:
                err = validate(key_schema, up["key"])
                if err:
                    raise bad(f"invalid configuration: {err}")

    def _plugins(self, plugins: Any, schema_type: str, prefix: str = "") -> None:
        if not isinstance(plugins, dict):
            return
        for name, conf in plugins.items():
            if not isinstance(conf, dict):
                text = json.dumps(conf, separators=(",", ":"))
                raise bad(f"{prefix}invalid plugin conf {text} for plugin [{name}]")
            if self.plugins.get(name) is None:
                raise bad(f"{prefix}unknown plugin [{name}]")
            err = self.plugins.check(name, conf, schema_type)
            if err is None and name == "file-logger" and schema_type == "main" and self.version >= (3, 15):
                err = self._file_logger_path(conf)
            if err:
                raise bad(f"{prefix}failed to check the configuration of plugin {name} err: {err}")

    def _file_logger_path(self, conf: dict[str, Any]) -> str | None:
        """file-logger.lua ``get_configured_path``: a path in the config or in its plugin metadata."""
        if conf.get("path"):
            return None
        meta = self.lookup("plugin_metadata", "file-logger")
        if meta is not None and meta.plain.get("path"):
            return None
        return 'property "path" is not set in either the plugin conf or the metadata'

    def _credential(self, conf: dict[str, Any], cred_id: str, username: str) -> None:
        self._schema("credential", conf)
        plugins = conf.get("plugins") or {}
        for name in plugins:
            plugin = self.plugins.get(name)
            if plugin is not None and not plugin.auth:
                raise bad("only supports auth type plugins in consumer credential")
        self._plugins(plugins, "consumer", "invalid plugins configuration: ")
        if username:  # credentials.lua checks duplicates only with a sub_path (not in /configs/validate)
            self._duplicates(plugins, username, cred_id)

    def _duplicates(self, plugins: Any, username: str, cred_id: str | None) -> None:
        """3.18: an auth key may be used by one consumer or credential only."""
        if self.legacy or not isinstance(plugins, dict):
            return
        for name, fld in DUP_FIELDS.items():
            conf = plugins.get(name)
            if not isinstance(conf, dict) or fld not in conf:
                continue
            wanted = conf[fld]
            for entry in self.scan("consumers"):
                other = entry.plain.get("plugins", {}).get(name)
                if cred_id is None and entry.plain.get("username") == username:
                    continue
                if isinstance(other, dict) and other.get(fld) == wanted:
                    raise bad(f"duplicate {fld} of plugin {name} found with consumer: "
                              f"{entry.plain.get('username')}")
            for entry in self.scan("credentials"):
                owner, _, other_id = entry.key.removeprefix("/apisix/consumers/").partition("/credentials/")
                if cred_id is not None and owner == username and other_id == cred_id:
                    continue
                other = entry.plain.get("plugins", {}).get(name)
                if isinstance(other, dict) and other.get(fld) == wanted:
                    raise bad(f"duplicate {fld} of plugin {name} found with credential: {other_id} "
                              f"of consumer: {owner}")

    def _global_rule_unique(self, conf: dict[str, Any], rule_id: str) -> None:
        for name in conf.get("plugins") or {}:
            for entry in self.scan("global_rules"):
                other_id = entry.key.rsplit("/", 1)[1]
                if other_id != rule_id and name in (entry.plain.get("plugins") or {}):
                    raise bad(f"plugin '{name}' already exists in global rule with id '{other_id}'")

    def _ssl(self, conf: dict[str, Any]) -> None:
        self._schema("ssl", conf)
        certs = ([conf["cert"]] if "cert" in conf else []) + list(conf.get("certs") or [])
        keys = ([conf["key"]] if "key" in conf else []) + list(conf.get("keys") or [])
        if len(conf.get("certs") or []) != len(conf.get("keys") or []):
            raise bad("mismatched number of certs and keys")
        for cert in certs:
            try:
                x509.load_pem_x509_certificate(cert.encode())
            except ValueError as exc:
                raise bad("failed to parse cert: PEM_read_bio_X509_AUX() failed") from exc
        for key in keys:
            try:
                load_pem_private_key(key.encode(), password=None)
            except (ValueError, TypeError) as exc:
                raise bad("failed to parse key: PEM_read_bio_PrivateKey() failed") from exc

    def _metadata(self, conf: dict[str, Any], name: str) -> None:
        # apisix/admin/plugin_metadata.lua: any existing module, enabled or not; a plugin without
        # a metadata_schema gets an injected empty one.
        plugin = self.plugins.module(name)
        if plugin is None:
            raise bad("invalid plugin name")
        schema = plugin.metadata_schema or {"type": "object"}
        work = dict(conf)
        work.pop("id", None)
        err = validate(schema, work)
        if err:
            raise bad(f"invalid configuration: {err}")
        if self.legacy:
            conf.update(work)

    def in_use(self, segment: str, obj_id: str) -> None:
        """The delete-time reference check (spec §4.7): raise the "still using it" 400."""
        rules = {
            "services": ("can not delete this service directly", [("routes", "route", "service_id")]),
            "plugin_configs": ("can not delete this plugin config",
                               [("routes", "route", "plugin_config_id")]),
            "consumer_groups": ("can not delete this consumer group", [("consumers", "consumer", "group_id")]),
        }
        if segment == "upstreams":
            self._upstream_in_use(obj_id)
            return
        if segment not in rules:
            return
        message, users = rules[segment]
        for user_segment, noun, fld in users:
            for entry in self.scan(user_segment):
                ref = entry.value.get(fld)
                if ref is not None and tostring(ref) == obj_id:
                    name = entry.value.get("username") if user_segment == "consumers" else entry.value.get("id")
                    raise bad(f"{message}, {noun} [{tostring(name)}] is still using it now")

    def _upstream_in_use(self, up_id: str) -> None:
        """upstreams.lua ``delete_checker``: per resource, a traffic-split ``upstream_id`` first, then
        (routes and services only) its own ``upstream_id``."""
        for segment, noun, only_plugin in (("routes", "route", False), ("services", "service", False),
                                           ("plugin_configs", "plugin_config", True),
                                           ("consumers", "consumer", True),
                                           ("consumer_groups", "consumer_group", True),
                                           ("global_rules", "global_rules", True)):
            for entry in self.scan(segment):
                value = entry.value
                name = tostring(value.get("id", value.get("username")))
                split = (value.get("plugins") or {}).get("traffic-split")
                rules = split.get("rules") if isinstance(split, dict) else None
                for rule in rules if isinstance(rules, list) else []:
                    for wu in (rule.get("weighted_upstreams") or []) if isinstance(rule, dict) else []:
                        if isinstance(wu, dict) and wu.get("upstream_id") is not None \
                                and tostring(wu["upstream_id"]) == up_id:
                            raise bad(f"can not delete this upstream, plugin in {noun} [{name}] is still using it now")
                ref = value.get("upstream_id")
                if not only_plugin and ref is not None and tostring(ref) == up_id:
                    raise bad(f"can not delete this upstream, {noun} [{name}] is still using it now")
