"""Characters XML 1.0 cannot carry: dropped from whatever is typed, and never a reason a document cannot be signed."""
from __future__ import annotations

import importlib
import pkgutil
import re
from types import SimpleNamespace

import pytest
from lxml import etree
from werkzeug.datastructures import MultiDict
from wtforms import FieldList, Form, FormField, PasswordField, StringField

import portal
from portal.accounts.models import User
from portal.applications.models import Application
from portal.complaints import complaint_xml
from portal.complaints import documents as complaint_documents
from portal.complaints.models import Complaint
from portal.core.clock import now_utc
from portal.core.xmltext import xml_text
from portal.decisions import documents as decision_documents
from portal.decisions.models import Decision
from portal.extensions import db
from portal.hearings import position_xml
from portal.hearings import services as hearings
from portal.hearings.models import PreliminaryRefusal
from portal.signatures import application_xml
from portal.signatures import services as signatures
from tests.conftest import post_form
from tests.portal.factories import (case_with_grounds, case_without_grounds, complaint_of, draft_and_sign,
                                    draft_decision, forwarded_complaint, hearing_window_over, notified_case,
                                    send_notice)
from tests.portal.officials import decide_as_authority, sign_decision_in_page
from tests.support.html import field_value

# Typed with a vertical tab, a SOH, a NUL, U+FFFF; kept: tab, line ends, a C1 control (valid XML), Kazakh, an emoji.
TYPED = "Сығанақ\x0b 10\x01\x00\uffff\t«Жол»\r\n\x85😀"
KEPT = "Сығанақ 10\t«Жол»\r\n\x85😀"
CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def test_the_shared_cleaning_keeps_everything_xml_can_carry():
    assert xml_text(TYPED) == KEPT and xml_text(None) == "" and xml_text(42) == "42"
    assert xml_text("\ud800lone surrogate\udfff") == "lone surrogate"
    root = etree.Element("x")
    root.text = xml_text("".join(map(chr, range(0x20))) + "\ufffe\uffff")  # lxml refuses anything left in
    assert root.text == "\t\n\r"


# --- on input: every text field of every form --------------------------------------------------

def _portal_form_classes() -> list[type]:
    for module in pkgutil.walk_packages(portal.__path__, "portal."):
        if module.name.endswith(".forms"):
            importlib.import_module(module.name)
    found, stack = [], [Form]
    while stack:
        for cls in stack.pop().__subclasses__():
            stack.append(cls)
            if cls.__module__.startswith("portal."):
                found.append(cls)
    return found


def _text_fields(form) -> list:
    fields = []
    for field in form:
        if isinstance(field, FormField):
            fields += _text_fields(field.form)
        elif isinstance(field, FieldList):
            for entry in field.entries:
                fields += _text_fields(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(field, StringField):
            fields.append(field)
    return fields


def test_every_text_field_of_every_form_drops_what_xml_cannot_carry(app):
    classes = _portal_form_classes()
    assert {"ApplicationForm", "ComplexForm", "ComplaintForm", "PositionForm", "HearingRecordForm",
            "AuthorityDecisionForm", "SignedDocumentForm", "LoginForm"} <= {cls.__name__ for cls in classes}
    checked = 0
    with app.test_request_context():
        for cls in classes:
            names = [f.name for f in _text_fields(cls(formdata=None, meta={"csrf": False}))
                     if not isinstance(f, PasswordField)]
            form = cls(formdata=MultiDict({name: TYPED for name in names}), meta={"csrf": False})
            for field in _text_fields(form):
                if not isinstance(field, PasswordField):
                    assert field.data == KEPT, f"{cls.__name__}.{field.name}"
                    checked += 1
    assert checked >= 30


def test_a_password_is_read_exactly_as_typed(app):
    from portal.accounts.forms import LoginForm

    with app.test_request_context():
        form = LoginForm(formdata=MultiDict({"username": "clerk\x0b", "password": "pass\x0bword\x01"}),
                         meta={"csrf": False})
    assert form.username.data == "clerk" and form.password.data == "pass\x0bword\x01"


def test_the_application_form_stores_typed_text_without_control_characters(app, client, auth):
    auth.login("applicant")
    created = post_form(client, "/applications/new", {"kind": "accreditation"}, page="/cabinet")
    application_id = int(re.search(r"/applications/(\d+)/edit", created.headers["Location"]).group(1))
    saved = post_form(client, f"/applications/{application_id}/edit", {
        "kind": "accreditation", "legal_name": "ТОО «Altyn\x0b Hash»\x01", "legal_address": "Астана\x0b",
        "pool_name": "Altyn\x0c Hash", "main-settlement": "Аста\x01на", "main-address": "ул.\x0b Сығанақ, 10",
        "backups-0-settlement": "Кара\x1fганда", "backups-0-address": "ул. Ерубаева, 1", "save": "1"})
    assert saved.status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.legal_name == "ТОО «Altyn Hash»" and application.legal_address == "Астана"
        assert application.pool_name == "Altyn Hash"
        assert (application.main_complex.settlement, application.main_complex.address) == ("Астана", "ул. Сығанақ, 10")
        assert application.backup_complexes[0].settlement == "Караганда"
    # The application document the applicant signs is well-formed and says the same.
    document = client.get(f"/applications/{application_id}/application.xml")
    assert document.status_code == 200 and "ТОО «Altyn Hash»" in etree.fromstring(document.data).xpath(
        "string(//*[local-name()='name'])")


def test_the_position_and_the_complaint_are_stored_without_control_characters(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    assert post_form(client, f"{hearing}/position", {"position": "Pos\x0bition\x01"}, page=hearing).status_code == 302
    new = f"/applications/{case_id}/complaints/new"
    key = field_value(client.get(new), "submission_key")
    filed = post_form(client, new, {"submission_key": key, "subject": "case", "addressee": "provider",
                                    "demands": "Dem\x0bands", "arguments": "Argu\x01ments\x00"}, page=new)
    assert filed.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(PreliminaryRefusal.position).filter_by(application_id=case_id)) == "Position"
        complaint = db.session.scalar(db.select(Complaint).filter_by(application_id=case_id))
        assert (complaint.demands, complaint.arguments) == ("Demands", "Arguments")


# --- the documents to sign, from what the applicant typed ---------------------------------------

def test_the_documents_to_sign_answer_with_well_formed_xml_whatever_was_typed(app, client, auth):
    case_id, hearing = notified_case(app, client, auth)
    position = post_form(client, f"{hearing}/position.xml", {"position": "Pos\x0bition\x01"}, page=hearing)
    assert position.status_code == 200
    assert etree.fromstring(position.data).findtext(f"{{{position_xml.NS}}}text") == "Position"
    new = f"/applications/{case_id}/complaints/new"
    # subject and addressee are radio buttons (offered values only: anything else is a field error, not a document)
    complaint = post_form(client, f"{new}.xml", {"subject": "case", "addressee": "provider",
                                                 "demands": "Dem\x0bands", "arguments": "\x01Argu\x0cments"}, page=new)
    assert complaint.status_code == 200
    root = etree.fromstring(complaint.data)
    assert root.find(f"{{{complaint_xml.NS}}}subject").get("ref") == "case"
    assert [root.findtext(f"{{{complaint_xml.NS}}}{name}") for name in complaint_xml.FIELDS] == [
        "provider", "Demands", "Arguments"]


# --- on output: old data with control characters can still be signed ----------------------------

def _set(model, row_id: int, **values) -> None:
    db.session.execute(db.update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def test_a_certificate_for_a_name_stored_with_control_characters_is_signed(app, client, auth):
    case_id = case_without_grounds(app)
    with app.app_context():
        # Typed before the forms dropped such characters: the data as it is in the database.
        _set(Application, case_id, legal_name="ТОО «Altyn\x0b Hash»", legal_address="Астана\x01",
             pool_name="Altyn\x1f Hash")
    decision_id = draft_and_sign(client, auth, case_id)
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        assert decision.status == "signed" and signatures.check(decision.document).passed
        root = etree.fromstring(decision.document)
        assert root.findtext(f"{{{decision_documents.NS}}}legal-name") == "ТОО «Altyn Hash»"
        assert root.findtext(f"{{{decision_documents.NS}}}pool-name") == "Altyn Hash"
    auth.login("applicant")
    assert client.get(f"/applications/{case_id}/decision").status_code == 200
    assert client.get(f"/applications/{case_id}/decision.pdf").status_code == 200


def test_a_refusal_citing_a_reason_stored_with_control_characters_is_signed(app, client, auth):
    case_id = case_with_grounds(app, "applicant")
    auth.login("clerk")
    send_notice(client, case_id)
    auth.logout()
    hearing_window_over(app, case_id)
    with app.app_context():
        case = db.session.get(Application, case_id)
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        hearings.record_hearing(case, clerk, {"outcome": "refusal_upheld", "held_at": now_utc()}, None)
        db.session.commit()
    decision_id = draft_decision(client, auth, case_id)
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        grounds = [{**g, "reason": "Акт\x0b не приложен\x01"} for g in decision.content["grounds"]]
        _set(Decision, decision.id, content={**decision.content, "grounds": grounds,
                                             "legal_name": "ТОО\x0b «Демо»"})
        decision_id = decision.id
    auth.login("signatory")
    with app.app_context():
        assert sign_decision_in_page(client, decision_id).status_code == 302
    with app.app_context():
        decision = db.session.get(Decision, decision_id)
        assert decision.status == "signed" and signatures.check(decision.document).passed
        reasons = etree.fromstring(decision.document).findall(f".//{{{decision_documents.NS}}}reason")
        assert reasons and {r.text for r in reasons} == {"Акт не приложен"}


def test_the_authority_signs_its_decision_on_a_complaint_stored_with_control_characters(app, client, auth):
    case_id, complaint = forwarded_complaint(app, client, auth)
    with app.app_context():
        _set(Complaint, complaint["id"], demands="Dem\x0bands\x01")
        _set(Application, case_id, legal_name="ТОО\x0b «Демо»")
    auth.login("authority")
    with app.app_context():
        done = decide_as_authority(client, complaint["id"], {"version": complaint_of(app, case_id)["version"],
                                                             "outcome": "refused", "reasons": "Rea\x0bsons\x01"})
    assert done.status_code == 302
    with app.app_context():
        row = db.session.get(Complaint, complaint["id"])
        assert row.reasons == "Reasons" and signatures.check(row.decision_document).passed
        root = etree.fromstring(row.decision_document)
        assert root.findtext(f"{{{complaint_documents.NS}}}demands") == "Demands"
        assert root.findtext(f"{{{complaint_documents.NS}}}applicant") == "ТОО «Демо»"


@pytest.mark.parametrize("build", [
    lambda text: decision_documents.decision_xml(SimpleNamespace(
        kind="refusal", number="DMP-R-2026-000001", issued_on=now_utc().date(), valid_until=None,
        application=SimpleNamespace(number="2026-000001"),
        content={"bin": "210640005550", "legal_name": text, "legal_address": text, "pool_name": text,
                 "location": text, "head": text, "replaces": text, "provider": {"ru": text},
                 "grounds": [{"number": 2, "paragraph": text, "text": {"ru": text}, "reason": text}],
                 "hearing": {"held_at": text, "attended": False}})),
    lambda text: complaint_documents.decision_xml(SimpleNamespace(
        decision_number="QC-1", number="C-1", decided_at=now_utc(), outcome="refused", demands=text, reasons=text,
        remedy=text, remedy_due=None, application=SimpleNamespace(number="2026-000001", bin=text, legal_name=text))),
    lambda text: complaint_xml.build(SimpleNamespace(number="2026-000001"),
                                     {"subject": text, "addressee": text, "demands": text, "arguments": text}),
    lambda text: position_xml.build(SimpleNamespace(number="2026-000001"), text),
], ids=["decision", "complaint-decision", "complaint", "position"])
def test_each_document_builder_leaves_out_what_xml_cannot_carry(build):
    document = build(TYPED).decode("utf-8")
    assert not CONTROLS.search(document) and "Сығанақ 10" in document
    etree.fromstring(document.encode("utf-8"))


def test_the_signed_application_is_compared_with_the_draft_cleaned_the_same_way(app):
    with app.app_context():
        case = db.session.scalar(db.select(Application).filter_by(status="registered"))
        case.legal_name, case.pool_name = "ТОО\x0b «Демо»", "Pool\x01"
        signed = etree.fromstring(application_xml.build(case, now_utc()))
        assert application_xml.differences(signed, case) == []
        db.session.rollback()


def test_the_review_notes_typed_without_a_form_lose_them_too(app, client, auth):
    """The completeness and review steps read their texts straight from the request: cleaned the same way."""
    from portal.review.models import ReviewDecision
    from tests.portal.factories import case_state, complete, registered_case

    case_id = registered_case(app)
    auth.login("clerk")
    post_form(client, f"/staff/cases/{case_id}/state-facts", {}, page=f"/applications/{case_id}")
    assert complete(client, case_id).status_code == 302
    response = post_form(client, f"/staff/cases/{case_id}/review",
                         {"version": str(case_state(app, case_id)[2]), "note": "Проверено\x00\x0b без оснований"},
                         page=f"/staff/cases/{case_id}/review")
    assert response.status_code == 302
    with app.app_context():
        note = db.session.scalar(db.select(ReviewDecision.note).filter_by(application_id=case_id, stage="review"))
    assert note == "Проверено без оснований"
