"""`flask demo seed`: idempotent demo data, printed log-ins."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from portal.accounts.models import Organization, User
from portal.applications import services as applications
from portal.applications.models import Application
from portal.core.clock import now_utc
from portal.demo.data import ORGANIZATIONS, USERS
from portal.extensions import db

demo_cli = AppGroup("demo", help="Demo data for development.")


def password_for(username: str) -> str:
    return f"demo-{username}"


def seed() -> dict[str, User]:
    """Create what is missing; running it again changes nothing."""
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
        users[username] = user
    db.session.flush()
    if db.session.scalar(db.select(Application.id).limit(1)) is None:
        _demo_cases(users)
    db.session.commit()
    return users


def _demo_cases(users: dict[str, User]) -> None:
    applicant = users["applicant"]
    filed = applications.start_draft(applicant, "accreditation", applicant.organization)
    applications.save_draft(filed, {
        "kind": "accreditation", "legal_name": applicant.organization.name, "bin": applicant.organization.bin,
        "legal_address": applicant.organization.legal_address, "pool_name": "Altyn Hash",
        "main": {"settlement": "Астана", "address": "ул. Сығанақ, 10", "provider_1": "Kazakhtelecom",
                 "provider_2": "Transtelecom"},
        "backups": [{"settlement": "Караганда", "address": "ул. Ерубаева, 1", "provider_1": "Kazakhtelecom",
                     "provider_2": "Beeline"}],
        "support_24_7": True, "ui_languages": ["kk", "ru", "en"], "security_act_number": "ИБ-2026/117",
        "state_service_integration": True, "consent_secrets": True, "consent_personal_data": True,
    }, applicant)
    db.session.flush()
    applications.submit(filed, applicant, received_at=now_utc() - timedelta(days=3))
    applications.start_draft(applicant, "reissue", applicant.organization)


@demo_cli.command("seed")
def seed_command() -> None:
    """Create demo organisations, accounts and cases (idempotent)."""
    if current_app.config["TYNDAU_ENV"] == "production":
        raise click.ClickException("demo data is for development only")
    seed()
    click.echo("Demo log-ins (username / password):")
    for username, full_name, role, _org in USERS:
        click.echo(f"  {role:<11} {username:<11} / {password_for(username)}   ({full_name})")
