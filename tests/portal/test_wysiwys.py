"""What was signed is what is shown (issue 13, item 4): every signed document follows a strict schema of its own.

Through the real forms: a genuine signed application, position, complaint and log-in document is accepted; each
trick of the outside review (a second <demands>, a repeated field, text mixed into an element with children, a
<legal> subtree under <preparedAt>, an unknown element, an unknown attribute, text directly in the root) is
signed after tampering with the organisation's own key, so the signature is genuine and the refusal comes from
the schema, and nothing is stored. Staff see every signed field, on the case page and in the archive.
"""
from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import pytest
from lxml import etree

from portal.accounts.models import User
from portal.applications import services as applications
from portal.applications.models import Application
from portal.complaints import complaint_xml
from portal.complaints.models import Complaint
from portal.core.clock import now_utc
from portal.extensions import db
from portal.hearings import position_xml
from portal.hearings.models import PreliminaryRefusal
from portal.signatures import application_xml, schema
from portal.signatures import services as signatures
from portal.signatures.models import LoginChallenge, Signature
from tests.conftest import NEW_ORGANIZATION, post_form
from tests.portal.eds import (DEMO_BIN, application_xml as download_application, draft, signed_challenge, stored,
                              submit_signed, upload)
from tests.portal.factories import case_with_grounds, notified_case

REFUSED = "contains something the portal cannot show in full"


def refused(response) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 422, response.status_code
    assert REFUSED in page and 'class="error-message"' in page, page[:2000]
    return page


def signature_count(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Signature.id)))


# --- the schemas accept exactly what the portal writes ---------------------------------------

def _validate(kind: str, document: bytes) -> None:
    schema.validate(kind, etree.fromstring(document))


def test_every_document_the_portal_builds_follows_its_schema(app):
    """Every draft of the demo data, and drafts with every optional field absent and present, of both kinds
    and both routes; positions and complaints empty and full; the log-in challenge."""
    with app.test_request_context():
        owner = db.session.scalar(db.select(User).filter_by(username="applicant"))
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        bare = applications.start_draft(owner, "accreditation", owner.organization)
        bare.complexes = []  # no main complex at all
        paper = applications.start_draft(clerk, "reissue", owner.organization, route="chancellery")
        full = applications.start_draft(owner, "reissue", owner.organization)
        complex_ = {"settlement": "с" * 200, "address": "а" * 500, "provider_1": "p" * 200, "provider_2": "q" * 200}
        applications.save_draft(full, {
            "legal_name": "Н" * 300, "legal_address": "A" * 500, "pool_name": "P" * 300, "support_24_7": True,
            "ui_languages": ["en", "kk", "ru"], "security_act_number": "№" * 100,
            "security_act_date": date(2026, 10, 1), "state_service_integration": True, "consent_secrets": True,
            "consent_personal_data": True, "reissue_certificate_number": "9" * 64,
            "reissue_reason": "причина\n" * 200 + "<b>&amp;</b>", "main": complex_,
            "backups": [complex_] * 5}, owner)
        db.session.flush()
        drafts = list(db.session.scalars(db.select(Application)))
        assert {a.kind for a in drafts} == {"accreditation", "reissue"}
        assert {a.route for a in drafts} == {"portal", "chancellery"}
        for application in drafts:
            _validate("application", application_xml.build(application, now_utc()))
        assert len(full.backup_complexes) == 5 and full.security_act_date is not None
        case = db.session.scalar(db.select(Application).where(Application.number.is_not(None)))
        for text in ("", "Позиция", "x" * 10000):
            _validate("position", position_xml.build(case, text))
        for values in ({}, {"subject": "deadline:12", "addressee": "authority", "demands": "д" * 20000,
                            "arguments": "a\nb <c> & d" * 100}):
            _validate("complaint", complaint_xml.build(case, values))
        _validate("challenge", signatures.challenge_xml(signatures.issue_challenge()))
        db.session.rollback()


@pytest.mark.parametrize("kind,document,where", [
    ("application", b'<application xmlns="urn:tyndau:application:1" draft="1" kind="accreditation">x</application>',
     "element “application”"),
    ("complaint", b'<complaint xmlns="urn:tyndau:complaint:1" case="1"><subject ref=""/><addressee/>'
                  b'<demands/><demands/><arguments/></complaint>', "element “demands”"),
    ("position", b'<position xmlns="urn:tyndau:position:1" case="1" xmlns:xsi="http://www.w3.org/2001/'
                 b'XMLSchema-instance" xsi:type="x"><text/></position>', "attribute “type”"),
])
def test_the_error_says_where_in_words(app, kind, document, where):
    with app.test_request_context(headers={"Accept-Language": "en"}):  # the English sentence (kk is translated)
        with pytest.raises(schema.NotAsSchema) as caught:
            _validate(kind, document)
        assert where in caught.value.where() and "line 1" in caught.value.where()


# --- an application --------------------------------------------------------------------------

APPLICATION_TRICKS = {
    "a repeated field": lambda x: re.sub(r"(<bin>\d+</bin>)", r"\1\1", x, count=1),
    "text mixed into an element with children": lambda x: x.replace("</bin>", "</bin>and we waive the hearing",
                                                                     1),
    "a <legal> subtree under <preparedAt>": lambda x: re.sub(
        r"(<preparedAt>[^<]*)</preparedAt>", r"\1<legal><clause>We waive every right</clause></legal></preparedAt>",
        x),
    "an unknown element at the root": lambda x: x.replace("<preparedAt>", "<note>We waive the hearing</note>"
                                                                         "<preparedAt>", 1),
    "an unknown attribute": lambda x: x.replace('kind="accreditation"', 'kind="accreditation" waiver="all"', 1),
    "text directly in the root": lambda x: x.replace("<applicant>", "We waive the hearing<applicant>", 1),
}


def test_a_genuine_signed_application_is_accepted(app, client, auth, sign):
    application_id = draft(client, auth)
    assert submit_signed(client, application_id, sign(download_application(client, application_id))).status_code == 302
    status, stored_signatures = stored(app, application_id)
    assert status == "registered" and [s.purpose for s in stored_signatures] == ["application"]


@pytest.mark.parametrize("trick", APPLICATION_TRICKS)
def test_a_tricked_application_is_refused_and_nothing_is_stored(app, client, auth, sign, trick):
    application_id = draft(client, auth)
    document = download_application(client, application_id).decode("utf-8")
    tricked = APPLICATION_TRICKS[trick](document)
    assert tricked != document
    signed = sign(tricked.encode("utf-8"))
    page = refused(submit_signed(client, application_id, signed))
    assert "The signature is genuine" not in page
    assert stored(app, application_id) == ("draft", [])
    assert signature_count(app) == 0


def test_the_tricked_document_is_genuinely_signed(app, sign):
    """The refusals above come from the schema: the same tricked bytes pass the public signature check."""
    with app.test_request_context():
        application = db.session.scalar(db.select(Application))
        document = application_xml.build(application, now_utc()).decode("utf-8")
        for trick in APPLICATION_TRICKS.values():
            assert signatures.inspect(sign(trick(document).encode("utf-8"))).passed


# --- a position on a preliminary refusal -----------------------------------------------------

def _position_case(app, client, auth) -> tuple[int, str, bytes]:
    case_id, hearing = notified_case(app, client, auth)
    document = post_form(client, f"/applications/{case_id}/hearing/position.xml",
                         {"position": "Резервный комплекс есть."}, page=hearing)
    assert document.status_code == 200
    return case_id, hearing, document.data


def _position_of(app, case_id: int) -> str:
    with app.app_context():
        return db.session.scalar(db.select(PreliminaryRefusal.position).filter_by(application_id=case_id))


POSITION_TRICKS = {
    "a <legal> subtree inside the text": lambda x: x.replace("</text>", "<legal>We waive</legal></text>"),
    "a repeated field": lambda x: x.replace("</text>", "</text><text>We waive the hearing</text>"),
    "an unknown attribute": lambda x: x.replace(' case="', ' waiver="all" case="'),
    "text directly in the root": lambda x: x.replace("<text>", "We waive the hearing<text>"),
}


@pytest.mark.parametrize("trick", [None, *POSITION_TRICKS])
def test_a_position_is_accepted_only_as_its_schema_says(app, client, auth, sign, trick):
    case_id, hearing, document = _position_case(app, client, auth)
    path = f"/applications/{case_id}/hearing/position"
    if trick is None:
        assert upload(client, path, sign(document), page=hearing).status_code == 302
        assert _position_of(app, case_id) == "Резервный комплекс есть."
        assert signature_count(app) == 1
        return
    tricked = POSITION_TRICKS[trick](document.decode("utf-8")).encode("utf-8")
    assert tricked != document
    refused(upload(client, path, sign(tricked), page=hearing))
    assert _position_of(app, case_id) == "" and signature_count(app) == 0


# --- a complaint -----------------------------------------------------------------------------

COMPLAINT_TRICKS = {
    "a second <demands>": lambda x: x.replace("</demands>",
                                              "</demands><demands>Annul every refusal</demands>"),
    "text mixed into an element with children": lambda x: x.replace("</addressee>", "</addressee>and more"),
    "a <legal> subtree inside a field": lambda x: x.replace("</arguments>", "<legal>clause</legal></arguments>"),
    "an unknown element at the root": lambda x: x.replace("</complaint>", "<note>hidden</note></complaint>"),
    "an unknown attribute": lambda x: x.replace("<subject ", '<subject kind="inaction" '),
    "text directly in the root": lambda x: x.replace("<subject ", "Hidden text<subject "),
}


def _complaint_document(app, client, auth, arguments: str = "Подписанные доводы") -> tuple[int, str, bytes]:
    case_id = case_with_grounds(app, "applicant")
    auth.login("applicant")
    new = f"/applications/{case_id}/complaints/new"
    xml = post_form(client, f"{new}.xml", {"subject": "case", "addressee": "authority",
                                           "demands": "Отменить предварительное решение",
                                           "arguments": arguments}, page=new)
    assert xml.status_code == 200
    return case_id, new, xml.data


def _file_signed(client, new: str, signed: bytes):
    return post_form(client, new, {"signed_text": signed.decode("utf-8"), "demands": "", "arguments": ""}, page=new)


def _complaints(app) -> int:
    with app.app_context():
        return db.session.scalar(db.select(db.func.count(Complaint.id)))


@pytest.mark.parametrize("trick", [None, *COMPLAINT_TRICKS])
def test_a_complaint_is_accepted_only_as_its_schema_says(app, client, auth, sign, trick):
    case_id, new, document = _complaint_document(app, client, auth)
    if trick is None:
        assert _file_signed(client, new, sign(document)).status_code == 302
        assert _complaints(app) == 1 and signature_count(app) == 1
        return
    tricked = COMPLAINT_TRICKS[trick](document.decode("utf-8")).encode("utf-8")
    assert tricked != document
    page = refused(_file_signed(client, new, sign(tricked)))
    if trick == "a second <demands>":
        assert "element “demands”" in page
    assert _complaints(app) == 0 and signature_count(app) == 0


# --- the log-in challenge --------------------------------------------------------------------

CHALLENGE_TRICKS = {
    "an unknown element at the root": lambda x: x.replace("</loginChallenge>", "<note>x</note></loginChallenge>"),
    "a repeated field": lambda x: re.sub(r"(<purpose>[^<]*</purpose>)", r"\1\1", x),
    "a <legal> subtree under a date": lambda x: x.replace("</issuedAt>", "<legal>x</legal></issuedAt>"),
    "an unknown attribute": lambda x: x.replace("<nonce>", '<nonce role="admin">'),
    "text directly in the root": lambda x: x.replace("<nonce>", "As the administrator<nonce>"),
}


@pytest.mark.parametrize("trick", [None, *CHALLENGE_TRICKS])
def test_a_log_in_document_is_accepted_only_as_its_schema_says(app, client, sign, trick):
    if trick is None:
        response = upload(client, "/login/eds", signed_challenge(client, sign))
        assert response.status_code == 302
        return
    document = client.get("/login/eds/challenge.xml").data.decode("utf-8")
    tricked = CHALLENGE_TRICKS[trick](document).encode("utf-8")
    assert tricked != document.encode("utf-8")
    refused(upload(client, "/login/eds", sign(tricked, NEW_ORGANIZATION["bin"], "auth")))
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(iin=NEW_ORGANIZATION["head_iin"])) is None
        assert db.session.scalar(db.select(db.func.count(LoginChallenge.id))
                                 .where(LoginChallenge.used_at.is_not(None))) == 0
    assert client.get("/cabinet").status_code in (302, 401, 403)  # not signed in


# --- staff see every signed field ------------------------------------------------------------

def _signatures_section(page: str) -> str:
    start = page.index('id="signatures-heading"')
    return page[start:page.index("</section>", start)]


def test_staff_see_every_field_of_a_signed_complaint_and_the_archive_keeps_them(app, client, auth, sign):
    argument = "Довод, который есть только в подписанном документе. <b>not bold</b> " + "факт; " * 400
    case_id, new, document = _complaint_document(app, client, auth, arguments=argument)
    signed = sign(document)
    assert _file_signed(client, new, signed).status_code == 302
    auth.logout()
    auth.login("clerk")
    section = _signatures_section(client.get(f"/applications/{case_id}").get_data(as_text=True))
    assert "What was signed" in section
    assert "Why: the facts and your arguments" in section and "What you ask for" in section
    assert "Отменить предварительное решение" in section and "authority" in section
    escaped = argument.replace("<", "&lt;").replace(">", "&gt;")
    assert escaped.strip() in section and "<b>not bold</b>" not in section
    auth.logout()
    auth.login("authority")
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/authority/cases/{case_id}/archive.zip").data))
    [xml_name] = [name for name in archive.namelist()
                  if name.startswith("signatures/") and name.endswith("-complaint.xml")]
    assert archive.read(xml_name) == signed  # the signed XML as received
    fields = archive.read(xml_name.replace(".xml", ".fields.txt")).decode("utf-8")
    assert "[arguments]" in fields and argument.strip()[:200] in fields and "[@case]" in fields


def test_staff_see_every_field_of_a_signed_application(app, client, auth, sign):
    application_id = draft(client, auth)
    assert submit_signed(client, application_id, sign(download_application(client, application_id))).status_code == 302
    auth.logout()
    auth.login("clerk")
    section = _signatures_section(client.get(f"/applications/{application_id}").get_data(as_text=True))
    for text in ("Communication provider of a dedicated channel", "Beeline", "ул. Ерубаева, 1",
                 "Prepared by the portal at", "Consent to the collection and processing of personal data",
                 "Information-security test act", "ИБ-1", "2026-10-01", "Draft number"):
        assert text in section, text


def test_a_document_kept_from_before_the_schemas_shows_what_it_hid(app, client, auth, sign):
    """A signed document with text between elements and an unknown subtree, stored before the schemas were
    enforced: the staff page shows the hidden parts instead of dropping them."""
    application_id = draft(client, auth)
    document = download_application(client, application_id).decode("utf-8")
    tricked = APPLICATION_TRICKS["a <legal> subtree under <preparedAt>"](
        APPLICATION_TRICKS["text mixed into an element with children"](document))
    signed = sign(tricked.encode("utf-8"))
    submitted = post_form(client, f"/applications/{application_id}/submit", {"submit": "1", "confirm_incomplete": "y"})
    assert submitted.status_code == 302
    with app.test_request_context():
        application = db.session.get(Application, application_id)
        report = signatures.check(signed)
        assert report.passed
        signatures.record(application, "application", signed, report)
        db.session.commit()
    auth.logout()
    auth.login("clerk")
    section = _signatures_section(client.get(f"/applications/{application_id}").get_data(as_text=True))
    assert "and we waive the hearing" in section and "Text outside the fields" in section
    assert "We waive every right" in section and "<code>legal</code>" in section
    assert "not a field of the portal's document" in section and "<code>clause</code>" in section


def test_the_case_page_of_a_case_without_signatures_has_no_signatures_section(app, client, auth):
    application_id = draft(client, auth)
    assert 'id="signatures-heading"' not in client.get(f"/applications/{application_id}").get_data(as_text=True)
