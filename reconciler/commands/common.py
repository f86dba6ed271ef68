"""Options and helpers shared by the commands that talk to servers (plan, apply, drift, dump).

Connection settings come from flags or the environment (``HYDRA_ADMIN_URL``,
``APISIX_ADMIN_URL``, ``APISIX_ADMIN_KEY``); an admin key on the command line is accepted with a
warning because ``ps`` shows it.  Errors are turned into one clear line on stderr and exit 1.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from reconciler.config import DEFAULT_GLOBAL_RULE_PREFIX, Connection, Options
from reconciler.errors import DesiredStateError, PlanError, ReconcilerError
from reconciler.load.loader import load_state
from reconciler.secrets import Secret
from reconciler.state import fingerprints
from reconciler.state.kinds import ResolvedState

F = TypeVar("F", bound=Callable[..., Any])


def _pair(_ctx: click.Context, _param: click.Parameter, values: Sequence[str] | str | None) -> Any:
    items = [values] if isinstance(values, str) else list(values or ())
    pairs: list[tuple[str, str]] = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise click.BadParameter(f"expected key=value, got {item!r}")
        if len(value) > 256 or any(c.isspace() for c in value):
            # It goes into every object's labels, and APISIX would refuse each write.
            raise click.BadParameter(f"label value {value[:40]!r}: APISIX takes 1..256 characters without spaces")
        pairs.append((key, value))
    return pairs


def desired_options(f: F) -> F:
    """PATH and --var-file."""
    f = click.option("--var-file", "var_files", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
                     help="YAML mapping of ${var:name} values; repeatable, later files win.")(f)
    return click.argument("path", type=click.Path(path_type=Path), default=Path("desired-state"))(f)


def connection_options(f: F) -> F:
    """Where the admin APIs are, and how to reach them."""
    options = [
        click.option("--hydra-admin-url", envvar="HYDRA_ADMIN_URL", help="Hydra admin URL [env HYDRA_ADMIN_URL]."),
        click.option("--apisix-admin-url", envvar="APISIX_ADMIN_URL",
                     help="APISIX Admin API URL [env APISIX_ADMIN_URL]."),
        click.option("--apisix-admin-key-file", type=click.Path(exists=True, dir_okay=False, readable=True,
                                                                path_type=Path),
                     help="File holding the APISIX admin key (default: env APISIX_ADMIN_KEY)."),
        click.option("--apisix-admin-key", help="The APISIX admin key (discouraged: visible in ps)."),
        click.option("--timeout", type=float, default=30.0, show_default=True, help="Per-request timeout, seconds."),
        click.option("--ca-cert", type=click.Path(dir_okay=False, path_type=Path), help="CA bundle for TLS."),
        click.option("--insecure", is_flag=True, help="Do not verify TLS certificates."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def ownership_options(f: F) -> F:
    """How our objects are recognised."""
    options = [
        click.option("--selector", "selector", multiple=True, callback=_pair,
                     help="key=value label that partitions ownership; repeatable (AND)."),
        click.option("--owner-label", callback=_pair, default="managed-by=reconcile", show_default=True,
                     help="The ownership marker label."),
        click.option("--global-rule-prefix", default=DEFAULT_GLOBAL_RULE_PREFIX, show_default=True,
                     help="Global rules and secret managers carry no labels: ours are those whose id "
                          "(after <manager>/ for secret managers) starts with this."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def build_connection(kw: dict[str, Any]) -> Connection:
    """A ``Connection`` from the connection options (consumed from ``kw``)."""
    key: str | None = None
    key_file = kw.pop("apisix_admin_key_file", None)
    key_flag = kw.pop("apisix_admin_key", None)
    if key_flag:
        click.echo("Warning: --apisix-admin-key is visible to other users in ps; prefer APISIX_ADMIN_KEY or "
                   "--apisix-admin-key-file", err=True)
        key = key_flag
    elif key_file:
        key = Path(key_file).read_text().strip()
    elif os.environ.get("APISIX_ADMIN_KEY"):
        key = os.environ["APISIX_ADMIN_KEY"]
    try:  # the operator's fingerprint key, if any: new Hydra secret fingerprints are HMACs under it
        fingerprints.use_key(fingerprints.key_from(os.environ))
    except fingerprints.FingerprintKeyError as exc:
        raise PlanError(str(exc)) from None
    return Connection(
        hydra_admin_url=kw.pop("hydra_admin_url", None),
        apisix_admin_url=kw.pop("apisix_admin_url", None),
        apisix_admin_key=Secret(key) if key else None,
        timeout=kw.pop("timeout", 30.0),
        ca_cert=kw.pop("ca_cert", None),
        insecure=kw.pop("insecure", False),
    )


def build_options(kw: dict[str, Any], **extra: Any) -> Options:
    """``Options`` from the ownership options (consumed from ``kw``) plus ``extra``."""
    owner = kw.pop("owner_label")
    return Options(selector=dict(kw.pop("selector", [])), owner_label=owner[0],
                   global_rule_prefix=kw.pop("global_rule_prefix"), **extra)


def load_or_exit(path: Path, var_files: Sequence[Path]) -> ResolvedState:
    """The resolved desired state; on problems, print them all and exit 1.

    A state with neither a ``hydra:`` nor an ``apisix:`` section is refused too: it compares
    nothing, so a mistyped path would otherwise report "Live state matches" and exit 0.
    """
    try:
        state = load_state(path, var_files=var_files)
    except DesiredStateError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(exc.problems)} problem(s) in the desired state; nothing was contacted", err=True)
        sys.exit(1)
    if not state.systems:
        click.echo(f"Error: the desired state at {path} declares nothing (no hydra: or apisix: section in its "
                   f"YAML files); nothing was contacted", err=True)
        sys.exit(1)
    return state


def handle_errors(f: F) -> F:
    """Turn a ``ReconcilerError`` into ``Error: ...`` on stderr and exit 1."""
    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except ReconcilerError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
    return wrapper  # type: ignore[return-value]
