"""The pages people use all day make a fixed, small number of SQL statements, whatever the number of cases.

Counted with SQLAlchemy's before_cursor_execute event around one request, with 20 and then with 200
scaled cases (bench.scale); each page must make at most MAX statements and the same number both times.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bench.scale import scale
from portal.applications.models import Application
from portal.extensions import db
from tests.portal.support import Counter, main_pages

MAX = 8


def _case_of(app, organization_bin: str | None = None) -> int:
    """A closed case with the most on its page (hearing, decisions): the heaviest common case page."""
    from portal.accounts.models import Organization

    with app.app_context():
        query = select(Application.id).where(Application.status == "refused").order_by(Application.id)
        if organization_bin:
            query = query.join(Organization, Organization.id == Application.organization_id).where(
                Organization.bin == organization_bin)
        found = db.session.scalar(query.limit(1))
        return found or db.session.scalar(select(Application.id).where(Application.status != "draft")
                                          .order_by(Application.id.desc()).limit(1))


def _measure(app, auth_factory, pages) -> dict[str, list[str]]:
    app.extensions["page_cache"].size = 0  # what a page costs when it is made (a kept page costs one statement)
    counts = {}
    for name, (role, path) in pages.items():
        client = app.test_client()
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        auth_factory(client).login(role)
        client.get(path)  # warm: the first request of a process loads what every later one reuses
        headers = {"HX-Request": "true"} if "htmx" in name else {}
        with Counter(app) as counter:
            response = client.get(path, headers=headers)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = counter.statements
    return counts


def test_each_page_makes_at_most_eight_statements_and_as_many_with_200_cases_as_with_20(app):
    from portal.demo.data import ORGANIZATIONS
    from tests.conftest import Auth

    with app.app_context():
        scale(20, seed=3)
    case_id = _case_of(app, ORGANIZATIONS[0]["bin"])
    pages = main_pages(app, case_id)
    few = _measure(app, Auth, pages)
    with app.app_context():
        scale(180, seed=5)  # none of its complaints is the demo applicant's: the cabinet shows the same kinds of rows
    many = _measure(app, Auth, pages)
    report = {name: (len(few[name]), len(many[name])) for name in pages}
    too_many = {name: counts for name, counts in report.items() if max(counts) > MAX}
    growing = {name: counts for name, counts in report.items() if counts[0] != counts[1]}
    detail = "\n".join(f"--- {name}\n" + "\n".join(s.split("\n")[0][:160] for s in many[name])
                       for name in {**too_many, **growing})
    assert not too_many and not growing, f"{report}\n{detail}"


@pytest.mark.parametrize("role", ["clerk", "applicant"])
def test_the_case_page_stays_within_eight_statements_at_every_stage(app, role):
    """Small and large cases, at every stage: a case with many documents, events and deadlines costs no more."""
    from tests.conftest import Auth
    from tests.portal.support import login_as

    with app.app_context():
        scale(120, seed=9)
        rows = db.session.execute(select(Application.id, Application.status, Application.organization_id)
                                  .where(Application.status != "draft").order_by(Application.id)).all()
    by_status = {}
    for case_id, status, organization_id in rows:
        by_status.setdefault(status, (case_id, organization_id))
    assert len(by_status) >= 10
    app.extensions["page_cache"].size = 0  # each page made, not read from the cache
    counts = {}
    for status, (case_id, organization_id) in by_status.items():
        client = app.test_client()
        if role == "applicant":
            from portal.accounts.models import User

            with app.app_context():
                user_id = db.session.scalar(select(User.id).where(User.organization_id == organization_id,
                                                                  User.role == "applicant").order_by(User.id))
            login_as(client, app, user_id)
        else:
            Auth(client).login(role)
        client.get(f"/applications/{case_id}")
        with Counter(app) as counter:
            assert client.get(f"/applications/{case_id}").status_code == 200
        counts[status] = len(counter.statements)
    assert max(counts.values()) <= MAX, counts


def test_the_queue_walk_orders_exactly_as_the_grouped_query(app):
    """staff_cases reads only the open terms a page needs; the order is still nearest deadline first, then by id."""
    from sqlalchemy import func

    from portal.applications.models import DRAFT
    from portal.applications.queries import staff_cases
    from portal.deadlines.models import OPEN, Deadline

    with app.app_context():
        scale(200, seed=11)
        for filters in ({}, {"stage": "registered"}, {"kind": "reissue"}, {"stage": "certificate_issued",
                                                                           "kind": "accreditation"}):
            nearest = (select(Deadline.application_id, func.min(Deadline.due_at).label("due_at"))
                       .where(Deadline.state == OPEN, Deadline.complaint_id.is_(None))
                       .group_by(Deadline.application_id).subquery())
            reference = (select(Application.id).outerjoin(nearest, nearest.c.application_id == Application.id)
                         .where(Application.status != DRAFT,
                                *([Application.status == filters["stage"]] if "stage" in filters else []),
                                *([Application.kind == filters["kind"]] if "kind" in filters else []))
                         .order_by(nearest.c.due_at.is_(None), nearest.c.due_at, Application.id))
            expected = list(db.session.scalars(reference))
            got, page = [], 1
            while True:
                result = staff_cases(filters, page, None, None, page_size=7)
                assert result.total == len(expected)
                if not result.items:
                    break
                got += [case.id for case in result.items]
                page += 1
            assert got == expected, filters
