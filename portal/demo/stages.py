"""The demo's cases at every stage, walked through the real services at the moments the procedure took them.

`flask demo seed` makes one case per stage, so every demo log-in opens onto real work: registered, under review,
a preliminary refusal with a booked hearing, a final decision awaiting signature, a certificate issued (the public
register is not empty), a refusal, a complaint waiting at the provider and one at the authority. Each step is the
service the pages call, run under clock.travel() at a moment of the past working days, so every term, event,
notification and document is the one the procedure would have made then; signed acts are signed with the demo
people's own keys of the development PKI (<instance>/pki/people/<username>/), as the NCALayer stand-in would.

A case is known by its pool's name: a stage whose case exists is skipped, so seeding again changes nothing.
"""
from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from werkzeug.datastructures import FileStorage

from portal.accounts.models import User
from portal.applications import services as applications
from portal.applications.models import Application
from portal.calendar.services import current_calendar
from portal.complaints import services as complaints
from portal.core.clock import ALMATY, now_utc, travel
from portal.decisions import services as decisions
from portal.extensions import db
from portal.gateway.services import fetch_state_facts
from portal.hearings import services as hearings
from portal.review import services as review
from portal.signatures import services as signatures
from portal.signatures.signing import sign_xml

STEPPE_ACT = "ИБ-2025/044"  # the act the development gateway knows as negative (portal/gateway/development.py)
log = logging.getLogger("tyndau.demo")
PLACE = "Астана, пр. Мәңгілік Ел, 8, Дом министерств, каб. 301"


def application_data(organization, pool: str, **changes) -> dict:
    """A complete application of Appendix 1 for the organisation's pool (what the demo applicant typed)."""
    data = {
        "kind": "accreditation", "legal_name": organization.name, "bin": organization.bin,
        "legal_address": organization.legal_address, "pool_name": pool,
        "main": {"settlement": "Астана", "address": "ул. Сығанақ, 10", "provider_1": "Kazakhtelecom",
                 "provider_2": "Transtelecom"},
        "backups": [{"settlement": "Караганда", "address": "ул. Ерубаева, 1", "provider_1": "Kazakhtelecom",
                     "provider_2": "Beeline"}],
        "support_24_7": True, "ui_languages": ["kk", "ru", "en"], "security_act_number": "ИБ-2026/117",
        "state_service_integration": True, "consent_secrets": True, "consent_personal_data": True,
    }
    return {**data, **changes}


def specimen_pdf(title: str) -> bytes:
    """A one-page PDF that says it is a demo specimen (Latin letters only: the standard Helvetica font)."""
    lines = ["Tyndau - demo specimen, not a real document", title[:80]]
    text = "".join(f"BT /F1 14 Tf 72 {760 - 24 * i} Td ({line}) Tj ET\n" for i, line in enumerate(lines))
    stream = text.encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
               b"/Contents 4 0 R >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    return assemble_pdf(objects)


def assemble_pdf(objects: list[bytes]) -> bytes:
    """A PDF file of these numbered objects (1 is the catalog), with its cross-reference table."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


@dataclass
class Walk:
    """The demo's people, their keys, and the working days counted back from the last one before today."""

    users: dict[str, User]
    people_dir: Path
    last_workday: date

    @classmethod
    def start(cls, users: dict[str, User], people_dir: Path) -> Walk:
        calendar = current_calendar()
        day = now_utc().astimezone(ALMATY).date() - timedelta(days=1)
        while not calendar.is_workday(day):
            day -= timedelta(days=1)
        return cls(users, people_dir, day)

    def at(self, workdays_ago: int, hour: int, minute: int = 0) -> datetime:
        """hh:mm Asia/Almaty of the working day `workdays_ago` working days before the last one before today."""
        day = self.last_workday
        if workdays_ago:
            day = current_calendar().subtract_workdays(day, workdays_ago)
        return datetime.combine(day, time(hour, minute), tzinfo=ALMATY)

    def signed(self, xml: bytes, username: str) -> bytes:
        """The document signed with the person's own signing key (RSA), as NCALayer returns it."""
        folder = self.people_dir / username
        return sign_xml(xml, (folder / "sign.key").read_bytes(), (folder / "sign.pem").read_bytes())

    @property
    def clerk(self) -> User:
        return self.users["clerk"]


# --- the steps, each the service a page calls ------------------------------------------------

def filed(walk: Walk, username: str, pool: str, received: datetime, **changes) -> Application:
    """The applicant fills in the form, attaches the documents and submits it signed with its EDS (App. 2 item 10)."""
    applicant = walk.users[username]
    with travel(received - timedelta(minutes=40)):
        case = applications.start_draft(applicant, "accreditation", applicant.organization)
        applications.save_draft(case, application_data(applicant.organization, pool, **changes), applicant)
        db.session.flush()
        for item in applications.missing_documents(case):
            upload = FileStorage(io.BytesIO(specimen_pdf(f"{item['code']}: {pool}")), filename=f"{item['code']}.pdf",
                                 content_type="application/pdf")
            applications.attach(case, item["code"], upload, applicant)
    with travel(received):
        signed = walk.signed(signatures.application_document(case), username)
        if not applications.submit_with_signature(case, applicant, signed, received_at=received):
            raise RuntimeError(f"the demo application of {pool} was not submitted")
    return case


def checked(walk: Walk, case: Application, moment: datetime) -> None:
    """п.7: the clerk finds the package complete (the rules propose no missing document: all are attached)."""
    with travel(moment):
        review.decide_completeness(case, walk.clerk, [], "", None)


def reviewed(walk: Walk, case: Application, moment: datetime) -> None:
    """п.8: the clerk asks the state systems, then accepts what the rules propose (grounds, or none)."""
    with travel(moment):
        fetch_state_facts(case, walk.clerk)
        proposal = review.propose_review(case)
        verdicts = {g["number"]: {"accept": True, "reason": ""} for g in proposal["grounds"]}
        review.decide_review(case, walk.clerk, verdicts, {}, "", None, None)


def noticed(walk: Walk, case: Application, moment: datetime | None = None):
    """п.9–п.10: the notice of the preliminary refusal names the first free lawful time; the applicant is booked."""
    with travel(moment or now_utc()):
        first = hearings.proposable_slots(case, walk.clerk, now_utc())[0]
        return hearings.send_preliminary_refusal(case, walk.clerk, "in_person", PLACE, None, proposed=first)


def drafted(walk: Walk, case: Application, moment: datetime):
    with travel(moment):
        return decisions.draft(case, walk.clerk, None)


def signed_decision(walk: Walk, decision, moment: datetime) -> None:
    """п.11: the signatory signs the decision as issued that day with their own key."""
    with travel(moment):
        db.session.flush()
        signed = walk.signed(decisions.document_to_sign(decision), "signatory")
        decisions.sign(decision, walk.users["signatory"], signed)


def complained(walk: Walk, case: Application, username: str, subject: str, addressee: str, received: datetime,
               demands: str, arguments: str):
    with travel(received):
        complaint, _created = complaints.file_complaint(
            case, walk.users[username], {"subject": subject, "addressee": addressee, "demands": demands,
                                         "arguments": arguments}, received_at=received)
        return complaint


# --- the stages ------------------------------------------------------------------------------

def under_review(walk: Walk, pool: str) -> None:
    """Filed on the last working day, found complete: the clerk's review (п.8) is next."""
    case = filed(walk, "applicant", pool, walk.at(1, 10, 15))
    checked(walk, case, walk.at(0, 11, 30))


def awaiting_signature(walk: Walk, pool: str) -> None:
    """No grounds found; the clerk drafted the certificate: the signatory's to sign."""
    case = filed(walk, "applicant", pool, walk.at(4, 9, 40))
    checked(walk, case, walk.at(3, 11))
    reviewed(walk, case, walk.at(2, 15))
    drafted(walk, case, walk.at(0, 10))


def certificate_issued(walk: Walk, pool: str) -> None:
    """The whole path to a certificate (Appendix 3), signed two weeks ago: the public register shows it."""
    case = filed(walk, "applicant", pool, walk.at(15, 10))
    checked(walk, case, walk.at(14, 12))
    reviewed(walk, case, walk.at(12, 16))
    signed_decision(walk, drafted(walk, case, walk.at(11, 10)), walk.at(10, 15))


def hearing_booked(walk: Walk, pool: str) -> None:
    """Ground 2 found (the state systems know the security test act as negative); the notice went out today with a
    hearing time the applicant holds. The applicant has complained to the provider about it today: the supervisor's
    3 working days (п.17) run, then the sweeper forwards it to the authority."""
    case = filed(walk, "applicant2", pool, walk.at(5, 11), security_act_number=STEPPE_ACT)
    checked(walk, case, walk.at(4, 10))
    reviewed(walk, case, walk.at(3, 14))
    refusal = noticed(walk, case)
    complained(walk, case, "applicant2", f"preliminary_refusal:{refusal.id}", "provider", now_utc(),
               "Отменить предварительное решение об отказе и продолжить рассмотрение заявления.",
               "Повторные испытания пройдены в ноябре; новый акт с положительным результатом направлен письмом.")


def refused(walk: Walk, pool: str) -> None:
    """Grounds found, a hearing held where they stood, a motivated refusal (Appendix 4) signed; the applicant has
    complained about it to the authority, whose 15 working days (п.19) run."""
    case = filed(walk, "applicant2", pool, walk.at(16, 10), security_act_number=STEPPE_ACT)
    checked(walk, case, walk.at(15, 11))
    reviewed(walk, case, walk.at(14, 15))
    refusal = noticed(walk, case, walk.at(13, 10))
    slot = hearings.booked_slot(case)
    with travel(slot.starts_at - timedelta(hours=2)):
        hearings.state_position(case, "Замечания испытаний устранены; повторные испытания назначены, акт будет "
                                      "представлен после них.", walk.users["applicant2"])
    with travel(slot.ends_at + timedelta(minutes=15)):
        stands = {str(g["number"]): f"Акт № {STEPPE_ACT} отрицательный; акта с положительным результатом "
                                    "заявитель не представил и на заслушивании." for g in refusal.grounds}
        hearings.record_hearing(case, walk.clerk, {
            "outcome": "refusal_upheld", "held_at": slot.starts_at, "attended": True,
            "participants": "Петров Р. А. (директор); Омарова Д. Е. (главный эксперт)",
            "arguments": "Заявитель сообщил, что повторные испытания ещё не проведены.",
            "examined": f"Акт испытаний № {STEPPE_ACT}; сведения государственных информационных систем.",
            "stands": stands}, None)
    decision = drafted(walk, case, walk.at(10, 11))
    signed_decision(walk, decision, walk.at(9, 16))
    complained(walk, case, "applicant2", f"decision:{decision.id}", "authority", walk.at(5, 12),
               "Отменить решение об отказе и выдать свидетельство.",
               "Отказ не учёл, что замечания испытаний были устранены до решения.")


# The pool of each stage's case, in the order they are made (the oldest first keeps the numbers in time order).
STAGES = [
    ("Steppe Reserve", refused),  # applicant2's
    ("Altyn Hash Prime", certificate_issued),  # applicant's, as are the East and West ones
    ("Steppe North", hearing_booked),  # applicant2's
    ("Altyn Hash East", awaiting_signature),
    ("Altyn Hash West", under_review),
]


def build(users: dict[str, User], people_dir: Path) -> dict[str, str]:
    """Make the case of every stage that has none yet; returns {pool: "made" or why it could not be}.

    A stage the services refuse (a calendar nobody foresaw, keys missing) is undone alone and reported, so the
    laptop's `make run` still starts with the others.
    """
    walk = Walk.start(users, people_dir)
    made = {}
    for pool, stage in STAGES:
        if db.session.scalar(db.select(Application.id).filter_by(pool_name=pool).limit(1)) is not None:
            continue
        try:
            with db.session.begin_nested():
                stage(walk, pool)
                db.session.flush()
            made[pool] = "made"
        except Exception as exc:  # noqa: BLE001 — reported by the command; the other stages go on
            log.exception("demo stage %s failed", pool)
            made[pool] = f"not made: {type(exc).__name__}: {exc}"
    return made
