"""The route inventory: no URL appears or disappears unnoticed, and each declares who may use it."""
from __future__ import annotations

EXPECTED = {
    ("GET", "/"), ("GET", "/language/<code>"), ("GET", "/healthz"), ("GET", "/readyz"),
    ("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/me"),
    ("GET", "/login/eds"), ("POST", "/login/eds"), ("GET", "/login/eds/challenge.xml"),
    ("GET", "/verify"), ("POST", "/verify"), ("GET", "/applications/<int:application_id>/application.xml"),
    ("GET", "/applications/<int:application_id>/signatures/<int:signature_id>/report.json"),
    ("GET", "/applications/<int:application_id>/signatures/<int:signature_id>/document.xml"),
    ("GET", "/cabinet"), ("POST", "/applications/new"),
    ("GET", "/applications/<int:application_id>/edit"), ("POST", "/applications/<int:application_id>/edit"),
    ("GET", "/applications/check-bin"),
    ("GET", "/applications/<int:application_id>/documents"), ("POST", "/applications/<int:application_id>/documents"),
    ("POST", "/applications/<int:application_id>/documents/<int:document_id>/delete"),
    ("GET", "/applications/<int:application_id>/documents/<int:document_id>"),
    ("GET", "/applications/<int:application_id>/documents/<int:document_id>/preview/<int:page>"),
    ("GET", "/applications/<int:application_id>/submit"), ("POST", "/applications/<int:application_id>/submit"),
    ("GET", "/applications/<int:application_id>"),
    ("GET", "/applications/<int:application_id>/deadlines/<int:deadline_id>/days"),
    ("GET", "/staff/cases"), ("GET", "/staff/paper"), ("POST", "/staff/paper"),
    ("GET", "/admin/calendar/"), ("POST", "/admin/calendar/"), ("POST", "/admin/calendar/<day>/delete"),
    ("GET", "/api/monitoring/events"), ("GET", "/staff/deadlines"),
    ("POST", "/staff/cases/<int:application_id>/state-facts"),
    ("GET", "/staff/cases/<int:application_id>/completeness"), ("POST", "/staff/cases/<int:application_id>/completeness"),
    ("GET", "/staff/cases/<int:application_id>/review"), ("POST", "/staff/cases/<int:application_id>/review"),
    ("GET", "/static/<path:filename>"),
    ("POST", "/staff/cases/<int:application_id>/decision"), ("GET", "/staff/decisions"),
    ("GET", "/staff/decisions/<int:decision_id>"), ("POST", "/staff/decisions/<int:decision_id>"),
    ("GET", "/staff/decisions/<int:decision_id>/document-to-sign.xml"),
    ("POST", "/staff/decisions/<int:decision_id>/return"),
    ("GET", "/staff/cases/<int:application_id>/decision/preview"),
    ("GET", "/staff/cases/<int:application_id>/decision/preview.pdf"),
    ("POST", "/staff/cases/<int:application_id>/decision/resend"),
    ("GET", "/applications/<int:application_id>/decision"), ("GET", "/applications/<int:application_id>/decision.xml"),
    ("GET", "/verify/number"), ("GET", "/register"), ("GET", "/applications/<int:application_id>/decision.pdf"), ("POST", "/applications/<int:application_id>/hearing/position.xml"),
    ("GET", "/staff/cases/<int:application_id>/preliminary-refusal"),
    ("POST", "/staff/cases/<int:application_id>/preliminary-refusal"),
    ("GET", "/staff/cases/<int:application_id>/hearing-record"), ("POST", "/staff/cases/<int:application_id>/hearing-record"),
    ("GET", "/applications/<int:application_id>/hearing"), ("POST", "/applications/<int:application_id>/hearing/book"),
    ("POST", "/applications/<int:application_id>/hearing/waive"),
    ("POST", "/applications/<int:application_id>/hearing/position"),
    ("POST", "/applications/<int:application_id>/hearing/documents"),
    ("GET", "/applications/<int:application_id>/hearing.ics"),
    ("GET", "/authority/quality"), ("GET", "/authority/quality.csv"),
    # Complaints (chapter 3).
    ("GET", "/applications/<int:application_id>/complaints/new"), ("POST", "/applications/<int:application_id>/complaints/new"),
    ("POST", "/applications/<int:application_id>/complaints/new.xml"),
    ("GET", "/complaints/<int:complaint_id>"), ("GET", "/complaints/<int:complaint_id>/decision.xml"),
    ("POST", "/complaints/<int:complaint_id>/favourable-act"), ("POST", "/complaints/<int:complaint_id>/forward"),
    ("POST", "/complaints/<int:complaint_id>/order-carried-out"),
    ("POST", "/complaints/<int:complaint_id>/authority-decision"),
    ("POST", "/complaints/<int:complaint_id>/authority-decision.xml"),
    ("GET", "/staff/complaints"), ("GET", "/authority/complaints"),
    ("GET", "/authority/cases/<int:application_id>"), ("GET", "/authority/cases/<int:application_id>/archive.zip"),
}


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            yield method, rule.rule, rule.endpoint


def test_the_routes_are_the_expected_ones(app):
    assert {(m, r) for m, r, _ in routes(app)} == EXPECTED


def test_every_view_declares_who_may_use_it(app):
    undeclared = [endpoint for _m, _r, endpoint in routes(app)
                  if endpoint != "static" and not hasattr(app.view_functions[endpoint], "roles")]
    assert undeclared == []
