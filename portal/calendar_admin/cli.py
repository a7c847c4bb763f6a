"""`flask calendar …`: ask the working-day calendar, and keep its decree exceptions."""
from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from portal.calendar.services import current_calendar
from portal.calendar_admin import services
from portal.extensions import db

calendar_cli = AppGroup("calendar", help="The working-day calendar of Kazakhstan and its exceptions.")


class DateParam(click.ParamType):
    """A date as YYYY-MM-DD, with a one-line error otherwise."""

    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD)", param, ctx)


DATE = DateParam()


@calendar_cli.command("is-workday")
@click.argument("day", type=DATE)
def is_workday(day: date) -> None:
    """Print yes or no."""
    click.echo("yes" if current_calendar().is_workday(day) else "no")


@calendar_cli.command("add-workdays")
@click.argument("day", type=DATE)
@click.argument("n", type=click.IntRange(min=0))
def add_workdays(day: date, n: int) -> None:
    """Print the date N working days after DAY (counting starts the day after)."""
    click.echo(current_calendar().add_workdays(day, n).isoformat())


def _exception_command(name: str, is_workday: bool, label: str, help_text: str) -> None:
    """`calendar set-workday` and `calendar set-dayoff`: the same command but for the kind of day."""

    @calendar_cli.command(name, help=help_text)
    @click.argument("day", type=DATE)
    @click.option("--decree", required=True, help="The act that makes this exception.")
    def command(day: date, decree: str) -> None:
        if not decree.strip():
            raise click.BadParameter("name the decree", param_hint="--decree")
        services.set_exception(day, is_workday, decree)
        db.session.commit()
        click.echo(f"{day.isoformat()}: {label} ({decree})")


_exception_command("set-workday", True, "working day", "Make DAY a working day (e.g. a Saturday a decree moves work to).")
_exception_command("set-dayoff", False, "day off", "Make DAY a day off.")


@calendar_cli.command("unset")
@click.argument("day", type=DATE)
def unset(day: date) -> None:
    """Remove the exception for DAY."""
    if not services.remove_exception(day):
        raise click.ClickException(f"no exception for {day.isoformat()}")
    db.session.commit()
    click.echo(f"{day.isoformat()}: exception removed")
