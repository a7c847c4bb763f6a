"""What each event of a case's log is called (the kinds the domains record with events.record()).

The kinds are the domains' own words ("hearing.booked"); their names live here, in one table, because the
timeline, the archive's log and the monitoring pages read them together. A name with %(…)s takes the event's
data; those that choose their words from the data (or name a term, a complaint) are small functions.
details() says the rest of an event's data in words, for the archive's log: "label: value", never JSON.
"""
from __future__ import annotations

from datetime import date, datetime

from portal.core.i18n import cite, official_date, official_datetime
from portal.core.i18n import lazy_gettext as _l
from portal.core.labels import label, register
from portal.events.chain import CHANGED, EXTRA, HEAD_MISMATCH, MISSING


def _day(value) -> str:
    """An ISO day of the event's data as the documents write it (dd.MM.yyyy); anything else as it is."""
    try:
        return official_date(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value or "")


def _complaint(text):
    return lambda d: [(text, {"number": d["complaint"]})]


def _term(text):
    return lambda d: [(text, {"code": label(d["code"], "deadline")})]


def _notice_sent(d):
    parts = [(_l("Preliminary decision to refuse and hearing notice sent"), {})]
    if d["late"]:
        parts.append((_l("late, after the last lawful moment of п.10; reason: %(reason)s"),
                      {"reason": d["late_reason"]}))
    return parts


def _forwarded(d):
    if d["automatic"]:
        return [(_l("Complaint %(number)s forwarded automatically to the quality-control authority"),
                 {"number": d["complaint"]})]
    return [(_l("Complaint %(number)s forwarded with the case to the quality-control authority"),
             {"number": d["complaint"]})]


EVENTS = {
    "application.draft_created": _l("Draft created"),
    "application.draft_saved": _l("Draft saved"),
    "document.attached": _l("Document attached: %(name)s"),
    "document.removed": _l("Document removed: %(name)s"),
    "application.submitted": _l("Application received"),
    "application.registered": _l("Application registered under number %(number)s"),
    "deadlines.planned": _l("Deadlines set under the Rules"),
    "deadlines.recomputed": lambda d: [(_l("Deadlines recomputed after a change of the working-day calendar "
                                           "(%(day)s)"), {"day": _day(d["day"])})],
    "deadline.warning": _term(_l("Warning: a deadline is one working day from breach (%(code)s)")),
    "deadline.missed": _term(_l("Deadline missed (%(code)s)")),
    "state_facts.fetched": _l("Data received from state information systems"),
    "completeness.complete": _l("The package of documents is complete"),
    "completeness.refused": _l("Motivated refusal of further consideration of the application"),
    "review.decided": _l("Review against the Rules completed"),
    "preliminary_refusal.sent": _notice_sent,
    "hearing.booked": _l("Hearing time booked"),
    "hearing.rescheduled": _l("Hearing rescheduled"),
    "hearing.waived": _l("The applicant declined the hearing"),
    "hearing.position_stated": _l("The applicant stated its position"),
    # A waiver is recorded as the hearing's outcome too (п.10): it must never read as a hearing held.
    "hearing.recorded": lambda d: [(_l("The applicant's waiver of the hearing recorded") if d.get("waived")
                                    else _l("Hearing held and recorded"), {})],
    "signature.verified": _l("Signed document received and its EDS verified"),
    "decision.drafted": _l("Final decision drafted"),
    "decision.returned": _l("Final decision returned by the signatory to the clerk"),
    "decision.resent": _l("Final decision prepared again and sent for signature"),
    "decision.signed": _l("Final decision signed and issued: %(number)s"),
    "complaint.filed": _complaint(_l("Complaint %(number)s filed and registered")),
    "complaint.favourable_act": _complaint(_l("Complaint %(number)s fully satisfied by a favourable act")),
    "complaint.forwarded": _forwarded,
    "complaint.decided": _complaint(_l("Decision on complaint %(number)s")),
    "complaint.order_opened": lambda d: [(_l("The authority's order on complaint %(number)s is due by %(day)s"),
                                          {"number": d["complaint"], "day": _day(d["due"])})],
    "complaint.order_carried_out": _complaint(_l("The authority's order on complaint %(number)s carried out")),
}

register("event", EVENTS)

# Why a case's event log is broken (ChainReport.reason), with the place: %(seq)s the first broken event's number,
# %(last)s the number of events the head expects (events/_chain_status.html).
CHAIN_BREAKS = {
    CHANGED: _l("Event no. %(seq)s, or its link to the event before it, has been changed since it was recorded."),
    MISSING: _l("Events recorded before event no. %(seq)s have been removed."),
    HEAD_MISMATCH: _l("Events from no. %(seq)s to no. %(last)s have been removed from the end of the log."),
    EXTRA: _l("Event no. %(seq)s was not recorded by the portal: the log does not expect it."),
}

register("chain_break", CHAIN_BREAKS)


# --- the rest of an event's data, in words (the archive's log) ------------------------------

def _yes_no(value) -> str:
    return str(_l("yes") if value else _l("no"))


def _named(kind):
    return lambda value, _event_kind: label(value, kind)


def _kind(_value, event_kind):
    return "decision_kind" if event_kind.startswith("decision.") else "application_kind"


def _outcome(value, event_kind):
    return label(value, "complaint_outcome" if event_kind.startswith("complaint.") else "hearing_outcome")


def _document_or_term(value, event_kind):
    return label(value, "document") if event_kind.startswith("document.") else None  # a term is in the title


def _terms(value, _event_kind):
    """{code: day} (the plan) or {code: [from, to]} (a recount): each term by its name."""
    if not isinstance(value, dict):
        return _day(value)
    return "; ".join(f"{label(code, 'deadline')}: " + (" → ".join(_day(d) for d in day) if isinstance(day, list)
                                                         else _day(day)) for code, day in value.items())


def _findings(value, _event_kind):
    return "; ".join(f"{label(f.get('code'), 'document')} — {label(f.get('problem'), 'document_problem')}"
                     for f in value or [] if isinstance(f, dict))


def _grounds(value, _event_kind):
    return "; ".join(str(_l("Appendix 2 item 9 subparagraph %(n)d", n=int(n))) for n in value or [])


def _conditions(value, _event_kind):
    return "; ".join(label(code, "condition") for code in value or [])


def _moment(value, _event_kind):
    try:
        return official_datetime(datetime.fromisoformat(str(value)))
    except ValueError:
        return ""


def _text(value, _event_kind):
    return str(value or "")


def _cite(value, _event_kind):
    return cite(value)


# field of the data -> (its name, how its value is said); fields not listed are said by the title, or are for
# the machine (ids, hashes of the chain): the full data stays in events.json beside the PDF.
FIELDS = {
    "code": (_l("Document"), _document_or_term),
    "kind": (_l("Kind"), lambda value, event_kind: label(value, _kind(value, event_kind))),
    "route": (_l("Route"), _named("route")),
    "registered_on": (_l("Registered"), lambda value, _k: _day(value)),
    "findings": (_l("Documents"), _findings),
    "grounds": (_l("Grounds for refusal"), _grounds),
    "overridden": (_l("The clerk departed from the rules' finding on conditions of п.4"), _conditions),
    "method": (_l("How the hearing is held"), _named("hearing_method")),
    "proposed_at": (_l("Proposed time"), _moment),
    "starts_at": (_l("When"), _moment),
    "attended": (_l("The applicant took part"), lambda value, _k: _yes_no(value)),
    "signed": (_l("Signed with an electronic digital signature"), lambda value, _k: _yes_no(value)),
    "outcome": (_l("Outcome"), _outcome),
    "purpose": (_l("Signed document"), _named("signature_purpose")),
    "indication": (_l("Result of the check"), _named("signature_indication")),
    "subject": (_l("About"), _named("complaint_subject_ref")),
    "addressee": (_l("Addressed to"), _named("addressee")),
    "by": (_l("Who decided"), _named("decider")),
    "decision": (_l("Decision"), _text),
    "due": (_l("Last day"), _terms),
    "moves": (_l("Deadlines"), _terms),
    "paragraph": (_l("Paragraph of the Rules"), _cite),
    "note": (_l("What was done"), _text),
    "comment": (_l("Comment"), _text),
}


def details(event_kind: str, data: dict | None) -> list[tuple[str, str]]:
    """The event's data as (name, value in words) pairs, in FIELDS' order; empty values left out."""
    data = data or {}
    out = []
    for field, (name, say) in FIELDS.items():
        if field in data and data[field] not in (None, "", [], {}):
            value = say(data[field], event_kind)
            if value:
                out.append((str(name), value))
    return out
