"""The case page's terms day by day, loaded on demand (issue 18; issue 16 item 5).

The case page draws no band of days: each term is a closed <details> whose band comes from its own route — an
htmx fragment, or a whole page without JavaScript — checked as the case page is (another organisation's applicant
gets 404, a term of another case too).
"""
from __future__ import annotations

from portal.applications.models import Application
from portal.deadlines.models import Deadline
from portal.extensions import db
from tests.support.html import Page


def registered_case(app) -> tuple[int, list[int]]:
    with app.app_context():
        case_id = db.session.scalar(db.select(Application.id).filter_by(status="registered"))
        terms = list(db.session.scalars(db.select(Deadline.id).filter_by(application_id=case_id, complaint_id=None)
                                        .order_by(Deadline.id)))
        return case_id, terms


def days_url(case_id: int, deadline_id: int) -> str:
    return f"/applications/{case_id}/deadlines/{deadline_id}/days"


def test_the_case_page_draws_no_band_of_days_only_a_disclosure_per_term(app, client, auth):
    case_id, terms = registered_case(app)
    assert terms
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert 'id="day-timeline"' in page
    assert '<ol class="days"' not in page and 'class="day counted' not in page  # no calendar until asked for
    assert page.count('<details class="term-days"') == len(terms)
    for deadline_id in terms:
        url = days_url(case_id, deadline_id)
        assert f'hx-get="{url}"' in page and f'<a href="{url}">' in page  # htmx on opening; a link without JS


def test_the_term_route_answers_htmx_with_the_band_and_a_browser_with_a_page(app, client, auth):
    case_id, terms = registered_case(app)
    auth.login("applicant")
    with app.app_context():
        service = db.session.scalar(db.select(Deadline).filter_by(application_id=case_id, code="service"))
        service_id, due, term = service.id, service.due_date, service.term

    fragment = client.get(days_url(case_id, service_id), headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "HX-Request" in fragment.headers.get("Vary", "")
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "<main" not in body
    assert f'aria-labelledby="term-{service_id}"' in body
    assert len(Page(body).find_all("li.day.counted")) == term
    assert due.strftime("%d.%m.%Y") in body and "working day 1" in body

    page = client.get(days_url(case_id, service_id))
    assert page.status_code == 200 and "HX-Request" in page.headers.get("Vary", "")
    html = page.get_data(as_text=True)
    assert "<main" in html and f'id="term-{service_id}"' in html  # the list's name is on the page
    assert len(Page(html).find_all("li.day.counted")) == term
    assert f'href="/applications/{case_id}#day-timeline"' in html


def test_only_those_who_may_see_the_case_see_its_terms(app, client, auth):
    case_id, terms = registered_case(app)
    anonymous = client.get(days_url(case_id, terms[0]))
    assert anonymous.status_code in (302, 401) and "/login" in anonymous.headers.get("Location", "/login")
    auth.login("applicant2")  # another organisation's applicant
    assert client.get(days_url(case_id, terms[0])).status_code == 404
    assert client.get(days_url(case_id, terms[0]), headers={"HX-Request": "true"}).status_code == 404
    auth.logout()
    auth.login("clerk")
    assert client.get(days_url(case_id, terms[0])).status_code == 200
    with app.app_context():
        other = db.session.scalar(db.select(Deadline.id).where(Deadline.application_id != case_id))
    if other is not None:  # a term of another case under this case's id
        assert client.get(days_url(case_id, other)).status_code == 404
    assert client.get(days_url(case_id, 10**9)).status_code == 404
