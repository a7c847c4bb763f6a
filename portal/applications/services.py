"""Operations on applications: drafts, documents, submission and registration (п.5–п.7)."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.accounts.models import APPLICANT, CLERK, Organization
from portal.core.faults import pause
from portal.applications.models import CHANCELLERY, DRAFT, PORTAL, REGISTERED, REISSUE, Application, Complex
from portal.calendar.services import current_calendar
from portal.core.clock import now_utc
from portal.core.concurrency import check_version, lock_for_update
from portal.core.errors import WrongStage
from portal.core.i18n import lazy_gettext as _l
from portal.core.i18n import gettext as _
from portal.deadlines.services import open_plan
from portal.documents import services as documents
from portal.events import services as events
from portal.extensions import db
from portal.law.services import law_for, law_in_force
from portal.notifications import hooks as notifications
from portal.signatures import services as signatures

FIELDS = ("kind", "legal_name", "bin", "legal_address", "pool_name", "support_24_7", "security_act_number",
          "security_act_date", "state_service_integration", "consent_secrets", "consent_personal_data",
          "reissue_certificate_number", "reissue_reason")
TEXT_FIELDS = {"kind", "legal_name", "bin", "legal_address", "pool_name", "security_act_number",
               "reissue_certificate_number", "reissue_reason"}
COMPLEX_FIELDS = ("settlement", "address", "provider_1", "provider_2")


class AlreadySubmitted(WrongStage):
    """The application left the draft stage: it can no longer be edited.

    Views load a draft for editing only while it is one (applications.views._load), so only attach(), which
    locks and reads the row again after the upload, can meet it: its view says the case was submitted meanwhile.
    """


# What the register of certificates says of a re-issuance (п.12): the register, above the steps that issue the
# certificates, registers its answers (portal/register/queries.py), so this first step names none of them.
# "obstacle": application -> dict | None (decisions.certificates.reissue_obstacle); "sentence": obstacle -> str.
_certificates: dict = {}


def register_certificates(obstacle, sentence) -> None:
    _certificates.update(obstacle=obstacle, sentence=sentence)


def certificate_number(typed: str | None) -> str:
    """A certificate number as the register keeps it (typed in any case, with spaces around)."""
    return (typed or "").strip().upper()


class ReissueRefused(Exception):
    """A portal re-issuance naming a certificate it cannot replace (п.12): `obstacle` says why."""

    def __init__(self, obstacle: dict):
        super().__init__(obstacle["code"])
        self.obstacle = obstacle

    @property
    def sentence(self) -> str:
        return _certificates["sentence"](self.obstacle)


# --- who sees what ---------------------------------------------------------------------------

def can_edit(user, application: Application) -> bool:
    if not application.is_draft:
        return False
    if user.role == APPLICANT:
        return application.organization_id == user.organization_id and application.route == PORTAL
    # A paper submission is the chancellery's clerk's to complete, as its intake is (/staff/paper).
    return user.role == CLERK and application.route == CHANCELLERY


# --- drafts ----------------------------------------------------------------------------------

def start_draft(user, kind: str, organization: Organization, route: str = PORTAL) -> Application:
    application = Application(kind=kind, route=route, organization=organization, created_by=user,
                              legal_name=organization.name, bin=organization.bin,
                              legal_address=organization.legal_address)
    application.complexes = [Complex(role="main", position=0)]
    db.session.add(application)
    events.record(application, "application.draft_created", actor=user, kind=kind, route=route)
    return application


def form_data(application: Application) -> dict:
    """The application as the form's initial data."""
    data = {name: getattr(application, name) for name in FIELDS}
    data["ui_languages"] = sorted(application.ui_language_set)
    main = application.main_complex
    data["main"] = {f: getattr(main, f) for f in COMPLEX_FIELDS} if main else {}
    data["backups"] = [{f: getattr(c, f) for f in COMPLEX_FIELDS} for c in application.backup_complexes] or [{}]
    return data


def save_draft(application: Application, data: dict, actor, expected_version: int | None = None) -> None:
    """Write the form's data into the draft; nothing typed is dropped, empty backups are."""
    if not application.is_draft:
        raise AlreadySubmitted()
    check_version(application, expected_version)
    # Who applies is the organisation behind the draft (the applicant's EDS log-in, or the chancellery's
    # paper intake): a BIN typed into the form never replaces it (the form says so next to the field).
    application.bin = application.organization.bin
    for name in FIELDS:
        if name in data and name != "bin":
            value = data[name]
            if name in TEXT_FIELDS:
                value = (value or "").strip()
            setattr(application, name, value)
    application.ui_languages = ",".join(code for code in ("kk", "ru", "en") if code in (data.get("ui_languages") or []))
    complexes = [Complex(role="main", position=0, **_complex(data.get("main") or {}))]
    backups = [b for b in data.get("backups") or [] if any((b.get(f) or "").strip() for f in COMPLEX_FIELDS)]
    complexes += [Complex(role="backup", position=i + 1, **_complex(b)) for i, b in enumerate(backups)]
    application.complexes = complexes
    events.record(application, "application.draft_saved", actor=actor)


def _complex(values: dict) -> dict:
    return {f: (values.get(f) or "").strip() for f in COMPLEX_FIELDS}


# --- documents (Appendix 2 item 8) -----------------------------------------------------------

def required_documents(application: Application) -> list[dict]:
    """The list Appendix 2 item 8 gives for this kind and route, in the version that governs the case."""
    listed = law_for(application).document_list(application.kind, application.route)
    return [{"code": doc.code, "names": doc.name, "paragraph": listed.paragraph,
             # On the portal the application itself is the form the applicant fills in and signs.
             "provided_by_form": doc.code == "application" and application.route == PORTAL}
            for doc in listed.documents]


def checklist(application: Application) -> list[dict]:
    """Each required document with the files attached to it; `missing` when none is."""
    attached: dict[str, list] = {}
    for document in application.documents:
        attached.setdefault(document.code, []).append(document)
    items = []
    for item in required_documents(application):
        files = attached.get(item["code"], [])
        provided_by_form = item.get("provided_by_form", False)
        items.append({**item, "files": files, "missing": not files and not provided_by_form})
    return items


def missing_documents(application: Application) -> list[dict]:
    return [item for item in checklist(application) if item["missing"]]


def attach(application: Application, code: str, upload, actor, expires_on=None):
    """Keep an uploaded file with the draft. The body has been read by now (seconds, for a large file): the
    draft's row is locked and read again, so a submission that came meanwhile wins and the file is refused."""
    lock_for_update(application)
    if not application.is_draft:
        raise AlreadySubmitted()
    if code not in {item["code"] for item in required_documents(application)}:
        raise documents.UploadRejected(_l("This document is not on the list of this application."))
    document = documents.store_upload(application, code, upload, actor, expires_on)
    events.record(application, "document.attached", actor=actor, code=code, name=document.original_name,
                  sha256=document.sha256)
    return document


def detach(application: Application, document, actor) -> None:
    if not application.is_draft:
        raise AlreadySubmitted()
    events.record(application, "document.removed", actor=actor, code=document.code, name=document.original_name)
    db.session.delete(document)
    db.session.flush()
    documents.remove_file(document)  # the bytes go once the deletion commits


# --- submission and registration (п.6, п.7) --------------------------------------------------

def submit(application: Application, actor, received_at: datetime | None = None,
           expected_version: int | None = None) -> bool:
    """Submit once: the draft becomes a registered case with its deadlines.

    Returns False when it had already been submitted (a double click, a retried request):
    the conditional UPDATE lets exactly one request move it out of the draft stage.
    With expected_version, also when the draft changed since that version was read.
    """
    lock_for_update(application)  # an upload in progress waits, then finds the case submitted (attach)
    claim = _reissue_claim(application)
    received_at = received_at or now_utc()
    registered_on = current_calendar().registration_date(received_at)
    law_record, _law = law_in_force(registered_on)
    values = dict(status=REGISTERED, received_at=received_at, registered_on=registered_on,
                  law_version_id=law_record.id, registered_by_id=actor.id, bin=application.organization.bin,
                  number=f"{registered_on.year}-{application.id:06d}", version=Application.version + 1)
    register = (update(Application)
                .where(Application.id == application.id, Application.status == DRAFT,
                       *([Application.version == expected_version] if expected_version is not None else []))
                .execution_options(synchronize_session=False))
    try:
        with db.session.begin_nested():
            moved = db.session.execute(register.values(**values, reissue_claim=claim)).rowcount
    except IntegrityError:
        # Another re-issuance of the same certificate was submitted at the same moment and holds it (the
        # partial index uq_application_reissue_claim; PostgreSQL makes this one wait for that one's commit).
        if application.route == PORTAL:
            db.session.rollback()
            raise ReissueRefused(_certificates["obstacle"](application) or {"code": "claimed", "number": claim, "case": ""})
        moved = db.session.execute(register.values(**values, reissue_claim=None)).rowcount
    if moved != 1:
        db.session.rollback()
        return False
    db.session.refresh(application)
    events.record(application, "application.submitted", actor=actor, at=received_at, route=application.route)
    events.record(application, "application.registered", actor=actor, number=application.number,
                  registered_on=registered_on.isoformat())
    open_plan(application)
    notifications.application_accepted(application)
    pause("submit")  # test-only (core/faults.py): a worker killed before the submission commits
    return True


def _reissue_claim(application: Application) -> str | None:
    """The certificate number a re-issuance takes hold of at submission (п.12), or None.

    On the portal a certificate that cannot be re-issued stops the submission (ReissueRefused: the page says
    why). On paper the chancellery registers what it received (п.7) without the hold, and the provider answers
    with a motivated refusal under п.12 (decisions.services.kind_due), signed like every Appendix 4 document.
    """
    if application.kind != REISSUE or not certificate_number(application.reissue_certificate_number):
        return None  # an empty number is a missing field of Appendix 1 (missing_fields), not a hold
    obstacle = _certificates["obstacle"](application)
    if obstacle is None:
        return certificate_number(application.reissue_certificate_number)
    if application.route == PORTAL:
        db.session.rollback()
        raise ReissueRefused(obstacle)
    return None


def signature_required(application: Application) -> bool:
    """Whether this submission must come as a signed XML document.

    Appendix 2 item 10 and item 8 sub-item 2: an electronic application is certified by the
    applicant's EDS. Enforced for the portal route when REQUIRE_EDS_FOR_PORTAL is set.
    """
    return application.route == PORTAL and bool(current_app.config.get("REQUIRE_EDS_FOR_PORTAL", False))


def submit_with_signature(application: Application, actor, signed_xml: bytes | None,
                          received_at: datetime | None = None) -> bool:
    """submit(), with the applicant's signed application when given or required.

    The signed document must be valid, the organisation's (BIN) and say what the draft says;
    its report is kept with the case. Raises SignatureRefused otherwise.
    """
    if application.route != PORTAL:
        signed_xml = None  # a paper submission is signed on paper
    if signed_xml is None:
        if signature_required(application):
            raise signatures.SignatureRefused("application.signature_required")
        return submit(application, actor, received_at=received_at)
    version = application.version
    report = signatures.verify_application(application, signed_xml)
    if not submit(application, actor, received_at=received_at, expected_version=version):
        if application.is_draft:  # saved by someone else meanwhile: what was signed is not the draft
            raise signatures.SignatureRefused("application.changed", report)
        return False
    signatures.record(application, "application", signed_xml, report, actor)
    return True


def missing_fields(application: Application) -> list[str]:
    """Names of the Appendix 1 fields still empty; submission waits for them."""
    missing = []
    if not application.legal_name:
        missing.append(_("Full name of the legal entity"))
    if not application.bin:
        missing.append(_("BIN"))
    main = application.main_complex
    if main is None or not main.settlement or not main.address:
        missing.append(_("Location of the main hardware-software complex"))
    if application.kind == "reissue" and not application.reissue_certificate_number:
        missing.append(_("Number of the certificate to re-issue"))
    return missing


def problems(application: Application) -> list[str]:
    """What stops the submission: empty Appendix 1 fields, and a re-issuance of someone else's certificate."""
    found = missing_fields(application)
    # On the portal the applicant is told at once; a paper application is registered as received (п.7)
    # and the provider answers it with a motivated refusal under п.12 (reissue_warning tells the clerk).
    if application.kind == REISSUE and application.route == PORTAL and application.reissue_certificate_number:
        if (obstacle := _certificates["obstacle"](application)) is not None:
            found.append(_certificates["sentence"](obstacle))
    return found


def reissue_warning(application: Application) -> str | None:
    """For the clerk registering or handling a paper re-issuance: why the certificate it names cannot be re-issued."""
    if application.kind != REISSUE or not application.reissue_certificate_number:
        return None
    obstacle = _certificates["obstacle"](application)
    return _certificates["sentence"](obstacle) if obstacle is not None else None


def organization_for(bin_: str, name: str) -> Organization:
    """The organisation with this BIN; a paper submission from a new one registers it."""
    organization = db.session.scalar(db.select(Organization).filter_by(bin=bin_))
    if organization is None:
        organization = Organization(bin=bin_, name=name)
        db.session.add(organization)
        db.session.flush()
    return organization
