"""`flask law`: the versions of the Rules in the database, and loading a new one."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
from flask.cli import AppGroup

from portal.core.clock import today_local
from portal.extensions import db
from portal.law.models import LawVersionRecord
from portal.law.services import LawVersionRefused, load_version

law_cli = AppGroup("law", help="The versions of the Rules a case can follow.")


@law_cli.command("list")
def list_command() -> None:
    """Every version, oldest first, with the day it takes effect."""
    for row in db.session.scalars(db.select(LawVersionRecord).order_by(LawVersionRecord.effective_from)):
        click.echo(f"{row.effective_from.isoformat()}  {row.code}")


@law_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--effective-from", "effective_from", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="The day the amendment takes effect (YYYY-MM-DD): cases registered from that day follow it.")
def load_command(file: Path, effective_from) -> None:
    """Load an amendment of the Rules (a JSON file shaped like rules/data/order_404.json) as a new version."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise click.ClickException(f"{file} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise click.ClickException(f"{file} is not a version of the Rules: a JSON object is expected")
    day: date = effective_from.date()
    try:
        record = load_version(data, day)
    except LawVersionRefused as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Loaded {record.code!r}, in force from {day.isoformat()}: cases registered from that day follow it; "
               "cases registered before keep their version.")
    if day < today_local():
        click.echo("Note: that day is in the past; cases registered since then keep the version they were "
                   "registered under.", err=True)
