"""`flask documents …`: housekeeping of the uploads folder."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from portal.documents.services import clean_orphans as clean

documents_cli = AppGroup("documents", help="Uploaded documents: housekeeping of UPLOADS_DIR.")


@documents_cli.command("clean-orphans")
@click.option("--older-than", "older_than", type=click.FloatRange(min=0), default=60, show_default=True,
              help="Minutes a file must have existed: younger ones may belong to an upload still in progress.")
@click.option("--dry-run", is_flag=True, help="Only say what would be removed.")
@click.option("--check-rows", is_flag=True, help="Also count document rows whose file is missing (reads every row).")
def clean_orphans(older_than: float, dry_run: bool, check_rows: bool) -> None:
    """Remove files under UPLOADS_DIR that no document names (a worker killed mid-upload), and `.part` leftovers.

    Safe at any time, on any host sharing the folder; prints what it did as JSON.
    """
    click.echo(json.dumps(clean(older_than, dry_run=dry_run, check_rows=check_rows), sort_keys=True))
