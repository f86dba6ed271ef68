"""``reconcile schema``: write (or check) the desired-state JSON Schema for editors and CI."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler import schema_gen


@click.command("schema")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("schemas"),
              show_default=True, help="Directory of desired-state.schema.json.")
@click.option("--check", is_flag=True, help="Do not write; exit 1 when the file on disk is stale.")
def schema(out_dir: Path, check: bool) -> None:
    """Write DIR/desired-state.schema.json, generated from the desired-state models."""
    target = out_dir / schema_gen.SCHEMA_FILE
    if check:
        if not schema_gen.is_fresh(out_dir):
            click.echo(f"{target} is stale or missing: run `make schemas` and commit the result", err=True)
            raise SystemExit(1)
        click.echo(f"{target} is up to date")
        return
    click.echo(f"wrote {schema_gen.write(out_dir)}")
