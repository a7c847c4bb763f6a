"""Issue 15 item 3: a file whose upload was still under way when the application was submitted is not attached."""
from __future__ import annotations

from sqlalchemy import update

from portal.applications.models import Application
from portal.extensions import db
from tests.portal.factories import PDF, new_application, required_codes, upload


def test_an_upload_that_ends_after_the_submission_is_refused_with_a_clear_message(app, client, auth, monkeypatch):
    from portal.applications import views

    auth.login("applicant")
    application_id = new_application(client)
    code = required_codes(app, application_id)[0]
    real_validate = views.DocumentUploadForm.validate

    def submitted_while_the_body_was_read(form, *args, **kwargs):
        valid = real_validate(form, *args, **kwargs)
        # This request read the draft before its body; the submission commits now, from another connection.
        session = db.session()
        session.expire_on_commit = False  # the request keeps what it read, as a slow upload does
        try:
            session.commit()  # (ends only its reading: SQLite would otherwise block the other connection)
        finally:
            session.expire_on_commit = True
        with db.engine.begin() as other:
            other.execute(update(Application).where(Application.id == application_id)
                          .values(status="registered", version=Application.version + 1))
        return valid

    monkeypatch.setattr(views.DocumentUploadForm, "validate", submitted_while_the_body_was_read)
    response = upload(client, application_id, code, PDF, "late.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/applications/{application_id}")
    with client.session_transaction() as browser:
        assert ("error", "This application has been submitted and can no longer be changed. The file was not "
                         "attached.") in browser["_flashes"]
    with app.app_context():
        assert db.session.get(Application, application_id).documents == []
