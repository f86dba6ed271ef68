"""The one ownership rule: which live objects a run may touch, and why not the others.

APISIX objects of labelled kinds are ours when their ``labels`` carry every ownership label
(the owner marker plus the selector); Hydra clients carry the same labels in
``metadata.reconcile.labels``.  Kinds that cannot carry labels (global rules) are ours when their
id starts with the global-rule prefix; plugin_metadata has no room for a marker at all and is ours
only when declared.  Each kind's rule is its ``KindSpec.ownership``.  Plan, drift and dump all ask
this module, so they can never disagree.
"""

from __future__ import annotations

from typing import Any

from reconciler.config import Options
from reconciler.plan.normalize import hydra_split_metadata
from reconciler.state.kinds import Kind
from reconciler.state.registry import Ownership, spec


def object_labels(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """The labels an object carries (for Hydra clients, those in our metadata entry)."""
    source = hydra_split_metadata(body)[1] if kind is Kind.OAUTH2_CLIENT else body
    labels = source.get("labels")
    return labels if isinstance(labels, dict) else {}


def has_owned_id(kind: Kind, key: str, options: Options) -> bool:
    """For kinds owned by id prefix: whether the object's id starts with the prefix."""
    return spec(kind).prefixed_id(key).startswith(options.global_rule_prefix)


def carries(labels: dict[str, Any], wanted: dict[str, str]) -> bool:
    """True when ``labels`` hold every ``wanted`` pair."""
    return all(labels.get(k) == v for k, v in wanted.items())


def owner_state(kind: Kind, key: str, body: dict[str, Any], options: Options, *,
                declared: bool) -> tuple[bool, str]:
    """(owned by a run with these options, the reason when not)."""
    rule = spec(kind).ownership
    if rule is Ownership.ID_PREFIX:
        prefix = options.global_rule_prefix
        return has_owned_id(kind, key, options), f"id does not start with {prefix!r}"
    if rule is Ownership.DECLARED:
        return declared, f"{kind.value} is managed only when declared"
    labels = object_labels(kind, body)
    missing = {k: v for k, v in options.ownership_labels.items() if labels.get(k) != v}
    if not missing:
        return True, ""
    owner_key, owner_value = options.owner_label
    if labels.get(owner_key) == owner_value:
        wanted = ", ".join(f"{k}={v}" for k, v in missing.items())
        return False, f"managed by reconcile outside this selector (lacks {wanted})"
    return False, f"no {owner_key}={owner_value} marker"
