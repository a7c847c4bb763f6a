"""What kk and ru readers see (issue 16 item 8): every word through the catalog, dates as dd.mm.yyyy, no paths.

The words are checked with a pseudo-catalog: every text the portal translates is shown as ⟦text⟧, so whatever is
left outside the brackets reached the page without a translation (a code, a fixture's value, a unit). That holds
now and after the lead translates the new strings, in any language. Dates written by the state systems (ISO
strings in JSON) must read dd.mm.yyyy like every other date; and no page shows a folder of the server.
"""
from __future__ import annotations

import os
import re
from io import BytesIO

import pytest

from portal.core import i18n
from tests.browser.helpers import PDF
from tests.conftest import Auth, post_form
from tests.portal.support import PseudoCatalog
from tests.support.html import field_value, page_text

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def visible(page: str) -> str:
    """The text a reader sees: not the head, the scripts and styles, nor <pre> (documents shown as they are)."""
    return page_text(page, leave_out=("head", "script", "style", "pre"))


def untranslated(page: str) -> str:
    """The visible text outside every ⟦…⟧."""
    return re.sub(r"⟦[^⟧]*⟧", " ", visible(page))


def client_for(app, lang: str, username: str):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
    Auth(client).login(username)
    return client


def registered_case_with_a_document(app) -> int:
    from tests.browser.helpers import demo_case_id, make_refusable

    case_id = demo_case_id(app)
    make_refusable(app, case_id)  # its documents attached (each file's size in KB on the pages)
    return case_id


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_the_state_systems_answer_and_the_document_sizes_are_read_in_the_page_language(app, monkeypatch, lang):
    case_id = registered_case_with_a_document(app)
    clerk = client_for(app, lang, "clerk")
    assert post_form(clerk, f"/staff/cases/{case_id}/state-facts", {}, page=f"/applications/{case_id}"
                     ).status_code == 302
    real = clerk.get(f"/applications/{case_id}").get_data(as_text=True)
    assert not ISO_DATE.search(visible(real)), ISO_DATE.findall(visible(real))
    assert "15.06.2021" in real and "30.09.2026" in real  # the fixture's registration and test-act dates

    monkeypatch.setattr(i18n, "current_translations", lambda: PseudoCatalog())
    app.extensions["page_cache"].clear()  # other code, as after a deploy: a new process starts with no pages kept
    case = clerk.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "⟦development fixtures⟧" in case and "⟦active⟧" in case
    left = untranslated(case)
    for word in ("development fixtures", "(active)", "fixtures"):
        assert word not in left, word

    applicant = client_for(app, lang, "applicant")
    from portal.applications.models import Application
    from portal.extensions import db

    with app.app_context():
        draft = db.session.scalar(db.select(Application.id).filter_by(status="draft"))
    documents = f"/applications/{draft}/documents"
    code = field_value(applicant.get(documents).get_data(as_text=True), "code")
    assert post_form(applicant, f"{documents}?code={code}", {"code": code, "file": (BytesIO(PDF), "act.pdf")},
                     page=documents, content_type="multipart/form-data").status_code in (200, 302, 303)
    page = applicant.get(documents).get_data(as_text=True)
    assert "act.pdf" in page
    assert re.search(r"⟦[\d.,]+ KB⟧", visible(page)), "the size of the uploaded file is shown through the catalog"
    assert "KB" not in untranslated(page)


def test_no_page_shows_a_folder_of_the_server(app):
    from portal.applications.models import Application
    from portal.extensions import db

    folders = {os.path.dirname(os.path.normpath(app.config["TRUST_STORE"])), app.instance_path,
               os.path.normpath(app.config["UPLOADS_DIR"])}
    with app.app_context():
        draft = db.session.scalar(db.select(Application.id).filter_by(status="draft"))
    applicant = client_for(app, "kk", "applicant")
    pages = {path: applicant.get(path).get_data(as_text=True)
             for path in (f"/applications/{draft}/submit", f"/applications/{draft}/documents", "/cabinet")}
    pages["/login/eds"] = app.test_client().get("/login/eds").get_data(as_text=True)
    assert "people/&lt;username&gt;/auth.key" in pages["/login/eds"]  # the development hint is still there
    for path, page in pages.items():
        for folder in folders:
            assert folder not in page, f"{path} shows the server's folder {folder}"
