"""`flask accounts staff`: the operator enters an official's IIN and position (their certificates carry them)."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from portal.accounts.models import STAFF_ROLES, User
from portal.extensions import db
from rules.identifiers import is_valid_identifier

accounts_cli = AppGroup("accounts", help="People of the portal.")


@accounts_cli.command("staff")
@click.argument("username")
@click.option("--iin", help="The official's IIN, as in their НУЦ РК certificate (12 digits).")
@click.option("--position", help="The official's position, printed in the EDS stamp of what they sign.")
def staff_command(username: str, iin: str | None, position: str | None) -> None:
    """Set (or show) a staff account's IIN and position; the portal accepts an official's EDS only for that IIN."""
    user = db.session.scalar(db.select(User).filter_by(username=username))
    if user is None or user.role not in STAFF_ROLES:
        raise click.ClickException(f"no staff account {username!r}")
    if iin is not None:
        iin = iin.strip()
        if len(iin) != 12 or not iin.isascii() or not iin.isdigit() or not is_valid_identifier(iin):
            raise click.ClickException(f"{iin!r} is not a valid IIN (12 digits, check digit)")
        taken = db.session.scalar(db.select(User).where(User.iin == iin, User.id != user.id,
                                                        User.role.in_(STAFF_ROLES)))
        if taken is not None:
            raise click.ClickException(f"IIN {iin} is already on the staff account {taken.username!r}")
        user.iin = iin
    if position is not None:
        user.position = position.strip()[:200]
    db.session.commit()
    click.echo(f"{user.username}: role {user.role}, IIN {user.iin or '—'}, position {user.position or '—'}")
