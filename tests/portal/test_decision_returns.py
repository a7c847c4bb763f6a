"""Decisions before they are signed (issue 16 item 4): the preview as issued, and the return to the clerk."""
from __future__ import annotations

import io

import lxml.html
import pytest

from portal.accounts.models import User
from portal.applications.models import Application
from portal.decisions import services as decisions
from portal.decisions.models import Decision, DecisionReturn
from portal.events.models import Event
from portal.extensions import db
from portal.review.services import WrongStage
from tests.conftest import post_form
from tests.portal.factories import case_without_grounds, draft_decision, hearing_held
from tests.portal.officials import sign_decision, sign_decision_in_page

PENDING = "[from the signatory's EDS certificate, on signing]"
COMMENT = "The pool's address differs from the security test act <b>; check it."


def user(username: str) -> User:
    return db.session.scalar(db.select(User).filter_by(username=username))


def returned(client, decision_id: int, comment: str):
    return post_form(client, f"/staff/decisions/{decision_id}/return", {"comment": comment},
                     page=f"/staff/decisions/{decision_id}")


def document_text(page: str) -> str:
    """The text of the decision's document on a page (the article), whitespace made single."""
    article = lxml.html.fromstring(page).xpath('//article[contains(@class, "decision-document")]')
    assert len(article) == 1
    return " ".join(article[0].text_content().split())


# --- the services ----------------------------------------------------------------------------------------

def test_a_return_needs_a_comment_and_moves_only_a_draft_waiting_for_signature(app):
    case_id = case_without_grounds(app)
    with app.app_context():
        case = db.session.get(Application, case_id)
        decision = decisions.draft(case, user("clerk"), None)
        db.session.commit()
        service_due = {d.code: (d.state, d.due_at) for d in case.deadlines}
        for blank in ("", "   ", None):
            with pytest.raises(decisions.InvalidReturn) as exc:
                decisions.return_to_clerk(decision, user("signatory"), blank)
            assert "comment" in exc.value.errors
        with pytest.raises(decisions.InvalidReturn):
            decisions.return_to_clerk(decision, user("signatory"), "x" * 2001)
        assert decision.status == "drafted" and not decision.returns

        decisions.return_to_clerk(decision, user("signatory"), "  Check the address.  ")
        db.session.commit()
        db.session.expire_all()
        decision = db.session.get(Decision, decision.id)
        assert decision.status == "returned" and decision.returns[0].comment == "Check the address."
        assert decisions.open_return(decision).returned_by.username == "signatory"
        # The case stays where it was for the applicant, and every term keeps running as it was.
        assert decision.application.status == "decision_drafted"
        assert {d.code: (d.state, d.due_at) for d in decision.application.deadlines} == service_due
        assert decision not in decisions.awaiting_signature()
        kinds = [e.kind for e in db.session.scalars(db.select(Event).filter_by(application_id=case_id))]
        assert kinds[-1] == "decision.returned"
        # Neither returned again nor signed while it is with the clerk.
        with pytest.raises(WrongStage):
            decisions.return_to_clerk(decision, user("signatory"), "again")
        with pytest.raises(WrongStage):
            decisions.document_to_sign(decision)
        db.session.rollback()


def test_the_clerk_resends_the_same_decision_once_and_it_can_then_be_signed(app):
    case_id = case_without_grounds(app)
    with app.app_context():
        case = db.session.get(Application, case_id)
        decision = decisions.draft(case, user("clerk"), None)
        db.session.flush()
        number = decisions.as_issued(decision).number
        decisions.return_to_clerk(decision, user("signatory"), "Check the address.")
        with pytest.raises(decisions.InvalidReturn):
            decisions.resend(decision, user("clerk"), "y" * 2001)
        decisions.resend(decision, user("clerk"), "Checked: it is the act's address.")
        db.session.commit()
        first = db.session.scalar(db.select(DecisionReturn))
        assert decision.status == "drafted" and first.resent_by.username == "clerk"
        assert first.reply == "Checked: it is the act's address." and decisions.open_return(decision) is None
        assert decision in decisions.awaiting_signature()
        with pytest.raises(WrongStage):  # a second resend finds it with the signatory
            decisions.resend(decision, user("clerk"), "")
        db.session.rollback()
        sign_decision(decision, user("signatory"))
        db.session.commit()
        assert decision.status == "signed" and decision.number == number  # the number never changed
        with pytest.raises(WrongStage):  # a return posted after the signature finds it signed
            decisions.return_to_clerk(decision, user("signatory"), "too late")


# --- the pages -------------------------------------------------------------------------------------------

def test_the_signatory_returns_with_a_comment_the_clerk_sees_it_and_resends(app, client, auth):
    case_id = case_without_grounds(app)
    decision_id = draft_decision(client, auth, case_id)
    auth.login("signatory")
    empty = returned(client, decision_id, "   ")
    page = empty.get_data(as_text=True)
    assert empty.status_code == 422
    # The message next to the field (and in the summary that links to it).
    group = lxml.html.fromstring(page).get_element_by_id("comment-group")
    assert "field-error" in group.get("class")
    assert "Say what the clerk should change." in group.get_element_by_id("comment-error").text_content()
    assert 'href="#comment"' in page
    with app.app_context():
        assert db.session.get(Decision, decision_id).status == "drafted"

    assert returned(client, decision_id, COMMENT).status_code == 302
    again = returned(client, decision_id, COMMENT)  # a double post: refused, nothing added
    assert again.status_code == 409 and "returned to the clerk" in again.get_data(as_text=True)
    assert f"/staff/decisions/{decision_id}" not in client.get("/staff/decisions").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(DecisionReturn.id))) == 1
    auth.logout()

    auth.login("clerk")
    case_page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    notice = lxml.html.fromstring(case_page).get_element_by_id("decision-returned").text_content()
    with app.app_context():
        signatory_name = user("signatory").full_name
    assert COMMENT in notice and signatory_name in notice and "service term keeps running" in notice
    assert "&lt;b&gt;" in case_page  # the comment is escaped
    assert "Final decision returned by the signatory to the clerk" in case_page  # the timeline
    preview = client.get(f"/staff/cases/{case_id}/decision/preview").get_data(as_text=True)
    assert "Send for signature again" in preview and COMMENT in lxml.html.fromstring(preview).text_content()
    resent = post_form(client, f"/staff/cases/{case_id}/decision/resend", {"reply": "Checked with the act."},
                       page=f"/staff/cases/{case_id}/decision/preview")
    assert resent.status_code == 302
    twice = post_form(client, f"/staff/cases/{case_id}/decision/resend", {"reply": ""},
                      page=f"/staff/cases/{case_id}/decision/preview")  # a double post changes nothing
    assert twice.status_code == 302
    assert "waits for the signatory" in client.get(f"/applications/{case_id}").get_data(as_text=True)
    auth.logout()

    auth.login("signatory")
    assert f"/staff/decisions/{decision_id}" in client.get("/staff/decisions").get_data(as_text=True)
    sign_page = client.get(f"/staff/decisions/{decision_id}").get_data(as_text=True)
    assert "Checked with the act." in sign_page and "Prepared again and sent for signature" in sign_page
    with app.app_context():
        assert sign_decision_in_page(client, decision_id).status_code == 302
        assert db.session.get(Application, case_id).status == "certificate_issued"
        assert db.session.scalar(db.select(DecisionReturn)).reply == "Checked with the act."


def test_the_applicant_sees_nothing_of_a_return(app, client, auth):
    case_id = case_without_grounds(app)
    decision_id = draft_decision(client, auth, case_id)
    auth.login("applicant")
    before = client.get(f"/applications/{case_id}").get_data(as_text=True)
    auth.logout()
    auth.login("signatory")
    assert returned(client, decision_id, COMMENT).status_code == 302
    auth.logout()
    auth.login("applicant")
    after = client.get(f"/applications/{case_id}").get_data(as_text=True)
    for hidden in ("address differs", "returned", "Returned", "decision.returned"):
        assert hidden not in after
    assert "Decision drafted: awaiting signature" in after
    # The same events as before the return (the timeline): nothing new for the applicant.
    assert after.count('<li>') == before.count('<li>')
    assert client.get(f"/staff/cases/{case_id}/decision/preview").status_code == 403
    assert client.get(f"/applications/{case_id}/decision").status_code == 404


def test_only_the_signatory_returns_and_only_the_clerk_resends(app, client, auth):
    case_id = case_without_grounds(app)
    decision_id = draft_decision(client, auth, case_id)
    auth.login("clerk")
    assert returned(client, decision_id, COMMENT).status_code == 403
    auth.logout()
    auth.login("supervisor")
    assert returned(client, decision_id, COMMENT).status_code == 403
    auth.logout()
    auth.login("signatory")
    assert returned(client, decision_id, COMMENT).status_code == 302
    resend = post_form(client, f"/staff/cases/{case_id}/decision/resend", {"reply": ""},
                       page=f"/staff/decisions/{decision_id}")
    assert resend.status_code == 403
    with app.app_context():
        assert db.session.get(Decision, decision_id).status == "returned"
    # Returned, it can be neither signed nor fetched for signing.
    assert client.get(f"/staff/decisions/{decision_id}/document-to-sign.xml").status_code == 409


# --- the preview is the issued document ------------------------------------------------------------------

def issued_equivalent(preview: str, signer: dict, kind: str) -> str:
    """The preview's text with the signer's lines as the certificate that signs it fills them in."""
    if kind == "certificate":
        return preview.replace(PENDING, signer["name"] + (", " + signer["position"] if signer.get("position") else ""))
    return preview.replace(PENDING, signer.get("position") or "—", 1).replace(PENDING, signer["name"], 1)


def preview_then_issued(app, client, auth, case_id: int):
    decision_id = draft_decision(client, auth, case_id)
    auth.login("clerk")
    clerk_page = client.get(f"/staff/cases/{case_id}/decision/preview")
    assert clerk_page.status_code == 200
    # The decision's own page, while unsigned, is the preview (never an unmarked draft).
    unsigned = client.get(f"/applications/{case_id}/decision")
    assert unsigned.status_code == 302 and unsigned.headers["Location"].endswith("/decision/preview")
    auth.logout()
    auth.login("signatory")
    sign_page = client.get(f"/staff/decisions/{decision_id}").get_data(as_text=True)
    with app.app_context():
        assert sign_decision_in_page(client, decision_id).status_code == 302
        decision = db.session.get(Decision, decision_id)
        signer, kind = decision.signer, decision.kind
    auth.logout()
    auth.login("applicant")
    issued_page = client.get(f"/applications/{case_id}/decision").get_data(as_text=True)
    return clerk_page.get_data(as_text=True), sign_page, issued_page, signer, kind


@pytest.mark.parametrize("kind", ["certificate", "refusal"])
def test_the_preview_reads_exactly_as_the_issued_document(app, client, auth, kind):
    if kind == "certificate":
        case_id = case_without_grounds(app)
    else:
        case_id = hearing_held(app, client, auth)
    clerk_page, sign_page, issued_page, signer, decided = preview_then_issued(app, client, auth, case_id)
    assert decided == kind
    for page in (clerk_page, sign_page):
        assert "Preview — not signed, not issued" in page and "eds-stamp" not in page
        assert PENDING in document_text(page)
        assert 'class="decision-document is-preview"' in page
    issued = document_text(issued_page)
    # The issued page adds the EDS stamp (outside the document) and the line naming whose EDS signed it.
    signed_line = f"Signed with the EDS of {signer['name']}."
    assert issued.endswith(signed_line) and "eds-stamp" in issued_page
    issued_without_stamp = issued[: -len(signed_line)].rstrip()
    assert issued_equivalent(document_text(clerk_page), signer, kind) == issued_without_stamp
    assert issued_equivalent(document_text(sign_page), signer, kind) == issued_without_stamp
    assert "Preview" not in issued_page and PENDING not in issued_page


def test_the_preview_pdf_is_the_issued_printout_marked_as_a_draft(app, client, auth):
    from pypdf import PdfReader

    case_id = case_without_grounds(app)
    decision_id = draft_decision(client, auth, case_id)
    auth.login("clerk")
    response = client.get(f"/staff/cases/{case_id}/decision/preview.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Cache-Control"] == "no-store"
    text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).split())
    with app.app_context():
        number = decisions.as_issued(db.session.get(Decision, decision_id)).number
    packed = text.replace(" ", "")  # the PDF's lines may break a number or a word where they wrap
    assert number in packed and "Accreditation certificate" in text
    assert "DRAFT—NOTSIGNED" in packed and "no legal force" in text
    assert "Signed with an electronic digital signature" not in text
    auth.logout()
    auth.login("applicant")
    assert client.get(f"/staff/cases/{case_id}/decision/preview.pdf").status_code == 403
