"""A PDF's declared pages cannot make the server draw huge images: absurd ones are refused, the rest bounded."""
from __future__ import annotations

import os
import shutil

import pytest

from portal.applications.models import Application
from portal.documents import services as documents
from portal.extensions import db
from tests.pdfs import A4, pdf_of, png_size
from tests.portal.factories import new_application, required_codes, upload

A0 = (2384, 3370)
PDF_MAXIMUM = (14400, 14400)  # 5.08 m: the largest page PDF allows


def _documents_of(app, application_id):
    with app.app_context():
        return [(d.id, d.storage_key) for d in db.session.get(Application, application_id).documents]


@pytest.mark.parametrize("pages,message", [
    ([PDF_MAXIMUM] * 10, "Page 1 of the PDF is larger than 5 metres on a side."),
    ([A4, A4, (14500, 300)], "Page 3 of the PDF is larger than 5 metres on a side."),
    ([A4] * (documents.MAX_PDF_PAGES + 1), "The PDF has more than 1000 pages."),
])
def test_a_pdf_with_absurd_pages_is_refused_next_to_the_item(app, client, auth, pages, message):
    content = pdf_of(*pages)
    assert len(content) < app.config["MAX_UPLOAD_BYTES"]
    auth.login("applicant")
    application_id = new_application(client)
    code = required_codes(app, application_id)[0]
    for headers in ({}, {"HX-Request": "true"}):
        response = upload(client, application_id, code, content, "plan.pdf", headers=headers)
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert message in page and f'id="file-{code}-error"' in page
    assert _documents_of(app, application_id) == []
    assert not [name for _dirs, _subdirs, names in os.walk(app.config["UPLOADS_DIR"]) for name in names]


def test_large_paper_and_a_thousand_pages_are_accepted(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    first, second = required_codes(app, application_id)[:2]
    assert upload(client, application_id, first, pdf_of(A0, (14000, 300)), "plan.pdf").status_code == 302
    thousand = pdf_of(*[A4] * documents.MAX_PDF_PAGES)
    assert upload(client, application_id, second, thousand, "charter.pdf").status_code == 302
    assert len(_documents_of(app, application_id)) == 2


def _previews(client, application_id, document_id, count):
    sizes = []
    for page in range(count):
        response = client.get(f"/applications/{application_id}/documents/{document_id}/preview/{page}")
        assert response.status_code == 200 and response.headers["Content-Type"] == "image/png"
        sizes.append(png_size(response.data))
    return sizes


def test_a_page_larger_than_paper_is_previewed_within_bounds_and_a4_as_before(app, client, auth):
    auth.login("applicant")
    application_id = new_application(client)
    code = required_codes(app, application_id)[0]
    assert upload(client, application_id, code, pdf_of(A4, A0, (14000, 300)), "plan.pdf").status_code == 302
    [(document_id, _key)] = _documents_of(app, application_id)
    a4, a0, banner = _previews(client, application_id, document_id, 3)
    assert a4 == (833, 1179)  # PREVIEW_SCALE 1.4, as before the limit
    for width, height in (a0, banner):
        assert max(width, height) <= documents.MAX_PREVIEW_SIDE and width * height <= 4_000_000
    assert a0[1] == documents.MAX_PREVIEW_SIDE and abs(a0[0] / a0[1] - A0[0] / A0[1]) < 0.01
    assert banner[0] == documents.MAX_PREVIEW_SIDE and banner[1] >= 40


def test_a_stored_pdf_with_the_largest_pages_is_still_previewed_within_bounds(app, client, auth):
    """A file uploaded before the check (its bytes put in place of an accepted one) costs no more to show."""
    auth.login("applicant")
    application_id = new_application(client)
    code = required_codes(app, application_id)[0]
    assert upload(client, application_id, code, pdf_of(A4), "plan.pdf").status_code == 302
    [(document_id, key)] = _documents_of(app, application_id)
    with open(os.path.join(app.config["UPLOADS_DIR"], key[:2], key), "wb") as stored:
        stored.write(pdf_of(*[PDF_MAXIMUM] * 10))
    shutil.rmtree(os.path.join(app.config["UPLOADS_DIR"], "previews"))  # the first page drawn at upload
    documents._pdf_pages.cache_clear()
    sizes = _previews(client, application_id, document_id, documents.MAX_PREVIEW_PAGES)
    assert set(sizes) == {(documents.MAX_PREVIEW_SIDE, documents.MAX_PREVIEW_SIDE)}


@pytest.mark.parametrize("width,height", [A4, (0.5, 0.5), (14400, 1), (1e7, 1e7), (2857, 2857), (2858, 2858)])
def test_the_preview_scale_keeps_every_side_within_the_limit(width, height):
    import math

    scale = documents.preview_scale(width, height)
    assert 0 < scale <= documents.PREVIEW_SCALE
    assert max(math.ceil(width * scale), math.ceil(height * scale)) <= documents.MAX_PREVIEW_SIDE
