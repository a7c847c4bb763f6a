"""Registration (п.6, п.7) through the forms: the day of registration and the result's due date."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from portal.applications.models import Application
from portal.core.clock import ALMATY
from portal.extensions import db
from tests.conftest import post_form
from tests.portal.factories import form_data, new_application


def submit_at(app, client, auth, clock, moment: datetime, kind="accreditation") -> Application:
    extra = {}
    if kind == "reissue":  # only the organisation's own signed certificate can be re-issued
        from tests.portal.factories import issued_certificate

        extra = {"reissue_certificate_number": issued_certificate(app, client, auth).number}
    clock.set(moment)
    auth.login("applicant")
    application_id = new_application(client, kind)
    post_form(client, f"/applications/{application_id}/edit", {**form_data(kind=kind, **extra), "next": "1"})
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1", "confirm_incomplete": "y"})
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        application.deadline_dates = {d.code: d.due_date for d in application.deadlines}
        db.session.expunge(application)
        return application


@pytest.mark.parametrize("received,registered,service_due", [
    # Friday 20 March 2026 after 18:30, before Nauryz (21–23 March) and its days off (24–25 March).
    (datetime(2026, 3, 20, 18, 45, tzinfo=ALMATY), date(2026, 3, 26), date(2026, 4, 9)),
    # The same Friday within working hours is registered the same day.
    (datetime(2026, 3, 20, 18, 29, tzinfo=ALMATY), date(2026, 3, 20), date(2026, 4, 8)),
    # A Saturday: the next working day.
    (datetime(2026, 11, 28, 11, 0, tzinfo=ALMATY), date(2026, 11, 30), date(2026, 12, 14)),
])
def test_registration_day_and_the_result_due_date(app, client, auth, clock, received, registered, service_due):
    application = submit_at(app, client, auth, clock, received)
    assert received <= application.received_at < received + timedelta(seconds=50)  # the clock runs on from there
    assert application.registered_on == registered
    assert application.deadline_dates["service"] == service_due
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert registered.strftime("%d.%m.%Y") in page and service_due.strftime("%d.%m.%Y") in page


def test_reissue_is_due_in_five_working_days(app, client, auth, clock):
    application = submit_at(app, client, auth, clock, datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY), "reissue")
    assert application.deadline_dates["service_reissue"] == date(2026, 11, 30)
    assert application.deadline_dates["reissue_review"] == date(2026, 11, 25)


def test_a_clerk_registers_a_paper_submission_with_the_same_rules(app, client, auth, clock):
    # The clerk registers it the next day (a paper receipt may be at most 30 days back).
    clock.set(datetime(2026, 3, 21, 10, 0, tzinfo=ALMATY))
    auth.login("clerk")
    response = post_form(client, "/staff/paper", {"kind": "accreditation", "bin": "990340000014",
                                                  "legal_name": 'ТОО "Paper Pool"', "received_at": "20.03.2026 19:05"})
    assert response.status_code == 302
    application_id = int(response.headers["Location"].split("/")[2])
    post_form(client, f"/applications/{application_id}/edit",
              {**form_data(bin="990340000014", legal_name='ТОО "Paper Pool"'), "next": "1"})
    response = post_form(client, f"/applications/{application_id}/submit", {"submit": "1", "confirm_incomplete": "y"})
    assert response.status_code == 302
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application.route == "chancellery" and application.registered_on == date(2026, 3, 26)
        assert application.organization.bin == "990340000014"
        assert application.registered_by_id is not None


def test_a_paper_receipt_in_the_future_or_nonsense_is_refused(client, auth):
    auth.login("clerk")
    for bad, message in (("01.01.2099 10:00", "cannot be in the future"), ("32.13.2026 25:00", "dd.mm.yyyy hh:mm")):
        response = post_form(client, "/staff/paper", {"kind": "accreditation", "bin": "990340000014",
                                                      "legal_name": "X", "received_at": bad})
        assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_the_timeline_says_what_happened_when_and_by_whom(app, client, auth, clock):
    application = submit_at(app, client, auth, clock, datetime(2026, 11, 23, 10, 0, tzinfo=ALMATY))
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert "Application received" in page and "Application registered under number" in page
    assert "Айгерім Сейітова" in page and "23.11.2026 10:00" in page
