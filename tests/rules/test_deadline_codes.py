"""The vocabulary of term codes is defined once, in rules/deadlines.py, and every procedure speaks it."""
from __future__ import annotations

from rules import deadlines, quality

CODES = {deadlines.REGISTRATION, deadlines.COMPLETENESS, deadlines.REVIEW, deadlines.REISSUE_REVIEW,
         deadlines.SERVICE, deadlines.SERVICE_REISSUE, deadlines.HEARING_NOTICE, deadlines.HEARING,
         deadlines.COMPLAINT_FORWARD, deadlines.COMPLAINT_PROVIDER, deadlines.COMPLAINT_AUTHORITY}


def test_every_term_of_every_procedure_is_a_code_of_the_vocabulary():
    planned = {spec.id for specs in deadlines.PROCEDURES.values() for spec in specs}
    assert planned == CODES
    # A term counts from receipt or from another term of the vocabulary.
    assert {spec.after for specs in deadlines.PROCEDURES.values() for spec in specs} <= CODES | {"receipt"}


def test_the_service_and_complaint_terms_are_the_ones_the_quality_report_reads():
    assert deadlines.SERVICE_TERMS == ("service", "service_reissue")
    assert quality.SERVICE_TERMS is deadlines.SERVICE_TERMS
    assert quality.COMPLAINT_TERMS is deadlines.COMPLAINT_TERMS
    assert set(deadlines.COMPLAINT_TERMS) == {spec.id for name in ("complaint-provider", "complaint-authority")
                                              for spec in deadlines.PROCEDURES[name][1:]}
