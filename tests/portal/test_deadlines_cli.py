"""The CLI contract of the calendar and the deadlines (kept stable: it is how the work is checked)."""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from portal.applications.models import Application
from portal.core.clock import ALMATY
from portal.extensions import db


def plan(runner, procedure, received):
    result = runner.invoke(args=["deadlines", "plan", "--procedure", procedure, "--received", received])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_plan_of_an_accreditation_received_on_a_friday_evening_before_nauryz(runner):
    # Counted by hand: 21–25 March 2026 are days off (Nauryz and its moved days).
    assert plan(runner, "accreditation", "2026-03-20T18:45") == {
        "registration": "2026-03-26", "completeness": "2026-03-30", "review": "2026-04-02",
        "service": "2026-04-09", "hearing_notice": "2026-04-06", "hearing": "2026-04-08",
    }


def test_plan_of_a_reissue(runner):
    assert plan(runner, "reissue", "2026-11-23T10:00:00+05:00") == {
        "registration": "2026-11-23", "reissue_review": "2026-11-25", "completeness": "2026-11-25",
        "service_reissue": "2026-11-30", "hearing_notice": "2026-11-25", "hearing": "2026-11-27",
    }


def test_plan_of_the_complaints(runner):
    # 16 December 2026 (Wednesday) is Independence Day.
    assert plan(runner, "complaint-provider", "2026-12-14T12:00") == {
        "registration": "2026-12-14", "complaint_forward": "2026-12-18", "complaint_provider": "2026-12-22"}
    assert plan(runner, "complaint-authority", "2026-12-14T12:00") == {
        "registration": "2026-12-14", "complaint_authority": "2027-01-08"}


def test_forwarding_a_complaint_counts_from_its_arrival_not_its_registration(runner):
    # Friday 14 March 2025, 19:00: registered on Monday 17 (п.6, п.7), but it arrived on Friday (п.17):
    # forwarding Mon 17, Tue 18, Wed 19; the provider's review Tue 18 – Thu 20, then Nauryz, Wed 26, Thu 27 (п.18).
    assert plan(runner, "complaint-provider", "2025-03-14T19:00") == {
        "registration": "2025-03-17", "complaint_forward": "2025-03-19", "complaint_provider": "2025-03-27"}
    assert plan(runner, "complaint-provider", "2025-03-14T14:00:00+00:00")["complaint_forward"] == "2025-03-19"


def validity(runner, issued):
    return runner.invoke(args=["deadlines", "validity", "--issued", issued])


@pytest.mark.parametrize("issued, valid_until", [
    ("2025-03-10", "2026-03-10"), ("2024-02-29", "2025-02-28"), ("2025-12-31", "2026-12-31")])
def test_validity_ends_on_the_same_month_and_day_of_the_next_year(runner, issued, valid_until):
    result = validity(runner, issued)
    assert result.exit_code == 0, result.output
    assert result.output == json.dumps({"issued": issued, "valid_until": valid_until}) + "\n"
    assert result.output.count("\n") == 1


@pytest.mark.parametrize("issued", ["2025-02-30", "10.03.2025", "20250310", "2025-03-10T10:00", "", "1990-01-01",
                                    "9999-12-31"])
def test_validity_of_a_wrong_date_is_one_line_on_stderr(runner, issued):
    result = validity(runner, issued)
    assert result.exit_code != 0 and result.stdout == ""
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_an_offset_is_honoured(runner):
    # 13:00 UTC is 18:00 in Almaty: within working hours.
    assert plan(runner, "accreditation", "2026-11-27T13:00:00+00:00")["registration"] == "2026-11-27"
    assert plan(runner, "accreditation", "2026-11-27T14:00:00+00:00")["registration"] == "2026-11-30"


@pytest.mark.parametrize("args", [
    ["deadlines", "plan", "--procedure", "accreditation", "--received", "yesterday"],
    ["deadlines", "plan", "--procedure", "divorce", "--received", "2026-01-05T10:00"],
    ["calendar", "add-workdays", "2026-02-30", "3"],
    ["calendar", "add-workdays", "2026-03-02", "-1"],
    ["calendar", "is-workday", "soon"],
    ["calendar", "unset", "2026-03-02"],
    ["deadlines", "explain", "999999"],
])
def test_wrong_input_gets_one_line_and_a_non_zero_exit(runner, args):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert "Error" in result.output


def test_calendar_answers_and_exceptions_are_honoured(runner):
    ask = lambda *a: runner.invoke(args=["calendar", *a]).output.strip()  # noqa: E731
    assert ask("is-workday", "2026-03-23") == "no"
    assert ask("is-workday", "2026-03-26") == "yes"
    assert ask("add-workdays", "2026-03-20", "1") == "2026-03-26"
    assert ask("add-workdays", "2026-03-20", "0") == "2026-03-20"
    assert ask("set-dayoff", "2026-03-26", "--decree", "Decree No. 1 (test)").startswith("2026-03-26")
    assert ask("add-workdays", "2026-03-20", "1") == "2026-03-27"
    assert plan(runner, "accreditation", "2026-03-20T18:45")["registration"] == "2026-03-27"
    assert ask("unset", "2026-03-26").endswith("removed")
    assert ask("add-workdays", "2026-03-20", "1") == "2026-03-26"
    ask("set-workday", "2026-03-21", "--decree", "Decree No. 2 (test)")
    assert ask("is-workday", "2026-03-21") == "yes"
    assert ask("add-workdays", "2026-03-20", "1") == "2026-03-21"


def test_a_year_the_holidays_package_knows_no_transfers_for_is_fixed_by_exceptions(runner):
    ask = lambda *a: runner.invoke(args=["calendar", *a]).output.strip()  # noqa: E731
    assert ask("is-workday", "2031-03-24") == "no"  # Nauryz holidays themselves are known
    ask("set-dayoff", "2031-03-27", "--decree", "Government decree on 2031 transfers (test)")
    ask("set-workday", "2031-03-29", "--decree", "Government decree on 2031 transfers (test)")
    assert ask("is-workday", "2031-03-27") == "no" and ask("is-workday", "2031-03-29") == "yes"
    assert ask("add-workdays", "2031-03-26", "1") == "2031-03-28"


def _registered_case(app) -> Application:
    with app.app_context():
        return db.session.scalar(db.select(Application).filter_by(status="registered"))


def test_explain_shows_each_day_skipped_and_the_paragraph(app, runner):
    from portal.applications import services

    with app.app_context():
        case = db.session.scalar(db.select(Application).filter_by(status="draft"))
        services.save_draft(case, {"legal_name": "X", "bin": "210640005550",
                                   "main": {"settlement": "Астана", "address": "a"}}, None)
        db.session.flush()
        services.submit(case, case.created_by, received_at=datetime(2026, 3, 20, 18, 45, tzinfo=ALMATY))
        db.session.commit()
        case_id = case.id
    result = runner.invoke(args=["deadlines", "explain", str(case_id)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "== service_reissue" in out and "Appendix 2 item 3" in out
    assert "Nowruz Holiday" in out and "weekend" in out and "after working hours" in out


def test_a_new_exception_recomputes_open_deadlines_and_the_timeline_says_so(app, runner):
    from portal.deadlines.models import Deadline
    from portal.events.models import Event

    case = _registered_case(app)
    with app.app_context():
        service = db.session.scalar(db.select(Deadline).filter_by(application_id=case.id, code="service"))
        before = service.due_date
    result = runner.invoke(args=["calendar", "set-dayoff", before.isoformat(), "--decree", "Decree No. 3 (test)"])
    assert result.exit_code == 0
    with app.app_context():
        service = db.session.scalar(db.select(Deadline).filter_by(application_id=case.id, code="service"))
        assert service.due_date > before
        kinds = db.session.scalars(db.select(Event.kind).filter_by(application_id=case.id)).all()
        assert "deadlines.recomputed" in kinds
        registered_on = db.session.get(Application, case.id).registered_on
    assert registered_on == case.registered_on  # a registration that happened never moves
