"""`flask deadlines …`: plan a procedure's deadlines and a certificate's validity, explain a case's, sweep."""
from __future__ import annotations

import json
import re
from datetime import date

import click
from flask.cli import AppGroup

from portal.calendar.services import current_calendar
from portal.core.clock import now_utc, parse_moment, run_every
from portal.deadlines.sweeper import sweep as run_sweep
from portal.law.services import law_in_force
from rules import deadlines as rules_deadlines

deadlines_cli = AppGroup("deadlines", help="Deadlines of the Rules: plan, validity, explain, sweep.")


class MomentParam(click.ParamType):
    """An ISO date-time; without an offset it is Asia/Almaty time."""

    name = "ISO_DATETIME"

    def convert(self, value, param, ctx):
        try:
            return parse_moment(value)
        except (ValueError, TypeError):
            self.fail(f"{value!r} is not an ISO date-time (e.g. 2026-03-20T18:31)", param, ctx)


MOMENT = MomentParam()


@deadlines_cli.command("plan")
@click.option("--procedure", required=True, type=click.Choice(sorted(rules_deadlines.PROCEDURES)))
@click.option("--received", required=True, type=MOMENT)
def plan(procedure: str, received) -> None:
    """Print the deadlines of PROCEDURE for a submission received at RECEIVED, as JSON."""
    calendar = current_calendar()
    law = law_in_force(calendar.registration_date(received))[1]
    planned = rules_deadlines.plan(procedure, received, calendar, law)
    click.echo(json.dumps({code: d.due_date.isoformat() for code, d in planned.items()}))


@deadlines_cli.command("validity")
@click.option("--issued", required=True, metavar="YYYY-MM-DD", help="The day the certificate is issued.")
def validity(issued: str) -> None:
    """Print the last day a certificate issued on ISSUED is valid (п.3: one year), as JSON."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", issued):
            raise ValueError(issued)
        day = date.fromisoformat(issued)
        # The law's own data (rules/data, the files the law_version table is loaded from), as the signing does.
        valid_until = rules_deadlines.validity_end(day)
    except (ValueError, OverflowError):
        raise click.ClickException(f"{issued!r} is not a date of issue (YYYY-MM-DD, e.g. 2025-03-10)") from None
    except LookupError as exc:  # before the first version of the Rules
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"issued": day.isoformat(), "valid_until": valid_until.isoformat()}))


# Rows claimed (and locked) per transaction: smaller batches hold their locks for less time.
BATCH_OPTION = click.option("--batch", default=500, show_default=True, type=click.IntRange(min=1, max=10_000),
                            help="Due deadlines taken per transaction.")


@deadlines_cli.command("sweep")
@click.option("--now", "now", type=MOMENT, default=None, help="Sweep as of this moment (default: now).")
@BATCH_OPTION
def sweep(now, batch: int) -> None:
    """Apply the escalation rules to every deadline that is due; safe to run anywhere, any number of times."""
    result = run_sweep(now or now_utc(), batch)
    click.echo(json.dumps(result))


@deadlines_cli.command("run")
@click.option("--every", default=60, show_default=True, help="Seconds between sweeps.")
@BATCH_OPTION
def run(every: int, batch: int) -> None:
    """Sweep every minute, for the sweeper process."""
    run_every(every, lambda: click.echo(json.dumps(run_sweep(now_utc(), batch))), "sweeper")
