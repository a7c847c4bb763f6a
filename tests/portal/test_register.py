"""The public register of accredited pools, and re-issuance replacing a certificate (п.12)."""
from __future__ import annotations

from datetime import timedelta

from portal.accounts.models import User
from portal.applications import services as applications
from portal.core.clock import now_utc
from portal.decisions.models import Decision
from portal.extensions import db
from portal.gateway.services import fetch_state_facts
from portal.review import services as review
from tests.portal.test_decisions import case_without_grounds, draft_and_sign

FULL = {
    "legal_name": 'ТОО "Altyn Hash Pool"', "bin": "210640005550", "legal_address": "Астана", "pool_name": "Altyn Hash",
    "main": {"settlement": "Астана", "address": "ул. Сығанақ, 10", "provider_1": "Kazakhtelecom", "provider_2": "Transtelecom"},
    "backups": [{"settlement": "Караганда", "address": "ул. Ерубаева, 1", "provider_1": "Kazakhtelecom",
                 "provider_2": "Beeline"}],
    "support_24_7": True, "ui_languages": ["kk", "ru", "en"], "security_act_number": "ИБ-2026/117",
    "state_service_integration": True, "consent_secrets": True, "consent_personal_data": True,
}

# Issue 14 item 13: the demo package lacks documents the rules mark; the tests accept it with a reason.
OVERRIDE = "The originals were checked at the chancellery."


def issued_certificate(app, client, auth) -> Decision:
    decision_id = draft_and_sign(client, auth, case_without_grounds(app))
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        db.session.expunge(decision)
        return decision


def reissue(app, client, auth, number: str) -> int:
    with app.app_context():
        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        case = applications.start_draft(owner, "reissue", owner.organization)
        applications.save_draft(case, {**FULL, "kind": "reissue", "reissue_certificate_number": number,
                                       "reissue_reason": "Новый юридический адрес"}, owner)
        db.session.flush()
        applications.submit(case, owner, received_at=now_utc() - timedelta(minutes=1))
        review.decide_completeness(case, clerk, [], "", None, override_reason=OVERRIDE)
        fetch_state_facts(case, clerk)
        review.decide_review(case, clerk, {}, {}, "", None, None)
        db.session.commit()
        case_id = case.id
    return draft_and_sign(client, auth, case_id)


def test_the_register_lists_current_certificates_and_is_searchable(app, client, auth):
    decision = issued_certificate(app, client, auth)
    page = client.get("/register").get_data(as_text=True)
    assert decision.number in page and "current" in page
    assert decision.number in client.get("/register?q=210640005550").get_data(as_text=True)
    assert decision.number in client.get("/register?q=altyn").get_data(as_text=True)
    assert decision.number not in client.get("/register?q=Steppe").get_data(as_text=True)
    partial = client.get("/register?q=altyn", headers={"HX-Request": "true"})
    assert "<html" not in partial.get_data(as_text=True) and "HX-Request" in partial.headers["Vary"]


def test_an_expired_certificate_is_marked(app, client, auth):
    decision = issued_certificate(app, client, auth)
    with app.app_context():
        row = db.session.get(Decision, decision.id)
        row.issued_on, row.valid_until = row.issued_on.replace(year=row.issued_on.year - 2), row.valid_until.replace(
            year=row.valid_until.year - 2)
        db.session.commit()
    page = client.get("/register").get_data(as_text=True)
    assert decision.number in page and "expired" in page
    assert "not current" in client.get(f"/verify/number?number={decision.number}").get_data(as_text=True)


def test_a_reissued_certificate_replaces_the_previous_one_and_keeps_its_term(app, client, auth):
    first = issued_certificate(app, client, auth)
    second_id = reissue(app, client, auth, first.number)
    with app.app_context():
        second = db.session.get(Decision, second_id)
        assert second.kind == "certificate" and second.valid_until == first.valid_until
        assert second.content["replaces"] == first.number
        number = second.number
    page = client.get("/register").get_data(as_text=True)
    assert number in page and first.number not in page
    assert "not current" in client.get(f"/verify/number?number={first.number}").get_data(as_text=True)
    auth.login("applicant")
    with app.app_context():
        case_id = db.session.get(Decision, second_id).application_id
    shown = client.get(f"/applications/{case_id}/decision").get_data(as_text=True)
    assert f"Re-issued in place of certificate № {first.number}" in shown and 'src="data:image/svg+xml' in shown
