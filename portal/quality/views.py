"""The quality report for the quality-control authority and the provider's supervisor: page and CSV."""
from __future__ import annotations

import csv
import io

from flask import Blueprint, make_response, render_template, request
from flask_babel import format_decimal, format_percent
from portal.core.i18n import lazy_gettext as _l

from portal.accounts.models import AUTHORITY, SUPERVISOR
from portal.core.clock import today_local
from portal.core.i18n import gettext as _
from portal.core.labels import label
from portal.core.permissions import roles_required
from portal.quality import services
from portal.quality.charts import bar_chart
from portal.quality.forms import PeriodForm
from rules import quality as rules

bp = Blueprint("quality", __name__)

RESULT_LABELS = {
    rules.CERTIFICATE: _l("Accreditation certificate"),
    rules.REFUSAL: _l("Motivated refusal"),
    rules.REFUSED_CONSIDERATION: _l("Motivated refusal of further consideration of the application"),
}
STAGE_LABELS = {
    rules.REGISTRATION_TO_COMPLETENESS: _l("Registration to the completeness check"),
    rules.TO_REVIEW: _l("Completeness check to the review decision"),
    rules.TO_NOTICE: _l("Review decision to the preliminary refusal notice"),
    rules.TO_HEARING: _l("Notice to the hearing"),
    rules.TO_DECISION: _l("Previous step to the signed final decision"),
    rules.TOTAL: _l("Registration to the result (the whole service)"),
}
REFUSAL_LABELS = {
    rules.UPHELD: _l("The grounds for refusal are confirmed"),
    rules.WITHDRAWN: _l("The grounds for refusal are withdrawn"),
    rules.WAIVED: _l("The applicant declined the hearing"),
    rules.PENDING: _l("No hearing recorded yet"),
}
COMPLAINT_LABELS = {
    "favourable_act": _l("Favourable act of the provider (п.17)"),
    "satisfied": _l("Satisfied"),
    "partly_satisfied": _l("Partly satisfied"),
    "refused": _l("Not satisfied"),
    "not_considered": _l("Left without consideration"),
    rules.PENDING: _l("Not decided yet"),
}
CASES_LISTED = 50  # late and overdue cases named on the page; the rest are counted


def _labelled(label, part) -> str:
    """"Label: part" for a CSV row (the parts translated on their own, so Babel finds them)."""
    return f"{label}: {part}"

def days(value: float | None) -> str:
    return "" if value is None else format_decimal(value, format="#,##0.0")


def share(part: int, whole: int) -> str:
    return format_percent(part / whole, format="#,##0%") if whole else ""


def _period():
    """The form, and the period it asks for (None when a date is wrong)."""
    form = PeriodForm(request.args)
    if not form.validate():
        return form, None
    period = form.period(today_local())
    form.date_from.data, form.date_to.data = period  # the fields show the period the figures are for
    return form, period


def charts(provider: rules.ProviderReport) -> dict:
    stages = provider.stages
    return {
        "services": bar_chart(f"chart-services-{provider.provider}", _("Services: on time and late"), [
            (_("Delivered on time"), provider.on_time, str(provider.on_time), "ok"),
            (_("Delivered late"), provider.late, str(provider.late), "late"),
            (_("Service term over, no result yet"), provider.overdue, str(provider.overdue), "warn"),
        ]),
        "stages": bar_chart(f"chart-stages-{provider.provider}", _("Average working days per stage"), [
            (STAGE_LABELS[s], stages[s].average, days(stages[s].average) or "—", "brand") for s in rules.STAGES
        ]),
        "refusals": bar_chart(f"chart-refusals-{provider.provider}", _("Preliminary refusals after the hearing"), [
            (REFUSAL_LABELS[o], n, str(n), "muted" if o == rules.PENDING else "brand")
            for o, n in provider.refusals.items()
        ]),
        "complaints": bar_chart(f"chart-complaints-{provider.provider}", _("Complaints by outcome"), [
            (COMPLAINT_LABELS[o], row["total"], str(row["total"]), "muted" if o == rules.PENDING else "brand")
            for o, row in provider.complaints.items()
        ]),
    }


def _page(form, period):
    context = {"form": form, "report": None}
    if period is not None:
        report = services.report(*period)
        listed = [i for p in report.providers.values()
                  for i in p.late_case_ids[:CASES_LISTED] + p.overdue_case_ids[:CASES_LISTED]]
        context.update(report=report, charts={key: charts(p) for key, p in report.providers.items()},
                       numbers=services.case_numbers(listed),
                       csv_args={name: day.strftime("%d.%m.%Y") for name, day in zip(("date_from", "date_to"), period)})
    body = render_template(
        "quality/report.html", provider_name=services.provider_name, days=days, share=share, rules=rules,
        result_labels=RESULT_LABELS, stage_labels=STAGE_LABELS, refusal_labels=REFUSAL_LABELS,
        complaint_labels=COMPLAINT_LABELS, cases_listed=CASES_LISTED, **context)
    return make_response(body, 200 if period is not None else 422)


@bp.route("/authority/quality")
@roles_required(AUTHORITY, SUPERVISOR)
def report():
    return _page(*_period())


def figures(report: rules.QualityReport) -> list[tuple[str, str, str, str]]:
    """Every figure of the page as (provider, section, figure, value): the rows of the CSV."""
    rows = []
    for key, p in report.providers.items():
        name = services.provider_name(key)

        def add(section, figure, value):
            rows.append((name, str(section), str(figure), value if isinstance(value, str) else str(value)))

        section = _("Services")
        add(section, _("Registered in the period"), p.registered)
        add(section, _("Delivered on time"), p.on_time)
        add(section, _("Delivered late"), p.late)
        add(section, _("Service term over, no result yet"), p.overdue)
        add(section, _("Share delivered on time"), share(p.on_time, p.delivered_total))
        for result, counts in p.delivered.items():
            add(section, _labelled(RESULT_LABELS[result], _("on time")), counts["on_time"])
            add(section, _labelled(RESULT_LABELS[result], _("late")), counts["late"])
        section = _("Working days per stage")
        for stage, figure in p.stages.items():
            add(section, _labelled(STAGE_LABELS[stage], _("stages counted")), figure.count)
            add(section, _labelled(STAGE_LABELS[stage], _("average")), days(figure.average))
            add(section, _labelled(STAGE_LABELS[stage], _("longest")), "" if figure.longest is None else figure.longest)
        section = _("Preliminary refusals")
        for outcome, n in p.refusals.items():
            add(section, REFUSAL_LABELS[outcome], n)
        add(section, _("Total"), p.refusals_total)
        section = _("Complaints")
        for outcome, row in p.complaints.items():
            add(section, _labelled(COMPLAINT_LABELS[outcome], _("total")), row["total"])
            if outcome != rules.PENDING:
                add(section, _labelled(COMPLAINT_LABELS[outcome], _("decided by the provider")), row["provider"])
                add(section, _labelled(COMPLAINT_LABELS[outcome], _("decided by the authority")), row["authority"])
            add(section, _labelled(COMPLAINT_LABELS[outcome], _("late")), row["late"])
        add(section, _("Total"), p.complaints_total)
        add(section, _("Complaints with a term breached"), p.complaints_late)
        for code, n in p.complaints_late_by_term.items():
            add(section, _labelled(_("Term breached"), label(code, "deadline")), n)
    return rows


@bp.route("/authority/quality.csv")
@roles_required(AUTHORITY, SUPERVISOR)
def report_csv():
    form, period = _period()
    if period is None:
        return _page(form, None)  # the page, with the message next to the wrong date
    report = services.report(*period)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    date_from, date_to = (d.strftime("%d.%m.%Y") for d in period)
    writer.writerow([_("From"), _("To"), _("Service provider"), _("Section"), _("Figure"), _("Value")])
    for row in figures(report):
        writer.writerow([date_from, date_to, *row])
    # The BOM makes Excel read UTF-8 (Cyrillic, Kazakh letters); ";" is the list separator of the
    # ru-KZ and kk-KZ locales, so the columns open split in Excel there.
    response = make_response("\ufeff" + out.getvalue())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="quality-{period[0].isoformat()}-{period[1].isoformat()}.csv"')
    return response
