"""Settings that travel through the pipeline: where the servers are, and the ownership rules.

Kept apart from the command line so that the benchmarks, the tests and the commands build the
same objects, and so that the pure planner can take ``Options`` without knowing about click.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reconciler.secrets import Secret

DEFAULT_OWNER_LABEL: tuple[str, str] = ("managed-by", "reconcile")
DEFAULT_GLOBAL_RULE_PREFIX = "reconcile-"
#: The metadata key under which Hydra clients carry our marker and secret fingerprint.
HYDRA_METADATA_KEY = "reconcile"


@dataclass(frozen=True)
class Connection:
    """How to reach the two admin APIs.  A URL left None means the system is not contacted."""

    hydra_admin_url: str | None = None
    apisix_admin_url: str | None = None
    apisix_admin_key: Secret | None = None
    timeout: float = 30.0
    ca_cert: Path | None = None
    insecure: bool = False


@dataclass(frozen=True)
class Options:
    """What the planner may do, and how ownership is recognised.

    ``owner_label`` plus every ``selector`` pair form the *ownership labels*: an object is ours
    only when it carries all of them (as APISIX ``labels`` or in Hydra ``metadata``).  Global
    rules cannot carry labels, so they are ours when their id starts with
    ``global_rule_prefix``; plugin_metadata is ours when declared, and never pruned.
    """

    selector: dict[str, str] = field(default_factory=dict)
    owner_label: tuple[str, str] = DEFAULT_OWNER_LABEL
    prune: bool = False
    allow_empty: bool = False
    max_deletes: int = 20
    adopt: bool = False
    global_rule_prefix: str = DEFAULT_GLOBAL_RULE_PREFIX

    @property
    def ownership_labels(self) -> dict[str, str]:
        """The labels every owned object carries (the owner label, then the selector)."""
        labels = {self.owner_label[0]: self.owner_label[1]}
        labels.update(self.selector)
        return labels
