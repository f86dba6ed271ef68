"""The planner: ``plan(desired, live, options) -> Plan``.  Pure: no I/O, no clock, no randomness.

For every declared object it decides create, update or no-op from normalised bodies (canonical
JSON first, deepdiff only to explain a difference); for every owned live object that is no
longer declared it plans a delete, but only with ``--prune`` and only when every guard agrees:
the reads were complete, the kind is not being emptied by accident (``--allow-empty``), and the
deletes stay under ``--max-deletes``.  Objects without our ownership marker, or outside the
selector, are listed as unmanaged and never touched; a declared object that exists unowned is
an error unless ``--adopt`` takes it over.  Changes come out in dependency order: creates and
updates top-down by kind level, deletes bottom-up.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.config import DEFAULT_GLOBAL_RULE_PREFIX, HYDRA_METADATA_KEY, Options
from reconciler.plan.changes import Action, Change, FieldChange, FieldOp, Plan, Unmanaged
from reconciler.plan.diff import diff
from reconciler.plan.normalize import (
    apisix_compare,
    apisix_desired_view,
    apisix_live_view,
    hydra_split_metadata,
    hydra_view,
    same_json,
    secretize,
)
from reconciler.plan.ownership import has_owned_id, owner_state
from reconciler.plan.schemacheck import check_plugins
from reconciler.secrets import Secret
from reconciler.state import fingerprints
from reconciler.state.kinds import DesiredObject, Kind, ResolvedState
from reconciler.state.live import LiveObject, LiveState
from reconciler.state.registry import LEVEL_OF, LEVELS, Ownership, mark_secrets, references, spec

V2_ONLY_FIELDS = frozenset({"access_token_strategy", "skip_consent", "skip_logout_consent"})
#: Why a global rule under a selector and the shared prefix is left alone: nobody can tell
#: whose it is (drift must not report it as ours either).
SHARED_GLOBAL_RULE = "not deleted: shared global rule prefix"

class _Planner:
    """Holds the inputs while one plan is built; ``run()`` returns it."""

    def __init__(self, desired: ResolvedState, live: LiveState, options: Options) -> None:
        self.desired = desired
        self.live = live
        self.options = options
        self.labels = options.ownership_labels
        self.plan = Plan(complete=live.complete, servers={s: i.version for s, i in live.servers.items()})
        self.hydra_v1 = "hydra" in live.servers and not live.servers["hydra"].at_least(2)

    # --- ownership ------------------------------------------------------------------------

    def owner_state(self, kind: Kind, obj: LiveObject) -> tuple[bool, str]:
        """(owned by this run, reason when not)."""
        return owner_state(kind, obj.key, obj.body, self.options, declared=obj.key in self.desired.of(kind))

    # --- per kind -------------------------------------------------------------------------

    def run(self) -> Plan:
        for kind in LEVELS:
            if kind in self.live.read:
                self.plan_kind(kind)
        writes = {(c.kind, c.key) for c in self.plan.changes if c.action in (Action.CREATE, Action.UPDATE)}
        if writes:
            self.plan.errors[:0] = check_plugins(self.desired, self.live.schemas, only=writes)
        self.check_guards()
        self.plan.changes.sort(key=_order)
        return self.plan

    def plan_kind(self, kind: Kind) -> None:
        desired = self.desired.of(kind)
        live = self.live.of(kind)
        if spec(kind).parent is not None:  # only the credentials of consumers that declare theirs
            managed = self.desired.managed_credentials
            live = {k: v for k, v in live.items() if k.partition("/")[0] in managed}
        for key in sorted(desired):
            self.plan_object(kind, desired[key], live.get(key))
        orphans: list[LiveObject] = []
        for key in sorted(set(live) - set(desired)):
            obj = live[key]
            owned, why = self.owner_state(kind, obj)
            if not owned:
                self.plan.unmanaged.append(Unmanaged(kind, key, why))
            elif spec(kind).ownership is not Ownership.DECLARED:
                orphans.append(obj)
        self.plan_orphans(kind, orphans, desired_count=len(desired))

    def plan_orphans(self, kind: Kind, orphans: list[LiveObject], desired_count: int) -> None:
        if not orphans:
            return
        if spec(kind).ownership is Ownership.ID_PREFIX and self.options.selector \
                and self.options.global_rule_prefix == DEFAULT_GLOBAL_RULE_PREFIX:
            # Global rules carry no labels, so a selector cannot tell one team's from another's
            # (checked first, so that a plan without --prune does not suggest pruning them either).
            self.plan.orphaned.extend(Unmanaged(kind, o.key, SHARED_GLOBAL_RULE) for o in orphans)
            self.plan.warnings.append(
                f"not deleting {len(orphans)} {spec(kind).noun}s: they carry no labels, so --selector cannot tell "
                f"whose they are; give each team its own --global-rule-prefix to prune them")
            return
        if not self.options.prune:
            self.plan.orphaned.extend(Unmanaged(kind, o.key, "no longer declared") for o in orphans)
            return
        if self.live.incomplete:  # any short list forbids every delete, not only that kind's
            self.plan.orphaned.extend(Unmanaged(kind, o.key, "not deleted: live state incomplete") for o in orphans)
            return
        if desired_count == 0 and not self.options.allow_empty:
            self.plan.errors.append(
                f"refusing to delete all {len(orphans)} owned {kind.value} objects: the desired state declares "
                f"none of this kind (pass --allow-empty if that is intended)")
            self.plan.orphaned.extend(Unmanaged(kind, o.key, "not deleted: --allow-empty needed") for o in orphans)
            return
        for obj in orphans:
            before = self.live_view(kind, obj)
            self.plan.changes.append(Change(kind, obj.key, Action.DELETE, before, None,
                                            reason="no longer declared"))

    def live_view(self, kind: Kind, obj: LiveObject) -> dict[str, Any]:
        if kind is Kind.OAUTH2_CLIENT:
            return hydra_view(obj.body)
        # A copy with the kind's secret fields wrapped: an upstream's tls.client_key comes back as
        # ciphertext under a keyring that is often APISIX's public default, as good as plain text.
        view = mark_secrets(kind, copy.deepcopy(apisix_live_view(kind, obj.key, obj.body)))
        return dict(secretize(view, None))

    def plan_object(self, kind: Kind, want: DesiredObject, have: LiveObject | None) -> None:
        adopting = False
        if have is not None:
            owned, why = self.owner_state(kind, have)
            if spec(kind).ownership is Ownership.ID_PREFIX and not owned:
                self.plan.errors.append(self.prefix_error(kind, want))
                return
            if not owned:
                if why.startswith("managed by reconcile outside this selector"):
                    # Another team's object: --adopt is for unmanaged objects, never for taking
                    # over what a different selector manages.
                    self.plan.errors.append(
                        f"{kind.value}.{want.key} is {why}; it belongs to another selector and is never "
                        f"adopted ({want.source})")
                    return
                if not self.options.adopt:
                    self.plan.errors.append(
                        f"{kind.value}.{want.key} exists but is not managed by this run ({why}); "
                        f"use --adopt to take it over ({want.source})")
                    return
                adopting = True
        elif spec(kind).ownership is Ownership.ID_PREFIX and not has_owned_id(kind, want.key, self.options):
            self.plan.errors.append(self.prefix_error(kind, want))
            return
        refs = tuple(references(kind, want.key, want.body))
        if kind is Kind.OAUTH2_CLIENT:
            self.plan_client(want, have, adopting, refs)
        else:
            self.plan_apisix(kind, want, have, adopting, refs)

    def prefix_error(self, kind: Kind, want: DesiredObject) -> str:
        noun, prefix = spec(kind).noun, self.options.global_rule_prefix
        shown = f"'<manager>/{prefix}'" if spec(kind).id_scoped else repr(prefix)
        return (f"{kind.value}.{want.key}: {noun} ids must start with {shown} "
                f"({noun}s carry no labels, so ownership is by id prefix) ({want.source})")

    def plan_apisix(self, kind: Kind, want: DesiredObject, have: LiveObject | None, adopting: bool,
                    refs: tuple[tuple[Kind, str], ...]) -> None:
        after = apisix_desired_view(kind, want.body, self.labels)
        if have is None:
            self.plan.changes.append(Change(kind, want.key, Action.CREATE, None, after, depends_on=refs))
            return
        before, equal = apisix_compare(kind, want.key, after, apisix_live_view(kind, want.key, have.body),
                                       self.live.schemas)
        if equal and not adopting:
            self.plan.changes.append(Change(kind, want.key, Action.NOOP, before, after))
            return
        self.plan.changes.append(Change(kind, want.key, Action.UPDATE, before, after, diff(before, after),
                                        reason="adopted" if adopting else "", depends_on=refs))

    def plan_client(self, want: DesiredObject, have: LiveObject | None, adopting: bool,
                    refs: tuple[tuple[Kind, str], ...]) -> None:
        body = want.body
        if self.hydra_v1:
            v2_only = sorted(f for f in body if f in V2_ONLY_FIELDS or f.endswith("_lifespan"))
            if v2_only:
                self.plan.errors.append(f"oauth2_client.{want.key}: {', '.join(v2_only)} need Hydra v2 "
                                        f"(the server is v1 and would drop them) ({want.source})")
                return
        secret = body.get("client_secret")
        secret = secret if isinstance(secret, Secret) else None
        send = {k: v for k, v in body.items() if k != "client_secret"}
        raw_meta = body.get("metadata")
        user_meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
        if have is None:
            ours: dict[str, Any] = {"labels": dict(self.labels)}
            if secret is not None:
                ours["secret"] = secret
                send["client_secret"] = secret
            send["metadata"] = {**user_meta, HYDRA_METADATA_KEY: ours}
            self.plan.changes.append(Change(Kind.OAUTH2_CLIENT, want.key, Action.CREATE, None, send, depends_on=refs))
            return
        _live_user, live_ours = hydra_split_metadata(have.body)
        fingerprint = live_ours.get("secret") if isinstance(live_ours.get("secret"), str) else None
        reasons: list[str] = []
        extra: list[FieldChange] = []
        ours = {"labels": dict(self.labels)}
        if secret is not None and not (fingerprint and fingerprints.matches(secret, fingerprint)):
            why = fingerprints.unverifiable(fingerprint) if fingerprint else None
            if why:
                reasons.append(f"secret re-sent: {why}")
            else:
                reasons.append("secret rotated" if fingerprint else "secret set (no fingerprint recorded)")
            ours["secret"] = secret
            send["client_secret"] = secret
            extra.append(FieldChange(FieldOp.CHANGE, "client_secret", Secret("") if fingerprint else None, secret))
        elif fingerprint:
            ours["secret"] = fingerprint
        send["metadata"] = {**user_meta, HYDRA_METADATA_KEY: ours}
        before, after = hydra_view(have.body), hydra_view(body)
        live_labels = live_ours.get("labels") if isinstance(live_ours.get("labels"), dict) else {}
        if adopting:
            # Shown as an adopted APISIX object shows ``+ labels``: the marker is what adoption writes.
            reasons.append("adopted")
            extra.append(FieldChange(FieldOp.CHANGE, f"metadata.{HYDRA_METADATA_KEY}.labels", live_labels, self.labels)
                         if live_labels else
                         FieldChange(FieldOp.ADD, f"metadata.{HYDRA_METADATA_KEY}.labels", None, self.labels))
        elif live_labels != self.labels:
            extra.append(FieldChange(FieldOp.CHANGE, f"metadata.{HYDRA_METADATA_KEY}.labels", live_labels, self.labels))
        if not reasons and not extra and same_json(before, after):
            self.plan.changes.append(Change(Kind.OAUTH2_CLIENT, want.key, Action.NOOP, after, after))
            return
        changes = tuple(sorted(_as_written(diff(before, after), have.body, body) + tuple(extra),
                               key=lambda c: c.path))
        self.plan.changes.append(Change(Kind.OAUTH2_CLIENT, want.key, Action.UPDATE, before, send, changes,
                                        reason=", ".join(reasons), depends_on=refs))

    # --- guards ---------------------------------------------------------------------------

    def check_guards(self) -> None:
        deletes = [c for c in self.plan.changes if c.action is Action.DELETE]
        if len(deletes) > self.options.max_deletes:
            self.plan.errors.append(
                f"refusing to apply {len(deletes)} deletions: more than --max-deletes {self.options.max_deletes}")
        if not self.live.complete:
            for kind, why in sorted(self.live.incomplete.items()):
                self.plan.warnings.append(f"INCOMPLETE: {kind.value}: {why}; nothing will be deleted")
        prunable = [o for o in self.plan.orphaned if o.reason != SHARED_GLOBAL_RULE]
        if prunable and not self.options.prune:
            self.plan.warnings.append(
                f"{len(prunable)} owned objects are no longer declared; run with --prune to delete them")
        self._delete_dependencies()

    def _delete_dependencies(self) -> None:
        """A delete waits for the deletes and updates of the live objects that refer to it: if
        the update that stops a route using it fails, the object must stay (Hydra has no
        reference check, so a client would be deleted under a route that still uses it)."""
        if not any(c.action is Action.DELETE for c in self.plan.changes):
            return
        writing = {(c.kind, c.key) for c in self.plan.changes if c.action in (Action.DELETE, Action.UPDATE)}
        referrers: dict[tuple[Kind, str], list[tuple[Kind, str]]] = {}
        for kind, objs in self.live.objects.items():
            for obj in objs.values():
                for ref in references(kind, obj.key, obj.body):
                    referrers.setdefault(ref, []).append((kind, obj.key))
        for i, change in enumerate(self.plan.changes):
            if change.action is Action.DELETE:
                deps = tuple(r for r in referrers.get((change.kind, change.key), []) if r in writing)
                if deps:
                    self.plan.changes[i] = _with_deps(change, deps)


def _with_deps(change: Change, deps: tuple[tuple[Kind, str], ...]) -> Change:
    return Change(change.kind, change.key, change.action, change.before, change.after, change.diff,
                  change.reason, deps)


def _order(change: Change) -> tuple[int, int, str]:
    level = LEVEL_OF[change.kind]
    if change.action is Action.DELETE:
        return (1, len(LEVELS) - level, change.key)
    return (0, level, change.key)


def plan(desired: ResolvedState, live: LiveState, options: Options) -> Plan:
    """Compare ``desired`` with ``live`` and return the ordered changes (pure)."""
    return _Planner(desired, live, options).run()


__all__ = ["plan", "references"]


def _as_written(changes: tuple[FieldChange, ...], live: dict[str, Any], desired: dict[str, Any]) -> tuple[
        FieldChange, ...]:
    """``scope`` compares as a set of words (sorted when normalised), but is shown as each side
    wrote it: ``"openid admin offline" -> "openid offline"``, not the sorted words."""
    return tuple(FieldChange(FieldOp.CHANGE, "scope", live.get("scope", c.old), desired.get("scope", c.new))
                 if c.path == "scope" and c.op is FieldOp.CHANGE else c for c in changes)
