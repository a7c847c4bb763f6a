"""One re-issuance per certificate at a time (п.12; issue 14 item 10, issue 15 item 2).

Two re-issuances of one certificate were both processed: the second got a fresh year and both showed as
current. Now a re-issuance holds its certificate from submission (Application.reissue_claim, unique in the
database among open and issued cases); the portal refuses a second one with a sentence on the submit page; a
paper one is registered as received and refused under п.12 by an Appendix 4 document the signatory signs; and
signing re-checks the certificate under a row lock.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.applications import services as applications
from portal.applications.models import CHANCELLERY, Application
from portal.core.clock import now_utc
from portal.decisions.models import Decision
from portal.extensions import db
from portal.gateway.services import fetch_state_facts
from portal.review import services as review
from tests.conftest import post_form
from tests.portal.factories import (OVERRIDE, issued_certificate, reissue_draft, sign_in_page_as_signatory,
                                    status_of, submit_in_page, user_named)
from tests.portal.officials import sign_decision
from tests.support.html import Page, field_value

OWN_BIN = "210640005550"  # Altyn, the demo "applicant"


def _to_decision(app, case_id: int) -> None:
    """The clerk's completeness check and review with no grounds: the certificate is due."""
    with app.app_context():
        case, clerk = db.session.get(Application, case_id), user_named("clerk")
        review.decide_completeness(case, clerk, [], "", None, override_reason=OVERRIDE)
        fetch_state_facts(case, clerk)
        review.decide_review(case, clerk, {}, {}, "", None, None)
        db.session.commit()
        assert case.status == "awaiting_decision"


def _draft_in_page(client, auth, case_id: int, button: str) -> int:
    auth.login("clerk")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert button in page, page
    version = field_value(page, "version")
    response = post_form(client, f"/staff/cases/{case_id}/decision", {"version": version},
                         page=f"/applications/{case_id}")
    assert response.status_code == 302
    auth.logout()
    with client.application.app_context():
        return db.session.scalar(db.select(Decision.id).filter_by(application_id=case_id))


def _listed(register_page: str) -> list[str]:
    """The certificate numbers the register page lists."""
    return [number for number in Page(register_page).texts("a") if number.startswith("DMP-C-")]


def _current(client, number: str) -> bool:
    page = client.get(f"/verify/number?number={number}").get_data(as_text=True)
    assert number in page
    return "not current" not in page and "current" in page


# --- on the portal ---------------------------------------------------------------------------

def test_a_second_reissuance_is_refused_on_the_submit_page_while_the_first_is_open(app, client, auth):
    certificate = issued_certificate(app, client, auth)
    first, second = reissue_draft(app, certificate.number), reissue_draft(app, certificate.number.lower())
    auth.login("applicant")
    assert submit_in_page(client, first).status_code == 302
    assert status_of(app, first) == "registered"
    with app.app_context():
        first_number = db.session.get(Application, first).number
        assert db.session.get(Application, first).reissue_claim == certificate.number

    page = client.get(f"/applications/{second}/submit").get_data(as_text=True)
    assert f"is already being re-issued on application {first_number}" in page and 'name="submit"' not in page
    edit = client.get(f"/applications/{second}/edit")  # said next to the certificate-number field too
    assert edit.status_code == 200
    assert "is already being re-issued" in Page(edit).error("reissue_certificate_number")
    response = submit_in_page(client, second)
    assert response.status_code != 302 and "is already being re-issued" in response.get_data(as_text=True)
    assert status_of(app, second) == "draft"

    # The first is refused (an incomplete package, п.12): the refusal is drafted and, until it is signed, the
    # certificate stays held; once signed, the certificate is free again.
    with app.app_context():
        review.decide_completeness(db.session.get(Application, first), user_named("clerk"),
                                   [{"code": "server_room_lease", "problem": "missing"}], "Нет договора аренды.", None,
                                   override_reason=OVERRIDE)
        db.session.commit()
    assert status_of(app, first) == "decision_drafted"
    assert "is already being re-issued" in client.get(f"/applications/{second}/submit").get_data(as_text=True)
    with app.app_context():
        decision_id = db.session.scalar(db.select(Decision.id).filter_by(application_id=first))
    auth.logout()
    assert sign_in_page_as_signatory(client, auth, decision_id).status_code == 302
    auth.login("applicant")
    assert status_of(app, first) == "incomplete_refused"
    assert "is already being re-issued" not in client.get(f"/applications/{second}/submit").get_data(as_text=True)
    assert submit_in_page(client, second).status_code == 302
    assert status_of(app, second) == "registered"


def test_after_the_reissue_is_issued_the_old_number_is_refused_and_the_new_one_is_accepted(app, client, auth):
    certificate = issued_certificate(app, client, auth)
    first = reissue_draft(app, certificate.number)
    auth.login("applicant")
    assert submit_in_page(client, first).status_code == 302
    auth.logout()
    _to_decision(app, first)
    decision_id = _draft_in_page(client, auth, first, "Draft the final decision")
    assert sign_in_page_as_signatory(client, auth, decision_id).status_code == 302
    with app.app_context():
        reissued = db.session.get(Decision, decision_id)
        new_number, valid_until = reissued.number, reissued.valid_until
    assert valid_until == certificate.valid_until  # the same accreditation's term, not a fresh year

    again, onward = reissue_draft(app, certificate.number), reissue_draft(app, new_number)
    auth.login("applicant")
    page = client.get(f"/applications/{again}/submit").get_data(as_text=True)
    assert f"Certificate {certificate.number} has already been re-issued" in page and new_number in page
    assert submit_in_page(client, again).status_code != 302 and status_of(app, again) == "draft"
    assert submit_in_page(client, onward).status_code == 302 and status_of(app, onward) == "registered"

    register = client.get(f"/register?q={OWN_BIN}").get_data(as_text=True)
    assert new_number in register and certificate.number not in register
    assert _current(client, new_number) and not _current(client, certificate.number)


# --- in the database -------------------------------------------------------------------------

def test_the_database_refuses_a_second_hold_even_past_the_checks(app, client, auth):
    certificate = issued_certificate(app, client, auth)
    first, second = reissue_draft(app, certificate.number), reissue_draft(app, certificate.number)
    with app.app_context():
        assert applications.submit(db.session.get(Application, first), user_named("applicant"))
        db.session.commit()
    with app.app_context():
        with pytest.raises(IntegrityError):  # an UPDATE that skips every service check
            db.session.execute(update(Application).where(Application.id == second)
                               .values(status="registered", reissue_claim=certificate.number))
        db.session.rollback()
        row = db.session.get(Application, first)
        with pytest.raises(IntegrityError):  # an INSERT too
            db.session.add(Application(kind="reissue", organization_id=row.organization_id,
                                       created_by_id=row.created_by_id, status="under_review",
                                       reissue_certificate_number=certificate.number,
                                       reissue_claim=certificate.number))
            db.session.flush()
        db.session.rollback()
        # A draft and a refused case hold nothing: the index counts only open and issued cases.
        db.session.execute(update(Application).where(Application.id == second)
                           .values(status="refused", reissue_claim=certificate.number))
        db.session.commit()


def test_two_submissions_at_once_the_second_is_refused_by_the_database(app, client, auth, monkeypatch):
    """Both passed the check before either registered (the race): the partial index decides."""
    from portal.register import queries

    certificate = issued_certificate(app, client, auth)
    first, second, paper = (reissue_draft(app, certificate.number), reissue_draft(app, certificate.number),
                            reissue_draft(app, certificate.number, route=CHANCELLERY))
    with app.app_context():
        assert applications.submit(db.session.get(Application, first), user_named("applicant"))
        db.session.commit()
    monkeypatch.setattr(queries, "reissue_obstacle", lambda application: None)  # the check saw it free
    auth.login("applicant")
    response = submit_in_page(client, second)  # the page shows why, and the draft stays a draft
    assert response.status_code != 302 and "is already being re-issued" in response.get_data(as_text=True)
    auth.logout()
    with app.app_context():
        with pytest.raises(applications.ReissueRefused):
            applications.submit(db.session.get(Application, second), user_named("applicant"))
        db.session.rollback()
        assert db.session.get(Application, second).status == "draft"
        # On paper the case is registered as received (п.7), holding nothing: п.12 answers it.
        assert applications.submit(db.session.get(Application, paper), user_named("clerk"))
        db.session.commit()
        case = db.session.get(Application, paper)
        assert case.status == "registered" and case.reissue_claim is None


# --- on paper: registered, then refused under п.12 by an Appendix 4 document ------------------

def test_a_paper_reissuance_of_a_certificate_being_reissued_is_refused_under_p12(app, client, auth):
    certificate = issued_certificate(app, client, auth)
    first = reissue_draft(app, certificate.number)
    auth.login("applicant")
    assert submit_in_page(client, first).status_code == 302
    auth.logout()
    with app.app_context():
        first_number = db.session.get(Application, first).number

    paper = reissue_draft(app, certificate.number, route=CHANCELLERY)
    auth.login("clerk")
    page = client.get(f"/applications/{paper}/submit").get_data(as_text=True)
    assert f"is already being re-issued on application {first_number}" in page  # the clerk sees it
    assert "motivated refusal of further consideration (п.12)" in page and 'name="submit"' in page
    assert submit_in_page(client, paper).status_code == 302  # registered on the day it was received (п.7)
    case_page = client.get(f"/applications/{paper}").get_data(as_text=True)
    assert "Draft the motivated refusal (п.12)" in case_page and "Check completeness" not in case_page
    auth.logout()
    assert status_of(app, paper) == "registered"

    decision_id = _draft_in_page(client, auth, paper, "Draft the motivated refusal (п.12)")
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        assert decision.kind == "refusal"
        [ground] = decision.content["grounds"]
        assert ground["paragraph"] == "п. 12" and first_number in ground["reasoning"]["ru"]
        assert set(ground["reasoning"]) == {"kk", "ru", "en"} and "hearing" not in decision.content
    assert sign_in_page_as_signatory(client, auth, decision_id).status_code == 302  # signed like every Appendix 4 document
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        assert decision.status == "signed" and decision.number.startswith("DMP-R-")
        assert b'paragraph="\xd0\xbf. 12"' in decision.document  # the signed XML cites п. 12
    assert status_of(app, paper) == "refused"
    with app.app_context():  # the refusal is the act the п.12 check ends in: its terms are met, not dropped
        terms = {d.code: d.state for d in db.session.get(Application, paper).deadlines}
        assert terms["reissue_review"] == terms["completeness"] == terms["service_reissue"] == "met"

    auth.login("applicant")
    shown = client.get(f"/applications/{paper}/decision").get_data(as_text=True)
    assert "para. 12" in shown and first_number in shown
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru"
    shown = client.get(f"/applications/{paper}/decision").get_data(as_text=True)
    assert "п. 12" in shown and "уже переоформляется" in shown
    auth.logout()
    # The refusal touched neither the certificate nor the first case's hold.
    assert _current(client, certificate.number) and status_of(app, first) == "registered"


def test_a_paper_reissuance_of_a_foreign_or_replaced_certificate_offers_only_the_p12_refusal(app, client, auth):
    certificate = issued_certificate(app, client, auth)
    paper = reissue_draft(app, "DMP-C-2020-999999", route=CHANCELLERY)
    with app.app_context():
        assert applications.submit(db.session.get(Application, paper), user_named("clerk"))
        db.session.commit()
    _to_decision(app, paper)  # even reviewed, no certificate can be drafted for it
    decision_id = _draft_in_page(client, auth, paper, "Draft the motivated refusal (п.12)")
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        assert decision.kind == "refusal" and "DMP-C-2020-999999" in decision.content["grounds"][0]["reasoning"]["en"]
    assert _current(client, certificate.number)


# --- signing ---------------------------------------------------------------------------------

def _two_drafted_certificates(app, client, auth, number: str) -> tuple[int, int, int, int]:
    """Two re-issuances of `number` with drafted certificates, the second's hold removed as before this guard."""
    first, second = reissue_draft(app, number), reissue_draft(app, number, route=CHANCELLERY)
    with app.app_context():
        assert applications.submit(db.session.get(Application, first), user_named("applicant"))
        assert applications.submit(db.session.get(Application, second), user_named("clerk"))
        db.session.commit()
    _to_decision(app, first)
    _to_decision(app, second)
    first_decision = _draft_in_page(client, auth, first, "Draft the final decision")
    with app.app_context():
        # A second drafted certificate only arises from data older than the guard: drafted by hand here.
        case = db.session.get(Application, second)
        row = Decision(application_id=second, kind="certificate", status="drafted", drafted_by_id=user_named("clerk").id,
                       drafted_at=now_utc(), content={**db.session.get(Decision, first_decision).content})
        db.session.add(row)
        case.status = "decision_drafted"
        db.session.commit()
        return first, second, first_decision, row.id


def test_signing_refuses_a_second_certificate_for_a_certificate_already_replaced(app, client, auth):
    certificate = issued_certificate(app, client, auth)
    first, second, first_decision, second_decision = _two_drafted_certificates(app, client, auth, certificate.number)
    # The first holds the certificate: the second cannot be signed even before the first is.
    refused = sign_in_page_as_signatory(client, auth, second_decision)
    assert refused.status_code == 409 and "This certificate cannot be issued" in refused.get_data(as_text=True)
    assert sign_in_page_as_signatory(client, auth, first_decision).status_code == 302
    refused = sign_in_page_as_signatory(client, auth, second_decision)
    assert refused.status_code == 409 and "has already been re-issued" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Decision, second_decision).status == "drafted"
        new_number = db.session.get(Decision, first_decision).number
    assert status_of(app, second) == "decision_drafted"
    register = client.get(f"/register?q={OWN_BIN}").get_data(as_text=True)
    assert _listed(register) == [new_number]
    assert _current(client, new_number) and not _current(client, certificate.number)


def test_two_signatories_at_once_issue_one_certificate(app, client, auth, monkeypatch):
    """Neither case holds the certificate (data older than the guard): the row lock on it decides.

    Both signings are held until each has found the certificate current, before either locks it; then the
    second waits for the first and finds it replaced (without the lock both would issue one).
    """
    import sys

    from portal.applications.services import ReissueRefused
    from portal.decisions import services as decisions

    checked, found = threading.Barrier(2, timeout=60), decisions.certificate_being_reissued

    def both_checked(application):
        previous = found(application)
        if sys._getframe(1).f_code.co_name == "hold_certificate":
            checked.wait()
        return previous


    certificate = issued_certificate(app, client, auth)
    first, second, first_decision, second_decision = _two_drafted_certificates(app, client, auth, certificate.number)
    with app.app_context():
        db.session.execute(update(Application).where(Application.id.in_([first, second])).values(reissue_claim=None))
        db.session.commit()
    monkeypatch.setattr(decisions, "certificate_being_reissued", both_checked)
    outcomes = []

    def sign(decision_id: int) -> None:
        with app.app_context():
            decision = db.session.get(Decision, decision_id)
            try:
                sign_decision(decision, user_named("signatory"))
                db.session.commit()
                outcomes.append("signed")
            except ReissueRefused:
                db.session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=sign, args=(d,)) for d in (first_decision, second_decision)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "signed"]
    with app.app_context():
        signed = db.session.scalars(db.select(Decision).where(Decision.id.in_([first_decision, second_decision]),
                                                              Decision.status == "signed")).all()
        assert len(signed) == 1 and signed[0].valid_until == certificate.valid_until
        number = signed[0].number
    assert _listed(client.get(f"/register?q={OWN_BIN}").get_data(as_text=True)) == [number]
    assert _current(client, number) and not _current(client, certificate.number)
