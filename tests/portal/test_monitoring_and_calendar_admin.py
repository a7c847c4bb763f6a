"""The п.14 monitoring feed, and the admin's calendar page."""
from __future__ import annotations

from portal.applications.models import Application
from portal.deadlines.models import Deadline
from portal.extensions import db
from tests.conftest import post_form


def test_the_monitoring_feed_pages_through_stage_changes_of_filed_cases(app, client, auth):
    auth.login("supervisor")
    first = client.get("/api/monitoring/events?limit=2").get_json()
    assert len(first["events"]) == 2 and first["more"] is True
    rest = client.get(f"/api/monitoring/events?since={first['next_since']}").get_json()
    ids = [e["id"] for e in first["events"] + rest["events"]]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    everything = first["events"] + rest["events"]
    assert "application.registered" in {e["kind"] for e in everything}
    with app.app_context():
        draft_id = db.session.scalar(db.select(Application.id).filter_by(status="draft"))
    assert draft_id not in {e["case_id"] for e in everything}
    assert client.get(f"/api/monitoring/events?since={rest['next_since']}").get_json()["events"] == []


def test_the_monitoring_feed_is_for_staff_only(client, auth):
    assert client.get("/api/monitoring/events").status_code == 302
    auth.login("applicant")
    assert client.get("/api/monitoring/events").status_code == 403


def test_the_admin_adds_and_removes_a_decree_exception_and_open_deadlines_move(app, client, auth):
    with app.app_context():
        service = db.session.scalar(db.select(Deadline).filter_by(code="service"))
        before, case_id = service.due_date, service.application_id
    auth.login("admin")
    response = post_form(client, "/admin/calendar/", {"day": before.strftime("%d.%m.%Y"), "kind": "dayoff",
                                                      "decree": "Постановление № 1 (test)"})
    assert response.status_code == 302
    page = client.get("/admin/calendar/").get_data(as_text=True)
    assert "Постановление № 1 (test)" in page
    with app.app_context():
        assert db.session.get(Deadline, service.id).due_date > before
    response = post_form(client, f"/admin/calendar/{before.isoformat()}/delete", {}, page="/admin/calendar/")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Deadline, service.id).due_date == before
    auth.logout()
    auth.login("applicant")
    timeline = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert timeline.count("Deadlines recomputed after a change of the working-day calendar") == 2


def test_the_admin_form_explains_bad_input(client, auth):
    auth.login("admin")
    response = post_form(client, "/admin/calendar/", {"day": "31.02.2026", "kind": "dayoff", "decree": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "dd.mm.yyyy" in page and "This field is required" in page
