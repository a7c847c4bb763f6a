"""The run: the demo seed, a dozen colleagues, organisations, then the cases stage by stage, written per chunk."""
from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, text

from bench.scale import complaints, decision, deadlines, filing, hearing, review
from bench.scale.case import Case, Org
from bench.scale.common import LAST_MINUTE, ONE_YEAR, Days, bin_of, rr, sample_pdf, sorted_dumps
from bench.scale.loader import Loader
from bench.scale.proportions import (CASES_PER_DEMO_ORGANIZATION, CHANCELLERY_SHARE, COMPLAINT_SHARE, FIRST_NAMES,
                                     OPEN_STAGES, SCALE_CLERKS, SCALE_SIGNATORIES, SETTLEMENTS, STREETS, SURNAMES,
                                     WORDS, expected_overdue, plan_stages, spread)
from bench.scale.timeline import check_canonical, write_events
from portal.accounts.models import CLERK, SIGNATORY
from portal.applications.models import (ACCREDITATION, CHANCELLERY, CLAIM_RELEASED, INCOMPLETE_REFUSED, PORTAL,
                                        REFUSED, REISSUE, Application)
from portal.calendar.services import current_calendar
from portal.core.clock import ALMATY, now_utc
from portal.demo.cli import seed as demo_seed
from portal.extensions import db
from portal.hearings.models import HearingSlot
from portal.law.services import law_in_force

CHUNK = 5000                   # cases per batch of COPY / executemany
# Foreign keys first: the order in which each chunk is written (a complaint's terms name it).
ORDER = ("organization", "user_account", "application", "complex", "document", "state_facts", "review_decision",
         "complaint", "deadline", "deadline_effect", "event", "preliminary_refusal", "hearing_slot", "hearing_record",
         "decision", "outbox", "event_chain_head")
WITH_IDS = tuple(name for name in ORDER if name != "event_chain_head")


@dataclass
class Summary:
    cases: int = 0
    stages: dict = field(default_factory=dict)
    overdue: int = 0
    complaints: int = 0
    rows: dict = field(default_factory=dict)
    seconds: float = 0.0
    fast_path: bool = False
    cpu_seconds: float = 0.0          # this process (generating and formatting the rows)
    server_cpu_seconds: float | None = None  # the PostgreSQL backend that received the COPYs


class Generator:
    """What every stage reads (the random source, the calendar, the law, the staff) and where rows go."""

    def __init__(self, seed: int, now: datetime | None = None):
        self.rng = random.Random(seed)
        self.rand = self.rng.random
        self.now = (now or now_utc()).astimezone(timezone.utc)
        self.users = demo_seed()
        check_canonical()
        record, law = law_in_force(self.now.astimezone(ALMATY).date())
        self.days, self.law = Days(current_calendar(), law, record.id), law
        self.documents = {(kind, route): [d.code for d in law.document_list(kind, route).documents]
                          for kind in (ACCREDITATION, REISSUE) for route in (PORTAL, CHANCELLERY)}
        self.document_names = {d.code: d.name for kind in (ACCREDITATION, REISSUE)
                               for d in law.document_list(kind, PORTAL).documents}
        self.next_id = {name: (db.session.scalar(text(f'SELECT max(id) FROM "{name}"')) or 0) + 1
                        for name in WITH_IDS}
        self.buffers: dict[str, list[dict]] = {name: [] for name in ORDER}
        self.rows: dict[str, int] = {}
        self.summary = Summary()
        self.base, self.base_minutes = self._base()
        # A term whose last day is the base day is over already when that day's work has ended (evenings, weekends).
        self.base_closed = self.now > self.days.calendar.end_of_day(self.base)
        self.sample = sample_pdf()
        self.sample_sha = hashlib.sha256(self.sample).hexdigest()
        self.uploads = current_app.config["UPLOADS_DIR"]
        self.certificates: dict[int, tuple[str, date, date]] = {}  # organisation -> its latest certificate
        # The certificates an open re-issuance holds (п.12; the partial unique index allows one holder each).
        self.claimed: set[str] = set(db.session.scalars(select(Application.reissue_claim).where(
            Application.reissue_claim.is_not(None), Application.status.not_in(CLAIM_RELEASED))))
        self.proposals: dict[int | None, str] = {}
        self.planned: dict[tuple[str, date], str] = {}
        self.slots_taken = {tuple(row) for row in db.session.execute(
            select(HearingSlot.clerk_id, HearingSlot.starts_at).where(HearingSlot.starts_at > self.now))}
        self.supervisor_id, self.authority_id = self.users["supervisor"].id, self.users["authority"].id

    def _base(self) -> tuple[date, int]:
        """The last working day with room for today's steps (before noon, today's work has not happened yet),
        and the minutes after 09:00 its steps may take."""
        local = self.now.astimezone(ALMATY)
        today, calendar = local.date(), self.days.calendar
        if calendar.is_workday(today) and local.time() >= dtime(12, 0):
            return today, min((local.hour - 9) * 60 + local.minute - 1, LAST_MINUTE)
        return calendar.subtract_workdays(today, 1), LAST_MINUTE

    def new_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def add(self, table: str, row: dict) -> None:
        self.buffers[table].append(row)

    def planned_json(self, procedure: str, registered_on: date, plan: dict) -> str:
        key = (procedure, registered_on)
        hit = self.planned.get(key)
        if hit is None:
            hit = self.planned[key] = sorted_dumps({"due": {code: d.due_date.isoformat() for code, d in plan.items()}})
        return hit

    # --- people ------------------------------------------------------------------------------
    def staff(self) -> None:
        """The demo clerk and signatory work with a dozen colleagues (the demo ones first)."""
        self.clerks = [self.users["clerk"].id]
        self.signatories = [self.users["signatory"].id]
        existing = dict(db.session.execute(text("SELECT username, id FROM user_account WHERE username LIKE "
                                                "'scale-clerk-%' OR username LIKE 'scale-signatory-%'")).all())
        for role, count, target in ((CLERK, SCALE_CLERKS, self.clerks),
                                    (SIGNATORY, SCALE_SIGNATORIES, self.signatories)):
            for n in range(1, count + 1):
                username = f"scale-{role}-{n:02d}"
                if username in existing:
                    target.append(existing[username])
                    continue
                user_id = self.new_id("user_account")
                self._account(user_id, username, f"{self.rng.choice(SURNAMES)} {self.rng.choice(FIRST_NAMES)}",
                              f"{username}@gov.example.kz", role, None, self.now)
                target.append(user_id)

    def _account(self, user_id, username, full_name, email, role, organization_id, created) -> None:
        """An account without a password (it cannot log in)."""
        self.add("user_account", {"id": user_id, "username": username, "full_name": full_name, "email": email,
                                  "role": role, "iin": None, "organization_id": organization_id,
                                  "password_hash": "", "active": True, "created_at": created})

    def organization(self) -> Org:
        """A new organisation with one applicant account."""
        rng, rand = self.rng, self.rand
        org_id = self.new_id("organization")
        bin_ = bin_of(org_id)
        name = f'ТОО "{rng.choice(WORDS)} {rng.choice(WORDS)} Pool {org_id}"'
        address = f"{rng.choice(SETTLEMENTS)}, {rng.choice(STREETS)}, {rr(rand, 1, 200)}"
        created = self.now - timedelta(days=ONE_YEAR + rr(rand, ONE_YEAR))
        self.add("organization", {"id": org_id, "bin": bin_, "name": name, "legal_address": address,
                                  "created_at": created})
        user_id = self.new_id("user_account")
        email = f"org{org_id}@example.kz"
        self._account(user_id, f"scale-applicant-{org_id}", f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}",
                      email, "applicant", org_id, created)
        return Org(org_id, user_id, email, bin_, name, address)

    def demo_organizations(self) -> list[Org]:
        return [Org(u.organization_id, u.id, u.email, u.organization.bin, u.organization.name,
                    u.organization.legal_address or "") for u in (self.users["applicant"], self.users["applicant2"])]

    # --- the run -----------------------------------------------------------------------------
    def run(self, count: int) -> Summary:
        started, cpu_started = time.perf_counter(), time.process_time()
        self.staff()
        self.demo_orgs = self.demo_organizations()
        # Nothing is read through the session from here on: the loader's connection writes alone.
        db.session.commit()
        loader = Loader(db.engine, db.metadata.tables, list(ORDER))
        self.summary.fast_path = loader.fast
        try:
            self.generate(loader, count)
        except BaseException:
            loader.abort()
            raise
        loader.finish(list(WITH_IDS), ["event_chain_head"])
        summary = self.summary
        summary.server_cpu_seconds = loader.server_cpu
        summary.cpu_seconds = round(time.process_time() - cpu_started, 1)
        summary.cases, summary.rows = count, dict(self.rows)
        summary.seconds = round(time.perf_counter() - started, 1)
        return summary

    def generate(self, loader: Loader, count: int) -> None:
        """The stages in their proportions; overdue cases spread over the open ones, complaints over the refused."""
        rand, demo_orgs = self.rand, self.demo_orgs
        stages = plan_stages(count, self.rng)
        overdue_left = expected_overdue(count)
        open_total = sum(1 for s in stages if s in OPEN_STAGES) or 1
        complaints_left = round(COMPLAINT_SHARE * count)
        refused_total = sum(1 for s in stages if s in (REFUSED, INCOMPLETE_REFUSED)) or 1
        demo_quota = min(CASES_PER_DEMO_ORGANIZATION, max(1, count // 20)) if count >= 2 else count
        org, org_left, demo_index = None, 0, 0
        open_seen = refused_seen = 0
        for index, stage in enumerate(stages):
            if demo_index < len(demo_orgs) and (org is None or org in demo_orgs) and org_left <= 0:
                org, org_left = demo_orgs[demo_index], demo_quota
                demo_index += 1
            elif org_left <= 0:
                org, org_left = self.organization(), self.rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8))
            org_left -= 1
            overdue = complaint = False
            if stage in OPEN_STAGES:
                open_seen += 1
                if spread(overdue_left, open_total, open_seen, rand):
                    overdue, overdue_left = True, overdue_left - 1
            if stage in (REFUSED, INCOMPLETE_REFUSED):
                refused_seen += 1
                if spread(complaints_left, refused_total, refused_seen, rand):
                    complaint, complaints_left = True, complaints_left - 1
            self.case(stage, org, overdue, complaint, demo=org in demo_orgs)
            if (index + 1) % CHUNK == 0:
                self.flush(loader)
        self.flush(loader)

    def flush(self, loader: Loader) -> None:
        for name in ORDER:
            rows = self.buffers[name]
            if rows:
                loader.write(name, rows)
                self.rows[name] = self.rows.get(name, 0) + len(rows)
                self.buffers[name] = []
        loader.commit()

    def case(self, stage: str, org: Org, overdue: bool, complaint: bool, demo: bool) -> None:
        """One case, stage after stage as far as `stage`; then its terms, a complaint, the case row, its timeline."""
        rng = self.rng
        summary = self.summary
        summary.stages[stage] = summary.stages.get(stage, 0) + 1
        summary.overdue += overdue
        case = Case(self, stage, org, overdue, complaint, demo, app_id=self.new_id("application"),
                    route=CHANCELLERY if rng.random() < CHANCELLERY_SHARE else PORTAL,
                    clerk=rng.choice(self.clerks), signatory=rng.choice(self.signatories))
        filing.schedule(self, case)
        filing.receipt(self, case)
        filing.fate(self, case)
        filing.details(self, case)
        uploaded = filing.documents(self, case)
        if case.registered_on is None:
            filing.application_row(self, case, None, uploaded)
            write_events(self, case.app_id, case.events)
            return
        filing.register(self, case)
        review.completeness(self, case)
        review.review(self, case)
        hearing.preliminary_refusal(self, case)
        decision.decide(self, case)
        overdue_since = deadlines.case_deadlines(self, case)
        if complaint:
            complaints.complaint(self, case)
        filing.application_row(self, case, overdue_since, max(e.at for e in case.events))
        write_events(self, case.app_id, case.events)


def scale(cases: int, seed: int = 1, now: datetime | None = None) -> Summary:
    """Add `cases` realistic cases (and their organisations) to the database; returns what was written."""
    if cases < 0:
        raise ValueError("the number of cases cannot be negative")
    summary = Generator(seed, now).run(cases)
    db.session.expire_all()
    return summary
