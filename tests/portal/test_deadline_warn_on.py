"""Each deadline stores its warning day (warn_on, issue 18): the case page tells "near" from it, without reading
the calendar, and a change of the calendar moves it at once."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from portal.calendar.services import current_calendar
from portal.core.clock import ALMATY
from portal.deadlines.models import OPEN, Deadline
from portal.extensions import db
from rules.escalation import warn_from
from tests.conftest import post_form
from tests.portal.factories import register_cases, registered_case_in_sql
from tests.portal.support import Counter
from tests.support.html import Page



def _open_terms(app, case_id: int) -> list[Deadline]:
    with app.app_context():
        rows = db.session.scalars(db.select(Deadline).filter_by(application_id=case_id, complaint_id=None)
                                  .order_by(Deadline.due_at, Deadline.id)).all()
        db.session.expunge_all()
        return rows


def _states_on_page(client, auth, clock, case_id: int, moment: datetime) -> tuple[list[str], list[str]]:
    """The state of each term on the clerk's case page at `moment`, and the statements the page made."""
    clock.set(moment)  # the portal's one clock (the page cannot take now=); it runs on by the test's seconds
    auth.login("clerk")  # the session of before the jump has expired
    with Counter(client.application) as counter:
        page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    states = [row.split() for row in Page(page).attrs("tr.deadline-row", "class")]
    return [state for _, state in states], counter.statements  # class="deadline-row <state>"


def _expected(app, rows: list[Deadline], moment: datetime) -> list[str]:
    """What the Rules say at `moment`, counted from the calendar (rules.escalation.warn_from)."""
    with app.test_request_context():
        calendar = current_calendar()
        return [row.state if row.state != OPEN else "missed" if moment > row.due_at
                else "near" if moment >= warn_from(row.due_date, calendar) else OPEN for row in rows]


def test_planned_terms_store_their_warning_day_and_the_page_reads_near_from_it(app, client, auth, clock):
    case_id = register_cases(app, 1)[0]
    rows = _open_terms(app, case_id)
    with app.test_request_context():
        calendar = current_calendar()
        assert all(row.warn_on == warn_from(row.due_date, calendar).date() for row in rows if row.state == OPEN)
    service = next(row for row in rows if row.code == "service")
    warned = datetime.combine(service.warn_on, time.min, tzinfo=ALMATY)
    for moment in (warned - timedelta(minutes=1), warned, warned + timedelta(hours=12)):
        states, statements = _states_on_page(client, auth, clock, case_id, moment)
        assert states == _expected(app, rows, moment), moment
        assert not any("calendar_exception" in s for s in statements)
    assert "near" in _states_on_page(client, auth, clock, case_id, warned)[0]


def test_a_term_without_its_warning_day_is_still_judged_from_the_calendar(app):
    """Rows written before migration 0020 (or by hand) have no warning day: urgency() counts it."""
    from portal.deadlines.services import urgency

    case_id = register_cases(app, 1)[0]
    with app.test_request_context():
        row = db.session.scalar(db.select(Deadline).filter_by(application_id=case_id, code="service"))
        warned = datetime.combine(row.warn_on, time.min, tzinfo=ALMATY)
        row.warn_on = None
        assert urgency(row, warned - timedelta(seconds=1)) == OPEN
        assert urgency(row, warned) == "near"


def test_a_day_off_declared_on_the_warning_day_moves_it_at_once(app, client, auth, clock):
    """Nothing stale: the admin's change of the calendar recounts the stored warning day before the page is read."""
    case_id = register_cases(app, 1)[0]
    service = next(row for row in _open_terms(app, case_id) if row.code == "service")
    auth.login("admin")
    response = post_form(client, "/admin/calendar/", {"day": service.warn_on.strftime("%d.%m.%Y"), "kind": "dayoff",
                                                      "decree": "Постановление № 2 (test)"})
    assert response.status_code == 302
    moved = next(row for row in _open_terms(app, case_id) if row.code == "service")
    with app.test_request_context():
        assert moved.warn_on == warn_from(moved.due_date, current_calendar()).date()
    assert moved.warn_on > service.warn_on and moved.due_date > service.due_date
    assert moved.next_check_at == datetime.combine(moved.warn_on, time.min, tzinfo=ALMATY)
    auth.logout()
    old_warning = datetime.combine(service.warn_on, time.min, tzinfo=ALMATY) + timedelta(hours=1)
    rows = _open_terms(app, case_id)
    assert _states_on_page(client, auth, clock, case_id, old_warning)[0] == _expected(app, rows, old_warning)


def test_migration_0020_fills_the_warning_day_from_the_due_day_and_the_calendar(tmp_path):
    from datetime import date

    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal import create_app

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'w.db'}",
                      "SECRET_KEY": "t"})
    with app.app_context():
        upgrade(revision="0019")
        db.session.execute(text("INSERT INTO calendar_exception (id, day, is_workday, decree) "
                                "VALUES (1, '2026-03-19', 0, 'test')"))  # Thursday, a day off
        registered_case_in_sql()  # application 1, of organisation 1 and its applicant 1
        for id_, due in ((1, "2026-03-20"), (2, "2026-03-23"), (3, "2026-03-20")):
            db.session.execute(text(
                "INSERT INTO deadline (id, application_id, code, term, starts_from, starts_on, due_date, due_at, "
                "paragraph, state) VALUES (:id, 1, :code, 10, 'registration', '2026-03-06', :due, "
                "'2026-03-20 13:30:00', 'п.8', 'open')"), {"id": id_, "code": f"c{id_}", "due": due})
        db.session.commit()
        upgrade()
        warn = {k: date.fromisoformat(str(v)) for k, v in db.session.execute(text("SELECT id, warn_on FROM deadline"))}
    # Friday 20.03 with Thursday off: Wednesday; Monday 23.03: the Friday before.
    assert warn == {1: date(2026, 3, 18), 2: date(2026, 3, 20), 3: date(2026, 3, 18)}
