"""The public register of accredited pools, and re-issuance replacing a certificate (п.12)."""
from __future__ import annotations


from portal.decisions.models import Decision
from portal.extensions import db
from tests.portal.factories import case_without_grounds, draft_and_sign, issued_certificate, reissue


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
