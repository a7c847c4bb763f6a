"""Journey (a), in Kazakh: the demo applicant files an accreditation application with documents.

Once with JavaScript (htmx: the inline BIN check, uploads that update the checklist in place) and
checked with axe-core on every page and state; once with JavaScript disabled (plain form posts and
full page loads must do the same job).
"""
from __future__ import annotations

import re


from tests.browser.journeys import file_application


def test_a_files_an_accreditation_application_in_kazakh(page, app, axe):
    number = file_application(page, app, js=True, axe=axe)
    assert re.fullmatch(r"\d{4}-\d{6}", number)


def test_a_the_same_journey_works_without_javascript(js_disabled_page, app):
    page = js_disabled_page
    htmx_requests, documents = [], []
    page.on("request", lambda r: htmx_requests.append(r.url) if "hx-request" in r.headers else None)
    page.on("framenavigated", lambda f: documents.append(f.url) if f == page.main_frame else None)
    file_application(page, app, js=False)
    # No script ran: every step was a plain form post answered by a whole page.
    assert htmx_requests == []
    assert sum("/documents" in url for url in documents) >= 3, documents  # one page load per upload
