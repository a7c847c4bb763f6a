"""`flask demo seed`: idempotent demo data (a case at every stage), printed log-ins; `flask demo clock`: the
training clock of development and demos (portal/core/clock.py)."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal.accounts.models import Organization, User
from portal.applications import services as applications
from portal.applications.models import Application
from portal.core import clock
from portal.core.clock import now_utc
from portal.demo.data import ORGANIZATIONS, USERS, iin_of, people, pki_organizations
from portal.demo.stages import application_data, build
from portal.extensions import db
from portal.signatures.pki import init_pki

demo_cli = AppGroup("demo", help="Demo data for development.")


# The posts of the demo staff, printed with the role the certificate gives on the acts they sign.
DEMO_POSITIONS = {"clerk": "Главный эксперт", "signatory": "Вице-министр", "supervisor": "Директор департамента",
                  "authority": "Руководитель управления"}


# Printed by `flask demo seed`: where each log-in's work is (the pools of portal/demo/stages.py).
WHAT_EACH_FINDS = (
    "applicant:  a case just filed, one under review, one awaiting signature, the certificate of Altyn Hash Prime",
    "applicant2: a hearing booked (Steppe North) and its complaint to the provider; a refusal (Steppe Reserve) "
    "under complaint at the authority",
    "clerk: the queue; signatory: a certificate to sign; supervisor: the complaint with its 3 working days (п.17); "
    "authority: the complaint on the refusal; anyone: the register",
    "Training clock: `flask demo clock --advance 6d` (past the 3 working days, a weekend included), then "
    "`flask deadlines sweep` (or the running sweeper) forwards the complaint left with the provider; "
    "`flask demo clock --reset` ends it.",
)


def password_for(username: str) -> str:
    return f"demo-{username}"


def seed(stages: bool = False, people_dir: Path | None = None) -> dict[str, User]:
    """Create what is missing; running it again changes nothing.

    With `stages` (what `flask demo seed` does), also a case at every stage of the procedure (portal/demo/stages.py),
    its acts signed with the keys in `people_dir` (<pki>/people); the tests' seed keeps to the two cases below.
    """
    organizations = []
    for data in ORGANIZATIONS:
        org = db.session.scalar(db.select(Organization).filter_by(bin=data["bin"]))
        if org is None:
            org = Organization(**data)
            db.session.add(org)
        organizations.append(org)
    db.session.flush()
    users = {}
    for username, full_name, role, org_index in USERS:
        user = db.session.scalar(db.select(User).filter_by(username=username))
        if user is None:
            user = User(username=username, full_name=full_name, role=role, email=f"{username}@example.kz",
                        organization=organizations[org_index] if org_index is not None else None)
            user.set_password(password_for(username))
            db.session.add(user)
        if user.iin is None:  # the IIN of the person's own keys (people/<username>/ in the development PKI)
            user.iin = iin_of(username)
        if not user.position:  # certificates carry no title: the acts they sign print it from the account
            user.position = DEMO_POSITIONS.get(username, "")
        users[username] = user
    db.session.flush()
    if db.session.scalar(db.select(Application.id).limit(1)) is None:
        _demo_cases(users)
    if stages:
        for pool, outcome in build(users, people_dir).items():
            if outcome != "made":
                click.echo(f"Demo case {pool!r} {outcome}", err=True)
    db.session.commit()
    return users


def _demo_cases(users: dict[str, User]) -> None:
    applicant = users["applicant"]
    filed = applications.start_draft(applicant, "accreditation", applicant.organization)
    applications.save_draft(filed, application_data(applicant.organization, "Altyn Hash"), applicant)
    db.session.flush()
    applications.submit(filed, applicant, received_at=now_utc() - timedelta(days=3))
    applications.start_draft(applicant, "reissue", applicant.organization)


def ensure_pki(directory: Path) -> bool:
    """Make the development PKI of the demo organisations in `directory` unless it holds one already.

    A PKI made for other organisations is replaced, so the keys always match the demo BINs.
    Returns True when a PKI was made.
    """
    wanted = {org["bin"] for org in pki_organizations()}
    try:
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        have = {org["bin"] for org in manifest["organizations"]}
    except (OSError, ValueError, KeyError, TypeError):
        have = set()
    complete = all((directory / path).exists() for path in
                   ("trust/ca.pem", "trust/gost-ca.pem", "authority/sign.pem",
                    *(f"people/{person['username']}/gost/sign.pem" for person in people())))
    if wanted <= have and complete:
        return False
    init_pki(directory, pki_organizations(), people=people(), overwrite=True)
    return True


def _people_keys(pki_dir: Path) -> Path:
    """The demo people's keys under the trust store the portal checks signatures against (TRUST_STORE's PKI)."""
    trusted = Path(current_app.config["TRUST_STORE"]).parent / "people"
    return trusted if (trusted / "signatory" / "sign.key").exists() else pki_dir / "people"


@demo_cli.command("seed")
def seed_command() -> None:
    """Create demo organisations, accounts and cases (idempotent)."""
    if current_app.config["TYNDAU_ENV"] == "production":
        raise click.ClickException("demo data is for development only")
    pki_dir = Path(current_app.instance_path) / "pki"
    made = ensure_pki(pki_dir)  # first: the cases' acts are signed with the demo people's keys
    seed(stages=True, people_dir=_people_keys(pki_dir))
    click.echo("Demo log-ins (username / password):")
    for username, full_name, role, _org in USERS:
        click.echo(f"  {role:<11} {username:<11} / {password_for(username)}   ({full_name})")
    click.echo("What they find (cases at every stage, portal/demo/stages.py):")
    for line in WHAT_EACH_FINDS:
        click.echo(f"  {line}")
    click.echo(f"Development PKI {'created' if made else 'kept'} in {pki_dir}: every demo person's own keys in "
               f"{pki_dir / 'people'}/<username>/ (RSA: sign.*, auth.*; GOST 34.10-2015: gost/sign.*, gost/auth.*).")
    if Path(current_app.config["TRUST_STORE"]).resolve() != (pki_dir / "trust").resolve():
        click.echo(f"  Note: TRUST_STORE is {current_app.config['TRUST_STORE']}, not this PKI's trust/ folder.")
    click.echo("  Signing: `make run` starts the NCALayer stand-in beside the portal; choose whose key signs on its page, "
               "http://127.0.0.1:13579/ (NCALAYER_STANDIN_PICK=<username> picks one for you).")


@demo_cli.command("clock")
@click.option("--advance", "step", metavar="STEP", default=None,
              help="Move the training clock ahead by STEP (3d, 12h, 30m, or a sum: 1d6h); steps add up.")
@click.option("--reset", is_flag=True, help="Back to the real time.")
def clock_command(step: str | None, reset: bool) -> None:
    """The training clock (development and demos only): every process of this instance reads the shifted time."""
    if current_app.config["TYNDAU_ENV"] == "production":
        raise click.ClickException("the training clock is for development and demos only")
    path = clock.training_file()
    if path is None:
        raise click.ClickException("no training clock here (tests name TRAINING_CLOCK_FILE to use one)")
    if step is not None and reset:
        raise click.ClickException("give --advance or --reset, not both")
    if reset:
        clock.set_training_offset(path, clock.ZERO)
    elif step is not None:
        try:
            ahead = clock.parse_step(step)
        except ValueError:
            raise click.ClickException(f"{step!r} is not a step like 3d, 12h, 30m or 1d6h") from None
        clock.set_training_offset(path, clock.training_offset() + ahead)
    shift, moment = clock.training_offset(), f"{clock.now_utc().astimezone(clock.ALMATY):%Y-%m-%d %H:%M} Asia/Almaty"
    if shift == clock.ZERO:
        click.echo(f"Training clock off: the portal runs on the real time ({moment}).")
    else:
        click.echo(f"Training clock on: {clock.describe_offset(shift)}; the portal's time is {moment} ({path}).")


@demo_cli.command("scale")
@click.option("--cases", type=click.IntRange(min=0), required=True, help="How many cases to add.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the random choices (same seed, same data).")
def scale_command(cases: int, seed: int) -> None:
    """Add N realistic cases in the proportions of a real year (bulk inserts; 1,000,000 in minutes on PostgreSQL)."""
    if current_app.config["TYNDAU_ENV"] == "production":
        raise click.ClickException("demo data is for development only")
    try:  # bench/ is development-only, outside the installed package: never imported when the portal starts
        from bench.scale import scale
    except ImportError as exc:
        raise click.ClickException(f"the generator is in bench/scale/ of the source tree; run from there ({exc})")
    summary = scale(cases, seed=seed)
    click.echo(f"Added {summary.cases} cases in {summary.seconds:.1f} s"
               f"{' (foreign-key triggers skipped during the load)' if summary.fast_path else ''}.")
    for stage, count in sorted(summary.stages.items(), key=lambda item: -item[1]):
        click.echo(f"  {stage:<20} {count:>9}")
    click.echo(f"  overdue (open, a deadline missed): {summary.overdue}; complaints: {summary.complaints}")
    click.echo("Rows: " + ", ".join(f"{table} {count}" for table, count in summary.rows.items()))
