"""``reconcile dump``: write live state as desired-state YAML, one file per kind (or, with
``--like PATH``, in the files of an existing desired state, with its secret names).

Read-only on the servers.  The files hold no secret: each becomes a ``${env:NAME}`` placeholder,
and the names are listed at the end of the output and in ``DIR/secrets.env.example``.  Set those
variables to the live values (``--secrets-out FILE`` writes the readable ones), and a plan of the
dump shows no changes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from reconciler.commands.common import (
    build_connection,
    build_options,
    connection_options,
    handle_errors,
    ownership_options,
)
from reconciler.run import dotenv
from reconciler.run.dump import dump_live, write_dump


@click.command("dump")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write the YAML files into (created if needed).")
@connection_options
@ownership_options
@click.option("--scope", type=click.Choice(["owned", "selector", "all"]), default="owned", show_default=True,
              help="owned: objects carrying our marker (and the selector); selector: objects carrying the "
                   "selector labels; all: everything.")
@click.option("--system", type=click.Choice(["hydra", "apisix", "both"]), default="both", show_default=True,
              help="Which servers to read.")
@click.option("--secrets-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the secret values the servers return (APISIX plugin secrets) to this dotenv "
                   "file, mode 0600, named as the ${env:...} placeholders.  Never commit it.")
@click.option("--force", is_flag=True, help="Overwrite an existing --secrets-out file.")
@click.option("--like", "like_path", type=click.Path(exists=True, path_type=Path), default=None,
              help="An existing desired state to follow: its files, its secret names and its hydra.issuer.")
@handle_errors
def dump_command(out_dir: Path, scope: str, system: str, secrets_out: Path | None, force: bool,
                 like_path: Path | None, **kw: Any) -> None:
    """Write the live objects as desired-state YAML files under --out."""
    if secrets_out is not None:
        dotenv.check_target(secrets_out, force)
    like = None
    if like_path is not None:
        from reconciler.run.dump_like import read_like

        like = read_like(like_path)
    conn = build_connection(kw)
    options = build_options(kw)
    systems = frozenset({"hydra", "apisix"} if system == "both" else {system})
    missing = [s for s in sorted(systems) if not (conn.hydra_admin_url if s == "hydra" else conn.apisix_admin_url)]
    if missing:
        raise click.UsageError(f"no admin URL for {', '.join(missing)} (use --system to dump only one system)")
    dump = dump_live(conn, options, scope=scope, systems=systems, out_dir=out_dir,  # type: ignore[arg-type]
                     like=like)
    for path in write_dump(dump, out_dir):
        click.echo(f"wrote {path}")
    total = sum(dump.counts.values())
    counts = ", ".join(f"{n} {k.value}" for k, n in dump.counts.items())
    click.echo(f"Dumped {total} objects ({counts or 'none'}).")
    for note in dump.notes:
        click.echo(f"Note: {note}")
    if secrets_out is not None:
        dotenv.write_secrets(secrets_out, dotenv.render(dump), force)
        ignored = dotenv.ignore(out_dir, secrets_out)
        where = f"listed in {ignored}" if ignored else f"outside {out_dir}, so not in its .gitignore"
        click.echo(f"Warning: {secrets_out} holds live secret values in plaintext (mode 0600, {where}); "
                   f"never commit it.", err=True)
    if dump.secrets:
        click.echo("Set these environment variables to the secret values before planning the dump:")
        for secret in dump.secrets:
            click.echo(f"  {secret.name}  ({secret.address} {secret.path})")
