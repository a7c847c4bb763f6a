"""`flask outbox …`: send the due notifications once, or keep sending them."""
from __future__ import annotations

import json

import click
from flask.cli import AppGroup

from portal.core.clock import run_every, now_utc
from portal.deadlines.cli import MOMENT
from portal.notifications.transports import UnknownTransport
from portal.notifications.worker import retry_failed as requeue
from portal.notifications.worker import send_due

outbox_cli = AppGroup("outbox", help="E-mail notifications: send what is due.")


def _send_due(now) -> None:
    try:
        click.echo(json.dumps(send_due(now), sort_keys=True))
    except UnknownTransport as exc:
        raise click.ClickException(str(exc)) from exc


@outbox_cli.command("send")
@click.option("--now", "now", type=MOMENT, default=None, help="Send as of this moment (default: now).")
def send(now) -> None:
    """Send every due message once and exit; prints the counts as JSON."""
    _send_due(now or now_utc())


@outbox_cli.command("run")
@click.option("--every", default=30, show_default=True, help="Seconds between runs.")
def run(every: int) -> None:
    """Send what is due every 30 seconds, for the mail worker process."""
    run_every(every, lambda: _send_due(now_utc()), "outbox")


@outbox_cli.command("retry-failed")
def retry_failed() -> None:
    """Queue the messages that ran out of attempts again (after fixing the relay or an address)."""
    click.echo(json.dumps({"requeued": requeue(now_utc())}))
