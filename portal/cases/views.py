"""The screens above the steps: the applicant's cabinet and the case page, which read every step (complaints,
decisions, hearings, review). Their routes are on the applications blueprint, where their endpoints have always
been (applications.cabinet, applications.case); the app factory imports this module before registering it."""
from __future__ import annotations

from flask import g, redirect, render_template, url_for

from portal.accounts.models import APPLICANT, CLERK
from portal.applications import next_step, queries, services
from portal.applications.models import KINDS, Application
from portal.applications.views import _load, bp
from portal.cases import queries as case_queries
from portal.complaints import queries as complaint_queries
from portal.complaints.services import missed_deadlines
from portal.core.clock import now_utc
from portal.core.permissions import login_required, roles_required
from portal.core.rendering import render_page, wants_partial
from portal.core.page_cache import cached_page
from portal.deadlines.services import urgency as deadline_urgency
from portal.decisions.models import INTERNAL_EVENTS
from portal.decisions.services import reissue_refusal_due
from portal.documents import services as documents
from portal.notifications import services as notifications
from portal.review.presenters import review_context


# --- the cabinet -----------------------------------------------------------------------------

@bp.route("/cabinet")
@roles_required(APPLICANT)
@cached_page
def cabinet():
    cases, now = queries.cabinet_cases(g.user.organization_id), now_utc()
    steps = next_step.steps_of(cases, APPLICANT, now, case_queries.hearing_facts(g.user.organization_id))
    first = next_step.first_step([(case, steps[case.id]) for case in cases])
    return render_template("applications/cabinet.html", cases=cases, kinds=KINDS, steps=steps, first=first,
                           notifications=notifications.for_organization(g.user.organization_id, now),
                           complaints=complaint_queries.of_organization(g.user.organization_id),
                           inaction={case.id: missed_deadlines(case, now) for case in cases if not case.is_draft})


# --- the case --------------------------------------------------------------------------------

@bp.route("/applications/<int:application_id>")
@login_required
@cached_page
def case(application_id: int):
    application = _load(application_id, options=queries.CASE_PAGE)
    if application.is_draft and services.can_edit(g.user, application):
        return redirect(url_for("applications.edit", application_id=application.id))
    if wants_partial():
        # The status poll (every minute): only the status fragment, none of the page's work.
        return render_page("applications/case.html", "applications/_status.html", application=application)
    # п.12: asked once (it reads the register), for the clerk's step and workbench, who act on it.
    obstacle = reissue_refusal_due(application) if g.user.role == CLERK else None
    deadlines, complaints = case_queries.case_terms(application)  # the case's terms and its complaints' in one read
    return render_page("applications/case.html", "applications/_status.html", application=application,
                       events=case_queries.case_timeline(application, () if g.user.is_staff else INTERNAL_EVENTS),
                       deadlines=deadlines, reissue_obstacle=obstacle,
                       step=_case_step(application, obstacle),  # after case_terms: it reads the terms loaded
                       checklist=services.checklist(application), now=now_utc(), urgency=deadline_urgency,
                       preview_pages={d.id: documents.preview_page_count(d) for d in application.documents},
                       complaints=complaints, **review_context(application, g.user))


def _case_step(application: Application, reissue_obstacle: dict | None) -> next_step.NextStep | None:
    """The case's one next step for the person reading it (its terms loaded by case_terms, its notice and
    booked slot with the case: queries.CASE_PAGE)."""
    facts = next_step.case_facts(application, next_step.hearing_of(application.preliminary_refusal,
                                                                   application.booked_slot), reissue_obstacle is not None)
    return next_step.next_step(facts, g.user.role, now_utc())
