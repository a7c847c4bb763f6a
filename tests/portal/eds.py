"""The applicant's EDS in the portal tests: signed uploads, log-in with EDS, a signed application."""
from __future__ import annotations

import io

from portal.applications.models import Application
from portal.extensions import db
from portal.signatures.models import Signature
from tests.conftest import NEW_ORGANIZATION, csrf_token, post_form
from tests.portal.factories import form_data, new_application

DEMO_BIN = "210640005550"  # the demo applicant's organisation
OTHER_BIN = "180540007773"  # applicant2's


def upload(client, path: str, data: bytes, page: str | None = None, as_text: bool = False, **fields):
    """POST a signed document as a file (or pasted), with the page's CSRF token."""
    form = {**fields, "csrf_token": csrf_token(client, page or path)}
    if as_text:
        form["signed_text"] = data.decode("utf-8")
    else:
        form["signed_file"] = (io.BytesIO(data), "signed.xml")
    return client.post(path, data=form, content_type="multipart/form-data")


def signed_challenge(client, sign, bin_=NEW_ORGANIZATION["bin"], kind="auth") -> bytes:
    document = client.get("/login/eds/challenge.xml")
    assert document.status_code == 200 and b"loginChallenge" in document.data
    return sign(document.data, bin_, kind)


def eds_login(client, data: bytes, as_text: bool = False):
    return upload(client, "/login/eds", data, as_text=as_text)


def draft(client, auth, username="applicant") -> int:
    auth.login(username)
    application_id = new_application(client)
    assert post_form(client, f"/applications/{application_id}/edit", form_data()).status_code == 302
    return application_id


def application_xml(client, application_id: int) -> bytes:
    response = client.get(f"/applications/{application_id}/application.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    return response.data


def submit_signed(client, application_id: int, data: bytes):
    path = f"/applications/{application_id}/submit"
    return upload(client, path, data, submit="1", confirm_incomplete="y")


def stored(app, application_id: int) -> tuple[str, list[Signature]]:
    with app.app_context():
        application = db.session.get(Application, application_id)
        signatures = list(application.signatures)
        for s in signatures:
            s.document  # noqa: B018  (a deferred column: read it before the row leaves the session)
            db.session.expunge(s)
        return application.status, signatures
