"""The quality report through the page and the CSV: cases built by the services, then dated into June 2025."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from html.parser import HTMLParser

import pytest
from sqlalchemy import event, update

from portal.accounts.models import User
from portal.applications.models import Application
from portal.calendar.models import CalendarException
from portal.complaints.models import Complaint
from portal.core.clock import ALMATY, now_utc
from portal.deadlines.models import Deadline
from portal.decisions import services as decisions
from portal.decisions.models import Decision
from portal.extensions import db
from portal.hearings import services as hearings
from portal.hearings.models import HearingRecord, PreliminaryRefusal
from portal.review.models import ReviewDecision
from tests.conftest import Auth
from tests.portal.factories import case_with_grounds, case_without_grounds
from tests.portal.officials import sign_decision

JUNE = "date_from=01.06.2025&date_to=30.06.2025"
DECREE_DAY_OFF = date(2025, 6, 11)  # a Wednesday made a day off (an admin's exception); 6 June 2025 is Kurban Ait


def at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2025, month, day, hour, 0, tzinfo=ALMATY)


def end(month: int, day: int) -> datetime:
    return datetime.combine(date(2025, month, day), time.max, tzinfo=ALMATY)


def redate(case_id: int, registered: date, completeness=None, review=None, notice=None, hearing=None, signed=None,
           service_due=None, service_state=None):
    """Move the steps a case went through (today) to fixed days, so the working days are known."""
    db.session.execute(update(Application).where(Application.id == case_id)
                       .values(registered_on=registered, received_at=datetime.combine(registered, time(10), ALMATY)))
    for stage, moment in (("completeness", completeness), ("review", review)):
        if moment:
            db.session.execute(update(ReviewDecision).where(ReviewDecision.application_id == case_id,
                                                            ReviewDecision.stage == stage).values(decided_at=moment))
    if notice:
        db.session.execute(update(PreliminaryRefusal).where(PreliminaryRefusal.application_id == case_id)
                           .values(sent_at=notice))
    if hearing:
        db.session.execute(update(HearingRecord).where(HearingRecord.application_id == case_id).values(held_at=hearing))
    if signed:
        db.session.execute(update(Decision).where(Decision.application_id == case_id).values(signed_at=signed))
    db.session.execute(update(Deadline).where(Deadline.application_id == case_id, Deadline.code == "service")
                       .values(due_at=service_due, due_date=service_due.date(), state=service_state,
                               met_at=signed if service_state == "met" else None))


def complaint(case: Application, registered: date, outcome, decided_by, terms):
    row = Complaint(application_id=case.id, organization_id=case.organization_id, filed_by_id=case.created_by_id,
                    subject_kind="decision", addressee="provider", status="decided" if outcome else "at_provider",
                    received_at=datetime.combine(registered, time(11), ALMATY), registered_on=registered,
                    outcome=outcome, decided_by=decided_by)
    db.session.add(row)
    db.session.flush()
    for code, due, state, met_at in terms:
        db.session.add(Deadline(application_id=case.id, complaint_id=row.id, code=code, term=3,
                                starts_from="registration", starts_on=registered, due_date=due.date(), due_at=due,
                                paragraph="п.17", state=state, met_at=met_at))


@pytest.fixture
def june(app):
    """Three cases of June 2025 and three complaints; returns their ids."""
    first = case_without_grounds(app)                  # 1: no grounds, certificate on time
    second = case_with_grounds(app, "applicant")       # 2: the hearing upholds the refusal, signed late
    third = case_with_grounds(app, "applicant2")       # 3: notice sent, nothing since
    with app.app_context():
        clerk = db.session.scalar(db.select(User).filter_by(username="clerk"))
        signatory = db.session.scalar(db.select(User).filter_by(username="signatory"))
        case = db.session.get(Application, first)
        sign_decision(decisions.draft(case, clerk, None), signatory)
        case = db.session.get(Application, second)
        hearings.send_preliminary_refusal(case, clerk, "written", "Астана, каб. 301", None, now=at(6, 5),
                                          proposed=hearings.proposable_days(case, at(6, 5))[0])
        hearings.record_hearing(case, clerk, {"outcome": "refusal_upheld", "held_at": at(6, 10)}, None)
        sign_decision(decisions.draft(case, clerk, None), signatory)
        third_case = db.session.get(Application, third)
        hearings.send_preliminary_refusal(third_case, clerk, "written", "Астана", None,
                                          proposed=hearings.proposable_days(third_case, now_utc())[0])
        db.session.commit()

        db.session.add(CalendarException(day=DECREE_DAY_OFF, is_workday=False, decree="Decree No. 1 (test)"))
        redate(first, date(2025, 6, 9), completeness=at(6, 10), review=at(6, 12), signed=at(6, 16),
               service_due=end(6, 24), service_state="met")
        redate(second, date(2025, 6, 2), completeness=at(6, 3), review=at(6, 4), notice=at(6, 5), hearing=at(6, 10),
               signed=at(6, 20), service_due=end(6, 17), service_state="missed")
        redate(third, date(2025, 6, 2), completeness=at(6, 3), review=at(6, 4), notice=at(6, 10),
               service_due=end(6, 17), service_state="missed")
        case = db.session.get(Application, second)
        complaint(case, date(2025, 6, 23), "favourable_act", "provider",
                  [("complaint_forward", end(6, 26), "met", at(6, 25))])
        complaint(case, date(2025, 6, 24), "refused", "authority",
                  [("complaint_forward", end(6, 27), "met", at(6, 26)),
                   ("complaint_authority", end(7, 15), "missed", at(7, 21))])
        complaint(case, date(2025, 6, 25), None, None, [("complaint_forward", end(6, 30), "open", None)])
        complaint(case, date(2025, 5, 20), "refused", "provider", [("complaint_provider", end(5, 27), "missed", None)])
        db.session.commit()
        numbers = {i: db.session.get(Application, i).number for i in (first, second, third)}
    return {"ids": (first, second, third), "numbers": numbers}


class Tables(HTMLParser):
    """The page's tables as {caption: {row header: [cells]}}."""

    def __init__(self, html: str):
        super().__init__()
        self.tables: dict[str, dict[str, list[str]]] = {}
        self._caption = self._row = self._text = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag in ("caption", "th", "td"):
            self._text = ""
        if tag == "tr":
            self._row = []

    def handle_data(self, data):
        if self._text is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "caption":
            self._caption, self._text = self._text.strip(), None
            self.tables[self._caption] = {}
        elif tag in ("th", "td") and self._row is not None:
            self._row.append(self._text.strip())
            self._text = None
        elif tag == "tr" and self._caption and self._row:
            self.tables[self._caption][self._row[0]] = self._row[1:]
            self._row = None


def test_the_figures_of_june_on_the_page(app, client, june):
    Auth(client).login("authority")
    response = client.get(f"/authority/quality?{JUNE}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert " style=" not in page and "<script>" not in page       # the CSP allows neither
    assert 'role="img"' in page and "<svg" in page and 'scope="row"' in page
    tables = Tables(page).tables
    services = tables["Services in the period"]
    assert services["Registered in the period"] == ["3"]
    assert services["Delivered on time"] == ["1"] and services["Delivered late"] == ["1"]
    assert services["Service term over, no result yet"] == ["1"] and services["Share delivered on time"] == ["50%"]
    results = tables["Results delivered in the period"]
    assert results["Accreditation certificate"] == ["1", "0", "1"] and results["Motivated refusal"] == ["0", "1", "1"]
    stages = tables["Average working days per stage, for the stages that ended in the period"]
    # Review: 10 -> 12 June is 1 working day, the decree's 11 June not counted; hearing: Thu 5 -> Tue 10 June
    # is 2 (Kurban Ait on the 6th, then the weekend).
    assert stages["Registration to the completeness check"] == ["3", "1.0", "1"]
    assert stages["Completeness check to the review decision"] == ["3", "1.0", "1"]
    assert stages["Review decision to the preliminary refusal notice"] == ["2", "2.0", "3"]
    assert stages["Notice to the hearing"] == ["1", "2.0", "2"]
    assert stages["Previous step to the signed final decision"] == ["2", "4.5", "7"]
    assert stages["Registration to the result (the whole service)"] == ["2", "8.0", "12"]
    refusals = tables["Preliminary decisions to refuse sent in the period, and what the hearing did"]
    assert refusals["The grounds for refusal are confirmed"] == ["1"] and refusals["No hearing recorded yet"] == ["1"]
    assert refusals["The applicant declined the hearing"] == ["0"] and refusals["Total"] == ["2"]
    complaints = tables["Complaints registered in the period, by outcome"]
    assert complaints["Favourable act of the provider (п.17)"] == ["1", "0", "1", "0"]
    assert complaints["Not satisfied"] == ["0", "1", "1", "1"]
    assert complaints["Not decided yet"] == ["—", "—", "1", "1"]
    assert complaints["Total"] == ["", "", "3", "2"]
    breached = tables["Complaint terms breached: missed, met after their end, or still open after it"]
    assert breached["Forward the complaint with the case, unless a favourable act"] == ["1"]
    assert breached["Decision on a complaint to the quality-control authority"] == ["1"]
    first, second, third = june["ids"]
    assert f'href="/applications/{second}">{june["numbers"][second]}</a>' in page
    assert f'href="/applications/{third}">{june["numbers"][third]}</a>' in page
    assert 'value="01.06.2025"' in page and 'value="30.06.2025"' in page


def test_the_csv_has_the_same_figures_for_excel(app, client, june):
    Auth(client).login("supervisor")
    response = client.get(f"/authority/quality.csv?{JUNE}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="quality-2025-06-01-2025-06-30.csv"'
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["From", "To", "Service provider", "Section", "Figure", "Value"]
    values = {(r[3], r[4]): r[5] for r in rows[1:]}
    assert {r[0] for r in rows[1:]} == {"01.06.2025"} and {r[1] for r in rows[1:]} == {"30.06.2025"}
    assert values[("Services", "Delivered on time")] == "1" and values[("Services", "Delivered late")] == "1"
    assert values[("Services", "Service term over, no result yet")] == "1"
    assert values[("Services", "Share delivered on time")] == "50%"
    assert values[("Working days per stage", "Previous step to the signed final decision: average")] == "4.5"
    assert values[("Working days per stage", "Notice to the hearing: longest")] == "2"
    assert values[("Preliminary refusals", "The grounds for refusal are confirmed")] == "1"
    assert values[("Complaints", "Not satisfied: decided by the authority")] == "1"
    assert values[("Complaints", "Complaints with a term breached")] == "2"
    # In Russian: Cyrillic survives, the decimal comma is the locale's.
    client.get("/language/ru")
    text = client.get(f"/authority/quality.csv?{JUNE}").data.decode("utf-8-sig")
    assert "Министерство цифрового развития" in text and ";4,5\r\n" in text


def test_only_the_authority_and_the_supervisor_see_it(app, client):
    auth = Auth(client)
    for username in ("applicant", "clerk", "signatory", "admin"):
        auth.login(username)
        assert client.get("/authority/quality").status_code == 403
        assert client.get("/authority/quality.csv").status_code == 403
        assert "/authority/quality" not in client.get("/me", follow_redirects=True).get_data(as_text=True)
        auth.logout()
    for username in ("authority", "supervisor"):
        auth.login(username)
        assert client.get("/authority/quality").status_code == 200
        assert 'href="/authority/quality"' in client.get("/me", follow_redirects=True).get_data(as_text=True)
        auth.logout()
    assert client.get("/authority/quality").status_code == 302


def test_the_default_period_is_the_year_to_date(app, client):
    from portal.core.clock import today_local

    Auth(client).login("authority")
    page = client.get("/authority/quality").get_data(as_text=True)
    today = today_local()
    assert f'value="01.01.{today.year}"' in page and f'value="{today:%d.%m.%Y}"' in page
    csv_link = f"/authority/quality.csv?date_from=01.01.{today.year}&amp;date_to={today:%d.%m.%Y}"
    assert csv_link in page


def test_a_wrong_date_is_answered_next_to_its_field_in_the_readers_language(app, client):
    Auth(client).login("authority")
    client.get("/language/ru")
    response = client.get("/authority/quality?date_from=31.02.2025&date_to=30.06.2025")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="date_from-error">Введите дату в формате дд.мм.гггг.' in page
    assert 'aria-invalid="true"' in page and 'value="31.02.2025"' in page
    assert "<svg" not in page  # no figures for a period that is not one
    client.get("/language/en")
    response = client.get("/authority/quality.csv?date_from=30.06.2025&date_to=01.06.2025")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and response.headers["Content-Type"].startswith("text/html")
    assert 'id="date_to-error">The end of the period cannot be before its start.' in page


def test_the_rows_are_read_in_a_fixed_number_of_queries(app, june):
    from portal.quality import services

    with app.test_request_context():
        statements = []
        listener = lambda *args: statements.append(args[2]) if args[2].lstrip().upper().startswith("SELECT") else None  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            report = services.report(date(2025, 6, 1), date(2025, 6, 30))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert report.providers["ministry"].delivered_total == 2
    assert len(statements) <= 3  # the calendar's exceptions, the cases, the complaints
