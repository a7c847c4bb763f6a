"""`flask demo scale --cases N`: a realistic database of N cases, written in bulk (development and benchmarks only).

The cases are spread over the stages in the proportions of a real year (proportions.py): most are closed
(certificate issued, refused after a hearing, refused as incomplete), a few percent are open at each stage, a
few per thousand are overdue, a couple of percent are drafts, and about one in a hundred has a complaint. Every
case gets what the portal itself would have written on the way, one module per stage:

* filing.py: its kind and registration day, the application, its complexes and documents' metadata, receipt
  and registration;
* review.py: the state systems' answer, the completeness check, the review of the grounds;
* hearing.py: the preliminary refusal, a booked slot, a waiver or a position, the hearing's record;
* decision.py: the final decision, drafted and signed;
* deadlines.py: its terms (met, closed, missed or open with their next check) and the sweeper's effects;
* complaints.py: a complaint on the route of portal/complaints/services.py;
* timeline.py: the event chain and the mail to the applicant; driver.py runs it all, loader.py writes it.

Times follow the Rules: each step happens on a working day inside its term, counted by rules/ with the calendar
in force, so the sweeper finds nothing to do right after a run (except what becomes due later). Rows are dicts
keyed by column name with ids chosen here, never made through the ORM, written per chunk of cases.

What is left out on purpose: the bytes of the documents (only the demo organisations' documents get a small
sample PDF on disk; the others have no file, and the portal answers 404 for them), the signed XML of the final
decisions and of the authority's decisions on complaints (their .xml answers 404; the numbers, the content and
the register work), the staff's notices and the outbox's pending reminders.

Not part of the runtime: the portal imports it only inside the `flask demo scale` command.
"""
from bench.scale.driver import Summary, scale
from bench.scale.proportions import OPEN_STAGES, STAGES, expected_overdue, stage_shares

__all__ = ["OPEN_STAGES", "STAGES", "Summary", "expected_overdue", "scale", "stage_shares"]
