"""`flask demo scale`: realistic proportions, pages that render for every stage, a sweeper with nothing to redo."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.applications.models import CLOSED_STATUSES, DRAFT, Application
from portal.core.clock import now_utc
from portal.deadlines.models import MISSED, OPEN, Deadline
from portal.demo.scale import OPEN_STAGES, expected_overdue, scale, stage_shares
from portal.extensions import db

CASES = 200


@pytest.fixture
def scaled(app):
    with app.app_context():
        before = set(db.session.scalars(select(Application.id)))
        summary = scale(CASES, seed=7)
        ids = [i for i in db.session.scalars(select(Application.id)) if i not in before]
    return summary, ids


def _stages(app, ids) -> Counter:
    with app.app_context():
        return Counter(db.session.scalars(select(Application.status).where(Application.id.in_(ids))))


def test_the_cases_follow_the_proportions_of_a_year(app, scaled):
    summary, ids = scaled
    assert len(ids) == CASES == summary.cases
    stages = _stages(app, ids)
    assert stages == Counter(summary.stages)
    shares = stage_shares()
    total = sum(shares.values())
    for stage, share in shares.items():
        assert abs(stages[stage] - share / total * CASES) <= 1, stage     # largest remainders: within one case
        assert stages[stage] >= 1, stage                                   # every stage is there
    closed = sum(stages[s] for s in CLOSED_STATUSES)
    assert closed >= 0.85 * CASES                                          # most cases are closed
    for stage in OPEN_STAGES:
        assert stages[stage] <= 0.03 * CASES                               # a few percent open at each stage
    with app.app_context():
        overdue = db.session.scalar(select(func.count()).select_from(Application).where(
            Application.id.in_(ids), Application.overdue_since.is_not(None)))
        assert expected_overdue(CASES) <= overdue <= 0.01 * CASES          # a few per thousand
        # Every registered case has its deadlines; closed ones have none left open.
        open_in_closed = db.session.scalar(select(func.count()).select_from(Deadline).join(
            Application, Application.id == Deadline.application_id).where(
            Application.id.in_(ids), Application.status.in_(CLOSED_STATUSES), Deadline.state == OPEN))
        assert open_in_closed == 0
        undated = db.session.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.application_id.in_(ids), Deadline.state == OPEN, Deadline.next_check_at.is_(None)))
        assert undated == 0
        missed_open = db.session.scalar(select(func.count()).select_from(Deadline).where(
            Deadline.application_id.in_(ids), Deadline.state == MISSED))
        assert missed_open >= overdue


def test_about_one_case_in_a_hundred_has_a_complaint_with_its_own_terms(app, scaled):
    summary, ids = scaled
    if "complaint" not in db.metadata.tables:
        pytest.skip("no complaints in this schema")
    from portal.complaints.models import Complaint

    with app.app_context():
        complaints = db.session.scalars(select(Complaint).where(Complaint.application_id.in_(ids))).all()
        assert len(complaints) == summary.complaints >= 1
        assert summary.complaints <= round(0.01 * CASES)
        for complaint in complaints:
            assert complaint.number and complaint.deadlines
            assert {d.code for d in complaint.deadlines} >= {"registration"}
            if complaint.status == "decided":
                assert complaint.outcome and all(d.state != OPEN for d in complaint.deadlines)
            else:
                assert any(d.state == OPEN and d.next_check_at is not None for d in complaint.deadlines)


@pytest.mark.parametrize("role", ["clerk", "supervisor", "authority"])
def test_every_page_of_a_scaled_complaint_renders(app, client, auth, scaled, role):
    _summary, ids = scaled
    if "complaint" not in db.metadata.tables:
        pytest.skip("no complaints in this schema")
    from flask import url_for

    from portal.complaints.models import Complaint

    with app.app_context():
        complaint_ids = db.session.scalars(select(Complaint.id).where(Complaint.application_id.in_(ids))).all()
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.arguments == {"complaint_id"}]
    queues = [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments
              and r.endpoint.startswith("complaints.")]
    auth.login(role)
    failures = []
    with app.test_request_context():
        urls = [url_for(r.endpoint, complaint_id=i) for i in complaint_ids for r in rules]
        urls += [url_for(r.endpoint) for r in queues]
    for url in urls:
        status = client.get(url).status_code
        if status >= 500:
            failures.append((url, status))
    assert failures == []


def test_the_event_chains_of_scaled_cases_are_intact(app, scaled):
    _summary, ids = scaled
    from portal.events import services as events

    if not hasattr(events, "verify_chain"):
        pytest.skip("no event chain in this schema")
    with app.app_context():
        assert [i for i in ids[::7] if not events.verify_chain(i).intact] == []


def test_the_sweeper_finds_little_right_after_and_does_each_effect_once(app, scaled):
    from portal.deadlines.sweeper import sweep

    _summary, ids = scaled
    with app.app_context():
        now = now_utc()
        first = sweep(now)
        # Generated as the sweeper would have left it: nothing of the scaled cases is due now.
        assert first.get("deadlines", 0) <= 2, first   # the demo seed's own cases may be
        later = now + timedelta(days=6)
        done = sweep(later)
        assert done.get("deadlines", 0) > 0 and done.get("mark_missed", 0) > 0
        again = sweep(later)
        assert again.get("mark_missed", 0) == 0 and again.get("warn", 0) == 0


def _login_as(client, app, user_id: int) -> None:
    with app.app_context():
        user = db.session.get(User, user_id)
        user.set_password("scale-test")
        username = user.username
        db.session.commit()
    from tests.conftest import csrf_token

    token = csrf_token(client, "/login")
    client.post("/login", data={"username": username, "password": "scale-test", "csrf_token": token})


def _case_routes(app) -> list:
    """Every GET page about one case (from the URL map, so a new page is covered)."""
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and "application_id" in rule.arguments
            and rule.arguments <= {"application_id", "document_id", "page"}
            # Renditions made with WeasyPrint take seconds each; their own tests cover them.
            and not rule.rule.endswith((".pdf", ".zip"))]


def _urls(app, rules, case_id: int) -> list[str]:
    from portal.documents.models import Document

    with app.app_context():
        document = db.session.scalar(select(Document.id).where(Document.application_id == case_id).limit(1))
        urls = []
        for rule in rules:
            values = {"application_id": case_id}
            if "document_id" in rule.arguments:
                if document is None:
                    continue
                values["document_id"] = document
            if "page" in rule.arguments:
                values["page"] = 0
            with app.test_request_context():
                from flask import url_for

                urls.append(url_for(rule.endpoint, **values))
    return urls


@pytest.mark.parametrize("role", ["clerk", "applicant", "authority"])
def test_every_page_of_a_scaled_case_renders_at_every_stage(app, client, auth, scaled, role):
    _summary, ids = scaled
    with app.app_context():
        rows = db.session.execute(select(Application.id, Application.status, Application.created_by_id,
                                         Application.organization_id).where(Application.id.in_(ids))
                                  .order_by(Application.id)).all()
        one_per_stage = {}
        for case_id, status, _author, organization_id in rows:
            one_per_stage.setdefault(status, (case_id, organization_id))
    rules = _case_routes(app)
    failures = []
    if role != "applicant":
        auth.login(role)
    for status, (case_id, organization_id) in sorted(one_per_stage.items()):
        if role == "applicant":
            # The applicant of the case's own organisation (scaled accounts have no password: give one).
            with app.app_context():
                applicant = db.session.scalar(select(User.id).where(User.organization_id == organization_id,
                                                                   User.role == "applicant").order_by(User.id))
            client = app.test_client()
            client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
            _login_as(client, app, applicant)
        for url in _urls(app, rules, case_id):
            response = client.get(url)
            if response.status_code >= 500:
                failures.append((status, url, response.status_code))
            elif url.endswith(f"/applications/{case_id}") and status != DRAFT:
                if response.status_code != 200:
                    failures.append((status, url, response.status_code))
    assert failures == []
