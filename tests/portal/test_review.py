"""The clerk's workbench: state facts, completeness (п.7) and review (п.8) through the forms."""
from __future__ import annotations

from datetime import timedelta

import pytest

from portal.applications.models import Application
from portal.deadlines.sweeper import sweep
from portal.extensions import db
from portal.review.models import ReviewDecision
from tests.conftest import csrf_token, post_form
from tests.portal.factories import (OVERRIDE, _version, case_state, case_without_grounds, complete, registered_case,
                                    same_settlement_case)


def test_the_clerk_gets_state_facts_marked_as_the_development_source(app, client, auth):
    case_id = registered_case(app)
    auth.login("clerk")
    post_form(client, f"/staff/cases/{case_id}/state-facts", {}, page=f"/applications/{case_id}")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Development source" in page and "ИБ-2026/117" in page


def test_the_rules_propose_missing_documents_and_the_clerk_confirms_an_incomplete_package(app, client, auth):
    case_id = registered_case(app)
    auth.login("clerk")
    page = client.get(f"/staff/cases/{case_id}/completeness").get_data(as_text=True)
    assert "the rules: not in order" in page and 'value="server_room_lease:missing" checked' in page
    version = _version(client, case_id)
    no_reason = post_form(client, f"/staff/cases/{case_id}/completeness",
                          {"version": version, "finding": ["server_room_lease:missing"]})
    assert no_reason.status_code == 422 and "Give the reasons" in no_reason.get_data(as_text=True)
    response = post_form(client, f"/staff/cases/{case_id}/completeness",
                         {"version": version, "finding": ["server_room_lease:missing"], "note": "Нет договора аренды.",
                          "override_reason": OVERRIDE})
    assert response.status_code == 302
    status, deadlines, _ = case_state(app, case_id)
    assert status == "incomplete_refused"
    assert deadlines["completeness"] == "met" and deadlines["service"] == "closed"
    with app.app_context():
        decision = db.session.scalar(db.select(ReviewDecision).filter_by(application_id=case_id))
        assert decision.proposed["findings"] and decision.decided["findings"] == [
            {"code": "server_room_lease", "problem": "missing"}]
    auth.logout()
    auth.login("applicant")
    page = client.get(f"/applications/{case_id}").get_data(as_text=True)
    assert "Motivated refusal of further consideration" in page and "Нет договора аренды." in page


def test_a_complete_package_goes_to_review_and_no_grounds_ends_awaiting_the_decision(app, client, auth):
    case_id = registered_case(app)
    auth.login("clerk")
    post_form(client, f"/staff/cases/{case_id}/state-facts", {}, page=f"/applications/{case_id}")
    assert complete(client, case_id).status_code == 302
    status, deadlines, _ = case_state(app, case_id)
    assert status == "under_review" and deadlines["completeness"] == "met" and deadlines["review"] == "open"
    page = client.get(f"/staff/cases/{case_id}/review").get_data(as_text=True)
    assert "п. 4 пп. 3)" in page or "п.4" in page
    assert "The rules propose no ground for refusal." in page
    response = post_form(client, f"/staff/cases/{case_id}/review", {"version": str(case_state(app, case_id)[2])},
                         page=f"/staff/cases/{case_id}/review")
    assert response.status_code == 302
    status, deadlines, _ = case_state(app, case_id)
    assert status == "awaiting_decision" and deadlines["review"] == "met"


def test_proposed_grounds_are_accepted_or_rejected_with_a_reason_and_grounds_can_be_added(app, client, auth):
    case_id = same_settlement_case(app)  # a backup complex in the same settlement: condition 3 of п.4 fails
    auth.login("clerk")
    post_form(client, f"/staff/cases/{case_id}/state-facts", {}, page=f"/applications/{case_id}")
    complete(client, case_id)
    path = f"/staff/cases/{case_id}/review"
    page = client.get(path).get_data(as_text=True)
    assert 'name="ground-2"' in page
    version = str(case_state(app, case_id)[2])
    rejected = post_form(client, path, {"version": version, "ground-2": "reject"})
    assert rejected.status_code == 422 and "Say why you reject" in rejected.get_data(as_text=True)
    added = post_form(client, path, {"version": version, "ground-2": "accept", "add-3": "y"})
    assert added.status_code == 422 and "Say which facts support" in added.get_data(as_text=True)
    response = post_form(client, path, {"version": version, "ground-2": "accept", "add-3": "y",
                                        "add-3-reason": "Решение суда № 2-123 от 01.10.2026"})
    assert response.status_code == 302
    with app.app_context():
        decision = db.session.scalar(db.select(ReviewDecision).filter_by(application_id=case_id, stage="review"))
        assert decision.outcome == "grounds" and decision.decided["grounds"] == [2, 3]
        assert [g["number"] for g in decision.proposed["grounds"]] == [2]
        assert db.session.get(Application, case_id).status == "grounds_found"


def test_two_clerks_on_one_case_the_second_is_told_and_nothing_is_overwritten(app, client, auth):
    case_id = registered_case(app)
    auth.login("clerk")
    version = _version(client, case_id)
    token = csrf_token(client, f"/staff/cases/{case_id}/completeness")
    first = client.post(f"/staff/cases/{case_id}/completeness", data={"csrf_token": token, "version": version,
                                                                          "override_reason": OVERRIDE})
    assert first.status_code == 302
    second = client.post(f"/staff/cases/{case_id}/completeness", follow_redirects=True, data={
        "csrf_token": token, "version": version, "finding": ["server_room_lease:missing"], "note": "late"})
    assert "changed by someone else" in second.get_data(as_text=True)
    assert case_state(app, case_id)[0] == "under_review"


@pytest.mark.parametrize("username", ["applicant", "supervisor", "authority", "signatory", "admin"])
def test_only_clerks_act_on_the_workbench(app, client, auth, username):
    case_id = registered_case(app)
    auth.login(username)
    for path in ("completeness", "review"):
        assert client.get(f"/staff/cases/{case_id}/{path}").status_code in (403, 404)


def test_no_grounds_closes_the_hearing_terms_so_the_sweeper_never_marks_them_missed(app):
    """After a review without grounds there is no preliminary refusal: its terms no longer apply (п.10)."""
    case_id = case_without_grounds(app)
    with app.app_context():
        case = db.session.get(Application, case_id)
        states = {d.code: d.state for d in case.deadlines}
        assert states["hearing_notice"] == states["hearing"] == "closed"
        service_due = next(d.due_at for d in case.deadlines if d.code == "service")
        sweep(service_due - timedelta(hours=1))
        db.session.refresh(case)
        assert {d.code: d.state for d in case.deadlines}["hearing_notice"] == "closed"
        assert case.overdue_since is None
