"""`flask demo scale`: realistic proportions, pages that render for every stage, a sweeper with nothing to redo."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bench.scale import OPEN_STAGES, expected_overdue, scale, stage_shares
from portal.accounts.models import User
from portal.applications.models import CLOSED_STATUSES, DRAFT, Application
from portal.core.clock import now_utc
from portal.deadlines.models import MISSED, OPEN, Deadline
from portal.extensions import db
from tests.portal.support import login_as

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
    from portal.complaints.models import Complaint

    with app.app_context():
        complaints = db.session.scalars(select(Complaint).where(Complaint.application_id.in_(ids))).all()
        assert len(complaints) == summary.complaints >= 1
        assert summary.complaints <= round(0.01 * CASES)
        for complaint in complaints:
            assert complaint.number and complaint.deadlines
            assert {d.code for d in complaint.deadlines} >= {"registration"}
            running = [d for d in complaint.deadlines if d.state == OPEN]
            if complaint.status == "decided":
                assert complaint.outcome
                # Only the provider's term to carry out the authority's order may still run.
                assert all(d.code == "authority_order" for d in running) and bool(running) == complaint.order_pending
            else:
                assert running and all(d.next_check_at is not None for d in running)


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
            login_as(client, app, applicant)
        for url in _urls(app, rules, case_id):
            response = client.get(url)
            if response.status_code >= 500:
                failures.append((status, url, response.status_code))
            elif url.endswith(f"/applications/{case_id}") and status != DRAFT:
                if response.status_code != 200:
                    failures.append((status, url, response.status_code))
    assert failures == []


# --- the complaints follow the route of the live services (issue 14: п.17 as portal/complaints/services.py has it)

TERM_COLUMNS = ("code", "term", "starts_from", "starts_on", "due_date", "due_at", "paragraph")


def _terms(complaint) -> dict:
    return {d.code: tuple(getattr(d, c) for c in TERM_COLUMNS) for d in complaint.deadlines}


def _replay(complaint, supervisor):
    """The same complaint filed, and taken along the same route, by portal.complaints.services: what it yields."""
    from portal.complaints import services

    values = {"subject": complaint.subject_ref, "addressee": complaint.addressee, "demands": complaint.demands,
              "arguments": complaint.arguments}
    twin, created = services.file_complaint(complaint.application, complaint.filed_by, values,
                                            received_at=complaint.received_at)
    assert created
    filed = _terms(twin)
    if complaint.outcome == "favourable_act":
        services.adopt_favourable_act(twin, supervisor, complaint.reasons, None, now=complaint.decided_at,
                                      fully_satisfies=True)
    elif complaint.forwarded_at is not None:
        if complaint.forwarded_automatically:
            forward = twin.deadline("complaint_forward")
            # The sweeper forwards at 17:00 of the term's last day (rules/escalation.py).
            from rules.deadlines import auto_forward_at

            assert complaint.forwarded_at == auto_forward_at(forward.due_date)
            assert services.auto_forward(forward, complaint.forwarded_at)
        else:
            services.forward(twin, complaint.forwarded_by, now=complaint.forwarded_at)
    db.session.flush()
    return filed, twin


def test_every_scaled_complaint_is_on_a_route_the_complaint_services_take(app, monkeypatch):
    """Many complaints (a tenth of the cases): each one's filing, forward or favourable act is replayed through
    the services on the same case at the same moments, and must leave the same terms and the same state."""
    from bench.scale import driver
    from portal.complaints.models import AUTHORITY_OUTCOMES, Complaint

    monkeypatch.setattr(driver, "COMPLAINT_SHARE", 0.1)
    with app.app_context():
        scale(300, seed=5)
        complaints = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
        supervisor = db.session.scalar(select(User).filter_by(username="supervisor"))
        routes = Counter()
        for complaint in complaints:
            generated = _terms(complaint)
            assert "complaint_provider" not in generated      # п.18 is the reviewing body's, never the provider's
            filed, twin = _replay(complaint, supervisor)
            assert {code: generated[code] for code in filed} == filed, complaint.number
            # The services stop where the authority's signature is needed: up to there, the same state.
            by_authority = complaint.decided_by == "authority"
            expected = ("at_authority", None, None) if by_authority else (complaint.status, complaint.outcome,
                                                                          complaint.decided_by)
            assert (twin.status, twin.outcome, twin.decided_by) == expected, complaint.number
            assert (twin.forwarded_automatically, twin.authority_registered_on) == (
                complaint.forwarded_automatically, complaint.authority_registered_on), complaint.number
            twin_terms = _terms(twin)
            assert {code: generated[code] for code in twin_terms if code in generated} == twin_terms
            if complaint.decided_by == "authority":
                assert complaint.outcome in AUTHORITY_OUTCOMES and complaint.decision_number
                assert complaint.deadline("complaint_authority").state == "met"
                assert bool(complaint.remedy) == (complaint.deadline("authority_order") is not None) == (
                    complaint.outcome in ("satisfied", "partly_satisfied"))
            routes[(complaint.addressee, complaint.forwarded_automatically if complaint.forwarded_at else None,
                    complaint.decided_by)] += 1
            db.session.rollback()
        # The routes of a year are all there: favourable acts, forwards by hand and by the sweeper, the authority.
        assert routes[("provider", None, "provider")] >= 1, routes
        assert routes[("provider", False, "authority")] + routes[("provider", False, None)] >= 1, routes
        assert routes[("provider", True, "authority")] + routes[("provider", True, None)] >= 1, routes
        assert sum(n for (addressee, _f, _d), n in routes.items() if addressee == "authority") >= 1, routes


def test_the_pages_of_cases_with_a_scaled_complaint_render_for_the_clerk(app, client, auth, monkeypatch):
    from bench.scale import driver
    from portal.complaints.models import Complaint

    monkeypatch.setattr(driver, "COMPLAINT_SHARE", 0.1)
    with app.app_context():
        scale(150, seed=8)
        rows = db.session.execute(select(Complaint.id, Complaint.application_id)).all()
    assert rows
    auth.login("clerk")
    for complaint_id, case_id in rows:
        assert client.get(f"/applications/{case_id}").status_code == 200, case_id
        assert client.get(f"/complaints/{complaint_id}").status_code == 200, complaint_id


def test_flask_demo_scale_runs_the_generator_from_bench(app):
    with app.app_context():
        before = db.session.scalar(select(func.count()).select_from(Application))
    result = app.test_cli_runner().invoke(args=["demo", "scale", "--cases", "40", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "Added 40 cases" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) >= before + 40
