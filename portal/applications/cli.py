"""The commands that name a case: `flask events verify` (the hash chains of the case event logs) and
`flask deadlines explain` (how a case's deadlines were computed), on those domains' groups; here, above them,
because they find the case by its number."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.applications.models import Application
from portal.deadlines.cli import deadlines_cli
from portal.deadlines.services import plan_for
from portal.events.services import chain_keys, verify_chain
from portal.extensions import db
from rules import deadlines as rules_deadlines

events_cli = AppGroup("events", help="The case event logs: check their hash chains.")


def _find_case(value: str) -> int:
    """A case by its registration number, or by its id (drafts have no number)."""
    found = db.session.scalar(select(Application.id).where(Application.number == value))
    if found is None and value.isdigit():
        found = db.session.scalar(select(Application.id).where(Application.id == int(value)))
    if found is None:
        raise click.ClickException(f"no case {value}")
    return found


def _name(application_id: int | None, numbers: dict) -> str:
    if application_id is None:
        return "events without a case"
    number = numbers.get(application_id)
    return f"{number} (case {application_id})" if number else f"case {application_id}"


def describe(report, name: str) -> str:
    """One line per chain, for people and for grep."""
    if report.intact:
        return f"{name}: intact, {report.checked} event{'' if report.checked == 1 else 's'}"
    if report.broken_id is None:
        where = f"from seq {report.broken_seq} (the head expects {report.head_seq} events)"
    else:
        where = f"at event {report.broken_id} (seq {report.broken_seq})"
    return f"{name}: BROKEN {where}: {report.reason}; {report.checked} events checked"


@events_cli.command("verify")
@click.option("--case", "case", metavar="NUMBER", help="The case's registration number (or its id).")
@click.option("--all", "every", is_flag=True, help="Every case, and the events without a case.")
def verify(case: str | None, every: bool) -> None:
    """Check the event log's hash chain of one case or of all; exit 1 if any chain is broken."""
    if bool(case) == every:
        raise click.UsageError("give either --case NUMBER or --all")
    keys = [_find_case(case)] if case else chain_keys()
    named = select(Application.id, Application.number).where(Application.number.is_not(None))
    numbers = dict(db.session.execute(named if every else named.where(Application.id == keys[0])).all())
    broken = 0
    for key in keys:
        report = verify_chain(key)
        broken += not report.intact
        click.echo(describe(report, _name(key, numbers)))
    if every:
        click.echo(f"{len(keys)} chains checked, {broken} broken")
    if broken:
        click.get_current_context().exit(1)


@deadlines_cli.command("explain")
@click.argument("case_id", type=int)
def explain(case_id: int) -> None:
    """Show how each deadline of case CASE_ID was computed."""
    application = db.session.get(Application, case_id)
    if application is None or application.received_at is None:
        raise click.ClickException(f"no registered case {case_id}")
    stored = {row.code: row for row in application.deadlines}
    for code, planned in plan_for(application).items():
        row = stored.get(code)
        state = f" [{row.state}]" if row else ""
        click.echo(f"== {code}{state}")
        for line in rules_deadlines.explain(planned):
            click.echo(f"   {line}")
