"""The main pages' cache (portal/core/page_cache.py): a second read costs one statement, and nothing is stale.

Each thing a page is made of is changed once, and the very next read must show it: the case's data (through
the ORM and through a Core statement, as the sweeper writes), a term's state, the calendar, the language,
the person, the session, the day and the minute, the htmx fragment, a flashed message; a write the portal did
not make (another engine, as psql would) shows within the minute.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import create_engine, select, update

from portal.applications.models import Application
from portal.core.clock import now_utc
from portal.core.page_cache import PageVersion
from portal.deadlines.models import Deadline
from portal.extensions import db
from tests.conftest import Auth, post_form
from tests.portal.support import Counter
from tests.support.html import page


def _cache(app):
    return app.extensions["page_cache"]


def _version(app) -> int:
    with app.app_context():
        return db.session.scalar(select(PageVersion.n))


def _filed_case(app) -> Application:
    """The demo's submitted case (the seed files one), as the queue and the cabinet show it."""
    with app.app_context():
        case = db.session.scalar(select(Application).where(Application.status != "draft").order_by(Application.id))
        assert case is not None
        db.session.expunge(case)
        return case


def _get(client, path, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_a_second_read_is_the_same_page_from_the_cache_in_one_statement(app, client, auth):
    auth.login("clerk")
    first = _get(client, "/staff/cases")
    hits = _cache(app).hits
    with Counter(app) as counter:
        second = _get(client, "/staff/cases")
    assert second == first
    assert _cache(app).hits == hits + 1
    assert len(counter.statements) == 1, counter.statements  # the person with the data's version, nothing else


def test_every_committed_write_raises_the_version_and_a_read_or_a_rollback_does_not(app):
    before = _version(app)
    with app.app_context():
        db.session.execute(select(Application.id)).all()
        db.session.commit()
    assert _version(app) == before
    with app.app_context():
        db.session.execute(update(Application).values(legal_name="Rolled back"))
        db.session.rollback()
    assert _version(app) == before
    with app.app_context():
        db.session.execute(update(Application).where(Application.id == -1).values(legal_name="x"))
        db.session.commit()
    assert _version(app) == before + 1


def test_a_change_of_the_case_through_the_orm_shows_at_once(app, client, auth):
    case = _filed_case(app)
    auth.login("clerk")
    assert "Renamed Pool LLP" not in _get(client, "/staff/cases")
    with app.app_context():
        db.session.get(Application, case.id).legal_name = "Renamed Pool LLP"
        db.session.commit()
    assert "Renamed Pool LLP" in _get(client, "/staff/cases")


def test_a_core_update_of_a_terms_state_shows_at_once_on_the_case_page(app, client, auth):
    """The sweeper writes with Core statements, not the ORM: the version rises all the same."""
    case = _filed_case(app)
    auth.login("clerk")
    path = f"/applications/{case.id}"
    before = page(_get(client, path)).find_all(".badge-missed")
    with app.app_context():
        db.session.execute(update(Deadline).where(Deadline.application_id == case.id, Deadline.state == "open")
                           .values(state="missed"))
        db.session.commit()
    after = page(_get(client, path)).find_all(".badge-missed")
    assert len(after) > len(before)


def test_a_change_of_the_calendar_through_its_page_is_a_new_version(app, client, auth):
    case = _filed_case(app)
    auth.login("clerk")
    _get(client, f"/applications/{case.id}")
    before = _version(app)
    admin = app.test_client()
    admin.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    Auth(admin).login("admin")
    day = (now_utc() + timedelta(days=40)).date()
    day += timedelta(days=8 - day.isoweekday() if day.isoweekday() > 5 else 0)  # a weekday (Monday), made a day off
    response = post_form(admin, "/admin/calendar/", {"day": day.isoformat(), "kind": "dayoff",
                                                     "decree": "Decree No. 1 for the test"}, page="/admin/calendar/")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    assert _version(app) > before
    misses = _cache(app).misses
    _get(client, f"/applications/{case.id}")
    assert _cache(app).misses == misses + 1  # read afresh, with the calendar as it now is


def test_each_language_is_its_own_page(app, client, auth):
    auth.login("applicant")
    english = _get(client, "/cabinet")
    client.get("/language/ru")
    russian = _get(client, "/cabinet")
    assert russian != english
    assert page(russian).xpath("string(/html/@lang)") == "ru"
    client.get("/language/en")
    assert page(_get(client, "/cabinet")).xpath("string(/html/@lang)") == "en"


def test_each_person_and_each_session_gets_their_own_page(app, client, auth):
    auth.login("clerk")
    clerk = _get(client, "/staff/cases")
    other = app.test_client()
    other.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    Auth(other).login("supervisor")
    supervisor = _get(other, "/staff/cases")
    assert page(clerk).text(".who") != page(supervisor).text(".who")

    same_person = app.test_client()
    same_person.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    Auth(same_person).login("clerk")
    again = _get(same_person, "/staff/cases")
    # The same clerk in another session: the page carries that session's own CSRF token, which its server accepts.
    assert page(again).value("csrf_token") != page(clerk).value("csrf_token")
    assert post_form(same_person, "/logout", {}, page="/staff/cases").status_code in (302, 303)


def test_the_next_day_and_the_next_minute_are_read_afresh(app, client, auth, clock):
    auth.login("clerk")
    _get(client, "/staff/cases")
    misses = _cache(app).misses
    _get(client, "/staff/cases")
    assert _cache(app).misses == misses
    clock.advance(minutes=1)
    _get(client, "/staff/cases")
    assert _cache(app).misses == misses + 1


def test_the_fragment_and_the_page_are_different_answers(app, client, auth):
    auth.login("clerk")
    full = _get(client, "/staff/cases")
    fragment = _get(client, "/staff/cases", headers={"HX-Request": "true", "HX-Target": "queue-results"})
    assert "<html" in full and "<html" not in fragment
    assert "<html" in _get(client, "/staff/cases")
    restored = _get(client, "/staff/cases", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored  # the back button gets the whole page


def test_a_flashed_message_is_shown_once_and_never_kept(app, client, auth):
    auth.login("applicant")
    _get(client, "/cabinet")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Flashed for this test")]
    assert "Flashed for this test" in _get(client, "/cabinet")
    assert "Flashed for this test" not in _get(client, "/cabinet")


def test_a_write_made_outside_the_portal_shows_within_the_minute(app, client, auth, clock):
    """psql, or any engine without the portal's hook: the version does not rise, the minute in the key does."""
    case = _filed_case(app)
    auth.login("clerk")
    assert "Written Outside LLP" not in _get(client, "/staff/cases")
    outside = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    with outside.begin() as connection:
        connection.execute(update(Application).where(Application.id == case.id)
                           .values(legal_name="Written Outside LLP"))
    outside.dispose()
    clock.advance(minutes=1)
    auth.login("clerk")  # a new session after the jump (the idle limit follows the clock)
    assert "Written Outside LLP" in _get(client, "/staff/cases")


def test_the_cache_can_be_turned_off(app, client, auth):
    app.extensions["page_cache"].size = 0
    auth.login("clerk")
    _get(client, "/staff/cases")
    with Counter(app) as counter:
        _get(client, "/staff/cases")
    assert len(counter.statements) > 1
