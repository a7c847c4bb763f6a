"""The clerk's workbench actions on a case: state facts, completeness, review."""
from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, request, url_for
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import CLERK
from portal.applications.access import case_changed, case_or_404
from portal.core.concurrency import version_from
from portal.core.permissions import roles_required
from portal.core.xmltext import xml_text
from portal.extensions import db
from portal.gateway.services import fetch_state_facts, latest_state_facts
from portal.law.services import law_for
from portal.review import services
from rules.law import LANGS

bp = Blueprint("review", __name__, url_prefix="/staff/cases/<int:application_id>")


def _typed(name: str) -> str:
    """A text the clerk typed, as every form's text is read (portal.core.forms): without what XML cannot carry."""
    return xml_text(request.form.get(name, ""))


def _back(application_id: int):
    return redirect(url_for("applications.case", application_id=application_id))



@bp.route("/state-facts", methods=["POST"])
@roles_required(CLERK)
def state_facts(application_id: int):
    application = case_or_404(application_id)
    fetch_state_facts(application, g.user)
    db.session.commit()
    return _back(application_id)


@bp.route("/completeness", methods=["GET", "POST"])
@roles_required(CLERK)
def completeness(application_id: int):
    application = case_or_404(application_id)
    proposal = services.propose_completeness(application)
    errors = {}
    if request.method == "POST":
        findings = [dict(zip(("code", "problem"), xml_text(value).split(":", 1))) for value in request.form.getlist("finding")
                    if ":" in value]
        try:
            services.decide_completeness(application, g.user, findings, _typed("note"), version_from(request.form.get("version")),
                                         override_reason=_typed("override_reason"))
            db.session.commit()
            return _back(application_id)
        except services.WrongStage:
            return case_changed(application_id)
        except StaleDataError:
            return case_changed(application_id)
        except services.InvalidDecision as exc:
            db.session.rollback()
            errors = exc.errors
    required = law_for(application).document_list(application.kind, application.route)
    chosen = ({v for v in request.form.getlist("finding")} if request.method == "POST"
              else {f"{f['code']}:{f['problem']}" for f in proposal})
    return render_template("review/completeness.html", application=application, proposal=proposal,
                           required=required, chosen=chosen, errors=errors,
                           note=_typed("note"), override_reason=_typed("override_reason")), 422 if errors else 200


def _findings(law) -> dict[str, dict]:
    """The clerk's own findings on conditions of п.4: condition-<code> = met | not_met, with its reason."""
    return {c.code: {"status": request.form.get(f"condition-{c.code}"), "reason": _typed(f"condition-{c.code}-reason")}
            for c in law.conditions if request.form.get(f"condition-{c.code}") in ("met", "not_met")}


def _reasonings() -> dict[int, dict]:
    """The reasoning of each proposed ground as the clerk confirmed or edited it, per language sent."""
    out: dict[int, dict] = {}
    for n in range(1, 6):
        for lang in LANGS:
            name = f"ground-{n}-reasoning-{lang}"
            if name in request.form:
                out.setdefault(n, {})[lang] = _typed(name)
    return out


@bp.route("/review", methods=["GET", "POST"])
@roles_required(CLERK)
def review(application_id: int):
    application = case_or_404(application_id)
    law = law_for(application)
    unreliable = {"yes": True, "no": False}.get(request.values.get("documents_unreliable", ""))
    findings = _findings(law) if request.method == "POST" else {}
    errors = {}
    # "Update the proposal" runs the rules again with the clerk's findings, and the reasoning they write anew.
    recompute = request.method == "POST" and "recompute" in request.form
    if request.method == "POST" and not recompute:
        verdicts = {n: {"accept": request.form.get(f"ground-{n}") == "accept",
                        "reason": _typed(f"ground-{n}-reason")}
                    for n in range(1, 6) if request.form.get(f"ground-{n}") in ("accept", "reject")}
        added = {n: _typed(f"add-{n}-reason") for n in range(1, 6) if request.form.get(f"add-{n}")}
        try:
            services.decide_review(application, g.user, verdicts, added, _typed("note"), unreliable,
                                   version_from(request.form.get("version")), findings=findings,
                                   reasonings=_reasonings())
            db.session.commit()
            return _back(application_id)
        except (services.WrongStage, StaleDataError):
            return case_changed(application_id)
        except services.InvalidDecision as exc:
            db.session.rollback()
            errors = exc.errors
    proposal = services.propose_review(application, unreliable,
                                       {c: f for c, f in findings.items() if f["reason"]})
    reasonings = {} if recompute else _reasonings()
    return render_template("review/review.html", application=application, proposal=proposal,
                           law=law, facts=latest_state_facts(application), errors=errors,
                           form=request.form, unreliable=unreliable, findings=findings, reasonings=reasonings,
                           langs=LANGS), 422 if errors else 200
