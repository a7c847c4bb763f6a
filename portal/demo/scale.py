"""`flask demo scale --cases N`: a realistic database of N cases, written in bulk.

The cases are spread over the stages in the proportions of a real year: most are closed
(certificate issued, refused after a hearing, refused as incomplete), a few percent are
open at each stage, a few per thousand are overdue, a couple of percent are drafts, and
about one in a hundred has a complaint. Every case gets what the portal itself would have
written on the way: its complexes, its documents' metadata, its deadlines (met, closed,
missed or open with their next check), the effects the sweeper recorded, its timeline, the
state systems' answer, the clerk's decisions, the preliminary refusal and the hearing's
record on the refusal path, the final decision and the notifications mailed to the
applicant. Times follow the Rules: each step happens on a working day inside its term,
counted by rules/ with the calendar in force, so the sweeper finds nothing to do right
after a run (except what becomes due later).

Speed: rows are generated as tuples with ids chosen here, never through the ORM, and
written per chunk of cases: PostgreSQL gets COPY (psycopg's cursor.copy), anything else an
executemany of plain INSERTs. A superuser's session sets session_replication_role=replica
during the load, which skips the foreign-key triggers (the rows are consistent by
construction and SQLite, which checks them, runs the same generator in the tests).

What is left out on purpose: the bytes of the documents (only the demo organisations'
documents get a small sample PDF on disk; the others have no file, and the portal answers
404 for them), the signed XML of the final decisions (decision.xml answers 404; the
number, the content and the register work), and the outbox's pending reminders.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import time
from dataclasses import dataclass, field
from datetime import date, datetime, time as dtime, timedelta, timezone

from flask import current_app
from sqlalchemy import text

from portal.applications.models import (ACCREDITATION, AWAITING_DECISION, CERTIFICATE_ISSUED, CHANCELLERY,
                                        DECISION_DRAFTED, DRAFT, GROUNDS_FOUND, HEARING_HELD, INCOMPLETE_REFUSED,
                                        PORTAL, PRELIMINARY_REFUSAL, REFUSED, REGISTERED, REISSUE, UNDER_REVIEW)
from portal.calendar_admin.services import current_calendar
from portal.core.clock import ALMATY, now_utc
from portal.decisions.services import PROVIDER
from portal.extensions import db
from portal.law.services import law_in_force
from rules import deadlines as rules_deadlines
from rules.escalation import warn_from
from rules.identifiers import make_identifier

# --- proportions of a year -------------------------------------------------------------------

# Share of all cases at each final or current stage.
STAGES: tuple[tuple[str, float], ...] = (
    (CERTIFICATE_ISSUED, 0.700),
    (REFUSED, 0.075),              # after a preliminary refusal and a hearing
    (INCOMPLETE_REFUSED, 0.120),   # п.7: the package was incomplete
    (DRAFT, 0.020),                # started, never submitted
    (REGISTERED, 0.014),
    (UNDER_REVIEW, 0.014),
    (GROUNDS_FOUND, 0.006),
    (AWAITING_DECISION, 0.012),
    (PRELIMINARY_REFUSAL, 0.012),
    (HEARING_HELD, 0.005),
    (DECISION_DRAFTED, 0.012),
)
OPEN_STAGES = (REGISTERED, UNDER_REVIEW, GROUNDS_FOUND, AWAITING_DECISION, PRELIMINARY_REFUSAL, HEARING_HELD,
               DECISION_DRAFTED)
CLOSED_STAGES = (CERTIFICATE_ISSUED, REFUSED, INCOMPLETE_REFUSED)
OVERDUE_SHARE = 0.003          # of all cases: open with a missed deadline
REISSUE_SHARE = 0.20           # of the cases of an organisation that already holds a certificate
CHANCELLERY_SHARE = 0.15
WITHDRAWN_SHARE = 0.10         # of the hearings: the refusal is withdrawn and a certificate follows
COMPLAINT_SHARE = 0.01         # of all cases
CASES_PER_DEMO_ORGANIZATION = 12
SCALE_CLERKS, SCALE_SIGNATORIES = 12, 3
CHUNK = 5000                   # cases per batch of COPY / executemany

SETTLEMENTS = ("Астана", "Алматы", "Шымкент", "Караганда", "Актобе", "Павлодар", "Экибастуз", "Усть-Каменогорск",
               "Семей", "Костанай", "Атырау", "Тараз", "Кызылорда", "Петропавловск", "Актау", "Туркестан",
               "Талдыкорган", "Кокшетау", "Уральск", "Темиртау")
STREETS = ("пр. Абая", "ул. Сатпаева", "пр. Республики", "ул. Кабанбай батыра", "ул. Толе би", "пр. Назарбаева",
           "ул. Жибек жолы", "ул. Ауэзова", "ул. Гоголя", "ул. Букейханова")
PROVIDERS = ("Kazakhtelecom", "Transtelecom", "Beeline", "Kcell", "Jusan Mobile", "2Day Telecom", "Alma TV", "ASTEL")
WORDS = ("Altyn", "Steppe", "Tengri", "Sunkar", "Baiterek", "Kaspi", "Aral", "Alatau", "Nomad", "Saryarka",
         "Khan", "Zhuldyz", "Kokzhiek", "Irbis", "Tulpar", "Aksai", "Esil", "Shygys")
FIRST_NAMES = ("Айгерім", "Ерлан", "Дана", "Нұрлан", "Асель", "Руслан", "Гүлнар", "Марат", "Дәулет", "Жанар")
SURNAMES = ("Сейітов", "Омаров", "Ахметов", "Искаков", "Жумабеков", "Нұрланов", "Петров", "Серіков", "Қасымов")

TICK = timedelta(microseconds=1)
ONE_YEAR = 365


# --- writing rows in bulk --------------------------------------------------------------------

def _sqlite_value(value):
    """What SQLAlchemy itself would store in SQLite for this Python value."""
    if isinstance(value, datetime):
        value = value.astimezone(timezone.utc)
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _copy_worker(dsn: str, inbox, outbox) -> None:
    """A process of its own that feeds COPY data to PostgreSQL (no GIL shared with the generator).

    A thread reads what the generator sends as fast as it comes (so the generator never waits
    for a COPY to end); the main thread of this process runs the COPYs in order.
    """
    import queue
    import threading

    import psycopg

    fast = False
    try:
        conn = psycopg.connect(dsn, application_name="tyndau demo scale")
        # lz4 compresses the large JSON values (the rules' proposals) several times faster than pglz.
        try:
            conn.execute("SET default_toast_compression = lz4")
        except psycopg.Error:
            conn.rollback()
        try:
            conn.execute("SET session_replication_role = replica")
            fast = True
        except psycopg.Error:  # not a superuser: keep the foreign-key checks
            conn.rollback()
        outbox.send(("ready", fast))
    except Exception as exc:  # noqa: BLE001 — reported to the parent
        outbox.send(("error", f"{type(exc).__name__}: {exc}"))
        return

    pending: queue.Queue = queue.Queue(maxsize=48)  # about two chunks of every table

    def receive() -> None:
        while True:
            item = inbox.recv()
            pending.put(item if item is None or item == "commit" else (item, inbox.recv_bytes()))
            if item is None:
                return

    reader = threading.Thread(target=receive, daemon=True)
    reader.start()
    error = None
    while (item := pending.get()) is not None:
        if error is not None:
            continue  # keep draining: the parent learns of the error when it stops
        try:
            if item == "commit":
                conn.commit()
                continue
            statement, data = item
            with conn.cursor() as cur, cur.copy(statement) as copy:
                copy.write(data)
        except Exception as exc:  # noqa: BLE001 — reported to the parent
            error = f"{type(exc).__name__}: {exc}"
            conn.rollback()
    server_cpu = None
    if error is None:
        conn.commit()
        try:  # the server's CPU for the load, when it runs on this machine (a figure for the report)
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            server_cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError, psycopg.Error):
            pass
    conn.close()
    outbox.send(("error", error) if error else ("done", server_cpu))


TEXT_OID, JSON_OID, JSONB_OID = 25, 114, 3802


class _Loader:
    """Writes batches of tuples into tables; commit() ends a chunk.

    On PostgreSQL the rows become binary COPY data here (psycopg's own C formatter) and a
    forked process sends them, so the server digests one chunk while the next is generated:
    both cores of a small machine work, and no GIL is shared with the generator.
    """

    def __init__(self, engine, tables: list[str]):
        self.engine = engine
        self.dialect = engine.dialect.name
        self.fast = False
        self.server_cpu = None
        if self.dialect == "postgresql":
            import multiprocessing

            self.raw = engine.raw_connection()
            self.conn = self.raw.driver_connection
            self._binary_setup(tables)
            dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            context = multiprocessing.get_context("fork")
            child_in, self.inbox = context.Pipe(duplex=False)     # (read end, write end)
            self.results, child_out = context.Pipe(duplex=False)
            self.process = context.Process(target=_copy_worker, args=(dsn, child_in, child_out),
                                           name="demo-scale-copy", daemon=True)
            self.process.start()
            child_in.close()
            child_out.close()
            status, value = self.results.recv()
            if status != "ready":
                raise RuntimeError(f"demo scale: cannot open the COPY connection: {value}")
            self.fast = value
        else:
            self.connection = engine.connect()
            self.transaction = self.connection.begin()

    def _binary_setup(self, tables: list[str]) -> None:
        """The column types of each table, for binary COPY rows formatted by psycopg's C code."""
        from psycopg import pq
        from psycopg._copy_base import _binary_signature, _binary_trailer, format_row_binary
        from psycopg.adapt import Transformer

        with self.conn.cursor() as cur:
            cur.execute("SELECT c.relname, a.attname, a.atttypid FROM pg_attribute a "
                        "JOIN pg_class c ON c.oid = a.attrelid "
                        "WHERE c.relname = ANY(%s) AND c.relnamespace = current_schema()::regnamespace "
                        "AND a.attnum > 0 AND NOT a.attisdropped", (tables,))
            self.types: dict[str, dict[str, int]] = {}
            for table, column, oid in cur.fetchall():
                if oid == JSONB_OID:
                    raise RuntimeError(f"demo scale writes JSON as text: {table}.{column} is jsonb")
                # The rows carry JSON already serialised: sent as text, whose binary form is json's.
                self.types.setdefault(table, {})[column] = TEXT_OID if oid == JSON_OID else oid
        self.conn.commit()
        self.binary = (Transformer, pq.Format.BINARY, _binary_signature, _binary_trailer, format_row_binary)
        self.transformers: dict[tuple, object] = {}

    def _buffer(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> bytearray:
        transformer_class, binary, signature, trailer, format_row = self.binary
        key = (table, columns)
        tx = self.transformers.get(key)
        if tx is None:
            tx = self.transformers[key] = transformer_class(self.conn.cursor())
            tx.set_dumper_types([self.types[table][c] for c in columns], binary)
        data = bytearray(signature)
        for row in rows:
            format_row(row, tx, data)
        data += trailer
        return data

    def _check(self) -> None:
        if self.results.poll():
            status, value = self.results.recv()
            raise RuntimeError(f"demo scale: COPY failed: {value}")

    def write(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        if self.dialect == "postgresql":
            data = self._buffer(table, columns, rows)
            self._check()
            self.inbox.send(f'COPY "{table}" ({names}) FROM STDIN (FORMAT binary)')
            self.inbox.send_bytes(data)
        else:
            marks = ", ".join("?" for _ in columns)
            converted = [tuple(_sqlite_value(v) for v in row) for row in rows]
            self.connection.exec_driver_sql(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', converted)

    def commit(self) -> None:
        if self.dialect == "postgresql":
            self.inbox.send("commit")
        else:
            self.transaction.commit()
            self.transaction = self.connection.begin()

    def _stop(self) -> str | None:
        """Let the COPY process finish; its error, if any."""
        try:
            self.inbox.send(None)
        except OSError:
            pass
        status, value = self.results.recv() if self.process.is_alive() or self.results.poll() else ("error", "died")
        self.process.join()
        if status == "done":
            self.server_cpu = value
        return value if status == "error" else None

    def abort(self) -> None:
        if self.dialect == "postgresql":
            self._stop()
            self.conn.rollback()
            self.raw.close()
        else:
            self.transaction.rollback()
            self.connection.close()

    def finish(self, tables: list[str], others: list[str]) -> None:
        """Move the id sequences past the ids written here, and refresh the planner's statistics."""
        if self.dialect == "postgresql":
            error = self._stop()
            if error is not None:
                self.raw.close()
                raise RuntimeError(f"demo scale: COPY failed: {error}")
            with self.conn.cursor() as cur:
                for table in tables:
                    cur.execute(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                                f"COALESCE((SELECT max(id) FROM \"{table}\"), 0) + 1, false)")
            self.conn.commit()
            self.conn.autocommit = True
            with self.conn.cursor() as cur:
                for table in tables + others:
                    cur.execute(f'ANALYZE "{table}"')
            self.conn.autocommit = False
            self.raw.close()
        else:
            self.transaction.commit()
            self.connection.exec_driver_sql("ANALYZE")
            self.connection.close()


# Columns written per table, in the order of the tuples built below.
COLUMNS: dict[str, tuple[str, ...]] = {
    "organization": ("id", "bin", "name", "legal_address", "created_at"),
    "user_account": ("id", "username", "full_name", "email", "role", "iin", "organization_id", "password_hash",
                     "active", "created_at"),
    "application": ("id", "number", "kind", "route", "status", "organization_id", "created_by_id",
                    "registered_by_id", "legal_name", "bin", "legal_address", "pool_name", "support_24_7",
                    "ui_languages", "security_act_number", "security_act_date", "state_service_integration",
                    "consent_secrets", "consent_personal_data", "reissue_certificate_number", "reissue_reason",
                    "received_at", "registered_on", "law_version_id", "overdue_since", "created_at", "updated_at",
                    "version"),
    "complex": ("id", "application_id", "position", "role", "settlement", "address", "provider_1", "provider_2"),
    "document": ("id", "application_id", "code", "original_name", "content_type", "size", "sha256", "storage_key",
                 "expires_on", "uploaded_by_id", "uploaded_at"),
    "state_facts": ("id", "application_id", "source", "is_development", "data", "fetched_at", "fetched_by_id"),
    "review_decision": ("id", "application_id", "stage", "outcome", "proposed", "decided", "note", "clerk_id",
                        "decided_at"),
    "deadline": ("id", "application_id", "code", "term", "starts_from", "starts_on", "due_date", "due_at",
                 "paragraph", "state", "met_at", "next_check_at", "created_at"),
    "deadline_effect": ("id", "key", "deadline_id", "kind", "at", "detail"),
    "event": ("id", "application_id", "at", "actor_id", "kind", "data"),
    "preliminary_refusal": ("id", "application_id", "grounds", "method", "place", "sent_at", "clerk_id",
                            "waived_at", "position", "position_at", "invitation_sequence"),
    "hearing_slot": ("id", "clerk_id", "starts_at", "ends_at", "booked_application_id", "booked_at"),
    "hearing_record": ("id", "application_id", "held_at", "applicant_attended", "participants", "arguments",
                       "examined", "outcome", "recorded_by_id", "recorded_at", "data"),
    "decision": ("id", "application_id", "kind", "status", "number", "content", "drafted_by_id", "drafted_at",
                 "signed_by_id", "signed_at", "issued_on", "valid_until", "document"),
    "outbox": ("id", "recipient_email", "recipient_id", "application_id", "kind", "language", "topic", "dedup_key",
               "context", "subject", "body", "status", "created_at", "send_after", "next_attempt_at", "attempts",
               "last_error", "sent_at"),
}
# Written when the schema has them (the event chain of issue 8, complaints of issue 6).
OPTIONAL_COLUMNS = {"event": ("seq", "prev_hash", "hash"), "deadline": ("complaint_id",)}
CHAIN_HEAD_COLUMNS = ("chain_key", "last_seq", "last_hash")
# Foreign keys first: the order in which each chunk is written.
ORDER = ("organization", "user_account", "application", "complex", "document", "state_facts", "review_decision",
         "deadline", "deadline_effect", "event", "preliminary_refusal", "hearing_slot", "hearing_record", "decision",
         "outbox")


# Every column of a complaint (portal/complaints/models.py) this file fills; the others stay NULL.
COMPLAINT_VALUES = {"id", "number", "application_id", "organization_id", "filed_by_id", "subject_kind", "subject_ref",
                    "subject_text", "addressee", "demands", "arguments", "received_at", "registered_on", "status",
                    "forwarded_at", "forwarded_by_id", "forwarded_automatically", "authority_registered_on",
                    "outcome", "decided_by", "decided_at", "decided_by_id", "reasons", "remedy", "remedy_due",
                    "decision_number", "created_at", "version"}


def _complaint_columns(table) -> tuple[str, ...]:
    missing = [c.name for c in table.columns if c.name not in COMPLAINT_VALUES and not c.nullable
               and c.server_default is None and not c.primary_key]
    if missing:
        raise RuntimeError(f"demo scale is out of date for table complaint: not written {missing}")
    return tuple(c.name for c in table.columns if c.name in COMPLAINT_VALUES)


def _columns(tables) -> dict[str, tuple[str, ...]]:
    """The columns to write in this schema; every NOT NULL column without a default must be one of them."""
    out = {}
    for name, columns in COLUMNS.items():
        table = tables[name]
        columns = columns + tuple(c for c in OPTIONAL_COLUMNS.get(name, ()) if c in table.columns)
        out[name] = columns
        missing = [c.name for c in table.columns
                   if c.name not in columns and not c.nullable and c.server_default is None and not c.primary_key]
        unknown = [c for c in columns if c not in table.columns]
        if missing or unknown:
            raise RuntimeError(f"demo scale is out of date for table {name}: "
                               f"not written {missing}, no longer there {unknown}")
    return out


# --- the calendar, cached --------------------------------------------------------------------

class _Days:
    """Working days and the plans of the Rules for every registration day, computed once each."""

    def __init__(self, calendar, law, law_id: int):
        self.calendar, self.law, self.law_id = calendar, law, law_id
        self._after: dict[date, list[date]] = {}
        self._plans: dict[tuple[str, date], dict] = {}
        self._warn: dict[date, datetime] = {}
        self._hearing: dict[date, tuple[date, datetime]] = {}
        self._back: dict[tuple[date, int], date] = {}

    def after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n = 0: `day` itself)."""
        days = self._after.get(day)
        if days is None:
            days, current = [day], day
            for _ in range(24):
                current = self.calendar.add_workdays(current, 1)
                days.append(current)
            self._after[day] = days
        return days[n]

    def back(self, day: date, n: int) -> date:
        key = (day, n)
        hit = self._back.get(key)
        if hit is None:
            hit = self._back[key] = self.calendar.subtract_workdays(day, n) if n else day
        return hit

    def plan(self, procedure: str, registered_on: date) -> dict:
        key = (procedure, registered_on)
        hit = self._plans.get(key)
        if hit is None:
            received = datetime.combine(registered_on, dtime(10, 0), tzinfo=ALMATY)
            hit = self._plans[key] = rules_deadlines.plan(procedure, received, self.calendar, self.law,
                                                          registered_on=registered_on)
        return hit

    def warn(self, due_date: date) -> datetime:
        hit = self._warn.get(due_date)
        if hit is None:
            hit = self._warn[due_date] = warn_from(due_date, self.calendar)
        return hit

    def hearing(self, notice_day: date) -> tuple[date, datetime]:
        hit = self._hearing.get(notice_day)
        if hit is None:
            planned = rules_deadlines.hearing_deadline(notice_day, self.calendar, self.law)
            hit = self._hearing[notice_day] = (planned.due_date, planned.due_at)
        return hit


def _bin_of(org_id: int) -> str:
    """A valid BIN made from the organisation's id: YYMM, 4 (resident legal entity), a marker, a serial.

    Unique because the id is; the markers 9/8/7 after the 4 (never in the demo BINs) take the place of a
    check digit that cannot be made.
    """
    for marker in "987":
        first11 = f"{10 + (org_id // 1_200_000) % 80:02d}{(org_id // 100_000) % 12 + 1:02d}4{marker}{org_id % 100_000:05d}"
        bin_ = make_identifier(first11)
        if bin_:
            return bin_
    raise ValueError(f"no BIN for organisation {org_id}")


def _rr(rand, a: int, b: int | None = None) -> int:
    """random.randrange, without its argument checks (a fifth of the time, on the hot path)."""
    return int(rand() * a) if b is None else a + int(rand() * (b - a))


_NINE: dict[date, datetime] = {}


def _at(day: date, minutes: int) -> datetime:
    """A moment of a local day, `minutes` after 09:00, in UTC."""
    nine = _NINE.get(day)
    if nine is None:
        nine = _NINE[day] = datetime.combine(day, dtime(9, 0), tzinfo=ALMATY).astimezone(timezone.utc)
    return nine + timedelta(minutes=minutes)


_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_sorted_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode


# The event chain's canonical form (portal/events/chain.py), written out for speed: sorted keys, compact, UTF-8.
GENESIS = "0" * 64


def _event_hash(application_id: int, seq: int, at: datetime, actor_id, kind: str, data_json: str,
                prev_hash: str) -> str:
    """`at` in UTC; `kind` a plain identifier (JSON needs no escaping in it)."""
    body = (f'{{"actor_id":{"null" if actor_id is None else actor_id},"application_id":{application_id},'
            f'"at":"{at.isoformat(timespec="microseconds")[:26]}Z","data":{data_json},'
            f'"kind":"{kind}","prev_hash":"{prev_hash}","seq":{seq}}}')
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _check_canonical() -> None:
    """The fast form above must hash exactly as the chain module does; refuse to write a broken chain."""
    from portal.events import chain

    sample = {"application_id": 7, "seq": 3, "at": datetime(2026, 3, 20, 12, 45, 1, 5, tzinfo=timezone.utc),
              "actor_id": None, "kind": "deadline.warning", "data": {"ü": "Ә", "a": [1, {"b": None}]},
              "prev_hash": "ab" * 32}
    stored = _sorted_dumps(sample["data"])
    fast = _event_hash(7, 3, sample["at"], None, sample["kind"], stored, sample["prev_hash"])
    if chain.GENESIS != GENESIS or fast != chain.event_hash(sample):
        raise RuntimeError("demo scale: the event chain's canonical form changed; update _event_hash")


# --- a sample document for the demo organisations' cases ------------------------------------

def sample_pdf() -> bytes:
    """A one-page PDF with a line of text, small and valid (pdfium renders it)."""
    stream = b"BT /F1 18 Tf 72 760 Td (Tyndau: sample document of the scaled demo data) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# --- the run ---------------------------------------------------------------------------------

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


class _Run:
    def __init__(self, total: int, seed: int, now: datetime | None = None):
        from portal.demo.cli import seed as demo_seed

        self.rng = random.Random(seed)
        self.total = total
        self.now = (now or now_utc()).astimezone(timezone.utc)
        self.users = demo_seed()
        tables = db.metadata.tables
        self.columns = _columns(tables)
        self.has_complaints = "complaint" in tables
        self.complaint_columns = _complaint_columns(tables["complaint"]) if self.has_complaints else ()
        self.deadline_columns = self.columns["deadline"]
        self.chained = "hash" in self.columns["event"]
        self.has_heads = "event_chain_head" in tables
        if self.chained:
            _check_canonical()
        record, law = law_in_force(self.now.astimezone(ALMATY).date())
        self.days = _Days(current_calendar(), law, record.id)
        self.law = law
        self.documents = {(kind, route): [d.code for d in law.document_list(kind, route).documents]
                          for kind in (ACCREDITATION, REISSUE) for route in (PORTAL, CHANCELLERY)}
        self.document_names = {d.code: d.name for kind in (ACCREDITATION, REISSUE)
                               for d in law.document_list(kind, PORTAL).documents}
        self.next_id = {name: (db.session.scalar(text(f'SELECT max(id) FROM "{name}"')) or 0) + 1
                        for name in ORDER}
        if self.has_complaints:
            self.next_id["complaint"] = (db.session.scalar(text('SELECT max(id) FROM "complaint"')) or 0) + 1
        self.buffers: dict[str, list] = {name: [] for name in ORDER}
        self.buffers["complaint"] = []
        self.buffers["complaint_deadline"] = []
        self.buffers["event_chain_head"] = []
        self.rows: dict[str, int] = {}
        self.summary = Summary()
        # The last working day with room for today's steps: before noon, today's work has not happened yet.
        local = self.now.astimezone(ALMATY)
        today = local.date()
        calendar = self.days.calendar
        if calendar.is_workday(today) and local.time() >= dtime(12, 0):
            self.base = today
            self.base_minutes = min((local.hour - 9) * 60 + local.minute - 1, 9 * 60 + 29)
        else:
            self.base = calendar.subtract_workdays(today, 1)
            self.base_minutes = 9 * 60 + 29
        self.sample = sample_pdf()
        self.sample_sha = hashlib.sha256(self.sample).hexdigest()
        self.uploads = current_app.config["UPLOADS_DIR"]
        self.certificates: dict[int, tuple[str, date, date]] = {}  # organisation -> its latest certificate
        from portal.hearings.models import HearingSlot

        self.slots_taken = {tuple(row) for row in db.session.execute(
            db.select(HearingSlot.clerk_id, HearingSlot.starts_at).where(HearingSlot.starts_at > self.now))}

    # ids and rows
    def new_id(self, table: str) -> int:
        value = self.next_id[table]
        self.next_id[table] = value + 1
        return value

    def add(self, table: str, row: tuple) -> None:
        self.buffers[table].append(row)

    # --- people --------------------------------------------------------------------------
    def staff(self) -> None:
        """The demo clerk and signatory work with a dozen colleagues (the demo ones first)."""
        from portal.accounts.models import CLERK, SIGNATORY

        now = self.now
        self.clerks = [self.users["clerk"].id]
        self.signatories = [self.users["signatory"].id]
        existing = dict(db.session.execute(text("SELECT username, id FROM user_account WHERE username LIKE 'scale-clerk-%' "
                                                "OR username LIKE 'scale-signatory-%'")).all())
        for role, count, target in ((CLERK, SCALE_CLERKS, self.clerks), (SIGNATORY, SCALE_SIGNATORIES,
                                                                         self.signatories)):
            for n in range(1, count + 1):
                username = f"scale-{role}-{n:02d}"
                if username in existing:
                    target.append(existing[username])
                    continue
                user_id = self.new_id("user_account")
                name = f"{self.rng.choice(SURNAMES)} {self.rng.choice(FIRST_NAMES)}"
                self.add("user_account", (user_id, username, name, f"{username}@gov.example.kz", role, None, None,
                                          "", True, now))
                target.append(user_id)

    def organization(self) -> tuple:
        """A new organisation with one applicant account (no password: it cannot log in)."""
        rng = self.rng
        rand = rng.random
        org_id = self.new_id("organization")
        bin_ = _bin_of(org_id)
        name = f'ТОО "{rng.choice(WORDS)} {rng.choice(WORDS)} Pool {org_id}"'
        address = f"{rng.choice(SETTLEMENTS)}, {rng.choice(STREETS)}, {_rr(rand, 1, 200)}"
        created = self.now - timedelta(days=ONE_YEAR + _rr(rand, ONE_YEAR))
        self.add("organization", (org_id, bin_, name, address, created))
        user_id = self.new_id("user_account")
        email = f"org{org_id}@example.kz"
        person = f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}"
        self.add("user_account", (user_id, f"scale-applicant-{org_id}", person, email, "applicant", None, org_id, "",
                                  True, created))
        return org_id, user_id, email, bin_, name, address

    # --- cases ---------------------------------------------------------------------------
    def plan_stages(self, count: int) -> list[str]:
        """Exactly the proportions (largest remainders), each stage at least once from 100 cases, shuffled."""
        total = sum(share for _stage, share in STAGES)
        quotas = [(stage, share * count / total) for stage, share in STAGES]
        counts = {stage: int(q) for stage, q in quotas}
        rest = count - sum(counts.values())
        for stage, q in sorted(quotas, key=lambda sq: sq[1] - int(sq[1]), reverse=True)[:rest]:
            counts[stage] += 1
        if count >= 100:
            for stage, _share in STAGES:
                if counts[stage] == 0:
                    largest = max(counts, key=counts.get)
                    counts[largest] -= 1
                    counts[stage] = 1
        stages = [stage for stage, n in counts.items() for _ in range(n)]
        self.rng.shuffle(stages)
        return stages

    def run(self, count: int) -> Summary:
        started, cpu_started = time.perf_counter(), time.process_time()
        self.staff()
        self.demo_orgs = [(u.organization_id, u.id, u.email, u.organization.bin, u.organization.name,
                           u.organization.legal_address or "")
                          for u in (self.users["applicant"], self.users["applicant2"])]
        self.supervisor_id, self.authority_id = self.users["supervisor"].id, self.users["authority"].id
        # Nothing is read through the session from here on: the loader's connection writes alone.
        db.session.commit()
        loader = _Loader(db.engine, [*ORDER, "complaint", "event_chain_head"])
        self.summary.fast_path = getattr(loader, "fast", False)
        try:
            self._generate(loader, count)
        except BaseException:
            loader.abort()
            raise
        loader.finish([*ORDER, *(("complaint",) if self.has_complaints else ())],
                      ["event_chain_head"] if self.has_heads else [])
        self.summary.server_cpu_seconds = loader.server_cpu
        self.summary.cpu_seconds = round(time.process_time() - cpu_started, 1)
        self.summary.cases = count
        self.summary.rows = dict(self.rows)
        self.summary.seconds = round(time.perf_counter() - started, 1)
        return self.summary

    def _generate(self, loader: _Loader, count: int) -> None:
        demo_orgs = self.demo_orgs
        stages = self.plan_stages(count)
        overdue_left = round(OVERDUE_SHARE * count) or (1 if count >= 100 else 0)
        open_total = sum(1 for s in stages if s in OPEN_STAGES) or 1
        complaints_left = round(COMPLAINT_SHARE * count) if self.has_complaints else 0
        closed_total = sum(1 for s in stages if s in (REFUSED, INCOMPLETE_REFUSED)) or 1
        demo_quota = min(CASES_PER_DEMO_ORGANIZATION, max(1, count // 20)) if count >= 2 else count
        org, org_left, demo_index = None, 0, 0
        open_seen = closed_seen = 0
        for index, stage in enumerate(stages):
            if demo_index < len(demo_orgs) and (org is None or org in demo_orgs) and org_left <= 0:
                org, org_left = demo_orgs[demo_index], demo_quota
                demo_index += 1
            elif org_left <= 0:
                org, org_left = self.organization(), self.rng.choice((1, 1, 2, 2, 2, 3, 3, 4, 5, 6, 8))
            org_left -= 1
            overdue = False
            if stage in OPEN_STAGES:
                open_seen += 1
                # Spread the overdue ones evenly over the open cases.
                if overdue_left and self.rng.random() < overdue_left / max(1, open_total - open_seen + 1):
                    overdue, overdue_left = True, overdue_left - 1
            complaint = False
            if stage in (REFUSED, INCOMPLETE_REFUSED):
                closed_seen += 1
                if complaints_left and self.rng.random() < complaints_left / max(1, closed_total - closed_seen + 1):
                    complaint, complaints_left = True, complaints_left - 1
            self.case(stage, org, overdue, complaint, demo=org in demo_orgs)
            if (index + 1) % CHUNK == 0:
                self.flush(loader)
        self.flush(loader)

    def flush(self, loader: _Loader) -> None:
        order = list(ORDER)
        if self.has_complaints:
            # A complaint names a deadline of its case; the complaint's own deadlines name the complaint.
            order.insert(order.index("deadline_effect"), "complaint")
            order.insert(order.index("deadline_effect"), "complaint_deadline")
        if self.has_heads:
            order.append("event_chain_head")
        for name in order:
            rows = self.buffers[name]
            if not rows:
                continue
            if name == "complaint_deadline":
                loader.write("deadline", self.deadline_columns, rows)
                self.rows["deadline"] = self.rows.get("deadline", 0) + len(rows)
            else:
                columns = {"complaint": self.complaint_columns, "event_chain_head": CHAIN_HEAD_COLUMNS}.get(name) \
                    or self.columns[name]
                loader.write(name, columns, rows)
                self.rows[name] = self.rows.get(name, 0) + len(rows)
            self.buffers[name] = []
        loader.commit()

    # --- one case ------------------------------------------------------------------------
    def case(self, stage: str, org, overdue: bool, complaint: bool, demo: bool) -> None:
        rng, days, now = self.rng, self.days, self.now
        rand = rng.random
        org_id, applicant_id, email, bin_, legal_name, legal_address = org
        self.summary.stages[stage] = self.summary.stages.get(stage, 0) + 1
        self.summary.overdue += overdue
        app_id = self.new_id("application")
        route = CHANCELLERY if rng.random() < CHANCELLERY_SHARE else PORTAL
        clerk = rng.choice(self.clerks)
        signatory = rng.choice(self.signatories)

        # When: closed cases over the past year, open ones inside their stage's terms (past them if overdue).
        kind = ACCREDITATION
        held = self.certificates.get(org_id)
        if held is not None and rng.random() < REISSUE_SHARE:
            kind = REISSUE
        procedure = "reissue" if kind == REISSUE else "accreditation"
        terms = self.law.terms
        c_term = terms["reissue_completeness" if kind == REISSUE else "completeness"]
        r_term = terms["reissue_review" if kind == REISSUE else "review"]
        s_term = terms["service_reissue" if kind == REISSUE else "service"]
        n_term = s_term - terms["hearing_notice"]  # the last lawful notice day, in working days after registration
        k = None  # working days from registration to today (open cases)
        if stage == DRAFT:
            registered_on = None
        elif stage in CLOSED_STAGES:
            registered_on = days.back(self.base, 12 + _rr(rand, ONE_YEAR * 5 // 7 - 12))
        else:
            k = self._elapsed(stage, overdue, c_term, r_term, s_term, n_term)
            registered_on = days.back(self.base, k)
        if held is not None and kind == REISSUE and registered_on is not None and held[1] >= registered_on:
            kind, procedure = ACCREDITATION, "accreditation"
            c_term, r_term, s_term = terms["completeness"], terms["review"], terms["service"]
            n_term = s_term - terms["hearing_notice"]
            if k is not None:
                k = min(k, self._elapsed(stage, overdue, c_term, r_term, s_term, n_term))
                registered_on = days.back(self.base, k)

        # The steps, as (working day after registration, minutes after 09:00), never after now.
        steps: dict[str, datetime] = {}
        last_minutes = self.base_minutes

        def moment(day_index: int, earliest: datetime | None = None) -> datetime:
            day = days.after(registered_on, day_index)
            limit = last_minutes if day == self.base else 9 * 60 + 29
            value = _at(day, _rr(rand, 0, max(1, limit)))
            if earliest is not None and value <= earliest:
                value = earliest + timedelta(minutes=_rr(rand, 5, 90))
            return min(value, now - timedelta(minutes=1))

        if registered_on is None:
            created = now - timedelta(days=_rr(rand, 1, 90), minutes=_rr(rand, 600))
            received = None
        else:
            if route == PORTAL and rng.random() < 0.15:
                # Filed the evening before: registered on the next working day.
                evening = datetime.combine(days.back(registered_on, 1), dtime(19, _rr(rand, 60)), tzinfo=ALMATY)
                received = evening.astimezone(timezone.utc)
                if days.calendar.registration_date(received) != registered_on:
                    received = moment(0)
            else:
                received = moment(0)
            created = received - timedelta(days=_rr(rand, 1, 6), minutes=_rr(rand, 600))
            if route == CHANCELLERY:
                created = received + timedelta(minutes=_rr(rand, 5, 60))
                created = min(created, now - timedelta(minutes=2))
        author = clerk if route == CHANCELLERY else applicant_id

        # What the rules will find: the decisive facts of this case.
        # The refusal path: grounds found, a preliminary refusal, a hearing. A withdrawn refusal ends in a certificate.
        refused_path = stage in (REFUSED, GROUNDS_FOUND, PRELIMINARY_REFUSAL, HEARING_HELD) or (
            stage == DECISION_DRAFTED and rng.random() < 0.25) or (
            stage == CERTIFICATE_ISSUED and rng.random() < WITHDRAWN_SHARE / 8)
        withdrawn = refused_path and (stage == CERTIFICATE_ISSUED or (
            stage in (HEARING_HELD, DECISION_DRAFTED) and rng.random() < WITHDRAWN_SHARE * 2))
        incomplete = stage == INCOMPLETE_REFUSED
        ground = rng.choice((2, 2, 2, 3, 1)) if refused_path else None

        # The application.
        settlement = rng.choice(SETTLEMENTS)
        backup_settlement = rng.choice([s for s in SETTLEMENTS[:8] if s != settlement])
        pool = f"{rng.choice(WORDS)} {rng.choice(('Hash', 'Pool', 'Mining', 'Compute'))}"
        act_number = f"ИБ-{(registered_on or created.date()).year}/{_rr(rand, 1, 999):03d}"
        act_date = (registered_on or created.date()) - timedelta(days=_rr(rand, 10, 200))
        languages = "kk,ru,en" if not (ground == 2 and rng.random() < 0.5) else "kk,ru"
        number = f"{registered_on.year}-{app_id:06d}" if registered_on else None
        reissue_number = held[0] if kind == REISSUE else ""
        reissue_reason = "Изменение наименования юридического лица" if kind == REISSUE else ""
        self.add("complex", (self.new_id("complex"), app_id, 0, "main", settlement,
                             f"{rng.choice(STREETS)}, {_rr(rand, 1, 200)}", rng.choice(PROVIDERS[:4]),
                             rng.choice(PROVIDERS[4:])))
        if kind == ACCREDITATION or rng.random() < 0.5:
            self.add("complex", (self.new_id("complex"), app_id, 1, "backup", backup_settlement,
                                 f"{rng.choice(STREETS)}, {_rr(rand, 1, 200)}", rng.choice(PROVIDERS[:4]),
                                 rng.choice(PROVIDERS[4:])))

        add, new_id = self.add, self.new_id
        events: list[tuple] = []

        def event(at, actor, kind_, data: dict | str = "{}"):
            """data: a dict, or its canonical JSON already (sorted keys, compact) for the frequent ones."""
            events.append((at, actor, kind_, data))

        event(created, author, "application.draft_created", f'{{"kind":"{kind}","route":"{route}"}}')
        event(created + timedelta(minutes=3), author, "application.draft_saved")

        # Documents: all of the list (the portal's form is the application), one or two missing if incomplete.
        codes = [c for c in self.documents[(kind, route)] if not (c == "application" and route == PORTAL)]
        if incomplete and codes:
            for _ in range(min(len(codes), rng.choice((1, 1, 2)))):
                codes.remove(rng.choice(codes))
        if stage == DRAFT:
            codes = codes[: _rr(rand, len(codes) + 1)]
        uploaded = created + timedelta(minutes=5)
        for code in codes:
            doc_id = new_id("document")
            key = f"5ca1e{doc_id:027x}"
            expires = (registered_on or created.date()) + timedelta(days=_rr(rand, 200, 700)) \
                if code == "server_room_lease" else None
            if demo:
                self._write_sample(key)
                size, sha = len(self.sample), self.sample_sha
            else:
                size, sha = _rr(rand, 60_000, 3_000_000), f"{rng.getrandbits(256):064x}"
            name = f"{code}.pdf"
            add("document", (doc_id, app_id, code, name, "application/pdf", size, sha, key, expires, author,
                             uploaded))
            event(uploaded, author, "document.attached", f'{{"code":"{code}","name":"{name}","sha256":"{sha}"}}')
            uploaded += timedelta(minutes=_rr(rand, 1, 20))

        if registered_on is None:
            self._application(app_id, number, kind, route, DRAFT, org_id, author, None, legal_name, bin_,
                              legal_address, pool, languages, act_number, act_date, reissue_number, reissue_reason,
                              None, None, None, created, uploaded)
            self._events(app_id, events)
            return

        registrar = clerk if route == CHANCELLERY else applicant_id
        registered_at = max(received, created) + timedelta(seconds=2) if route == CHANCELLERY else received
        if registered_at > now:
            registered_at = now - timedelta(seconds=30)
        event(received, registrar, "application.submitted", f'{{"route":"{route}"}}')
        event(registered_at, registrar, "application.registered",
              f'{{"number":"{number}","registered_on":"{registered_on.isoformat()}"}}')
        plan = days.plan(procedure, registered_on)
        event(registered_at, None, "deadlines.planned", self._planned_json(procedure, registered_on, plan))
        self._outbox(app_id, applicant_id, email, "application.accepted", f"application.accepted:{app_id}",
                     {"application_id": app_id, "number": number, "registered_on": registered_on.isoformat(),
                      "due_on": plan["service" if kind == ACCREDITATION else "service_reissue"].due_date.isoformat()},
                     registered_at)

        open_limit = k if k is not None else 10 ** 6   # no step after today

        def day_of(lo: int, hi: int) -> int:
            hi = min(hi, open_limit)
            return rng.randint(min(lo, hi), hi)

        d_c = d_r = d_n = d_h = d_d = d_s = None
        refusal_ids: dict[str, int] = {}
        findings = []
        if stage != REGISTERED:  # the completeness check was made
            d_c = day_of(0, c_term)
            steps["completeness"] = moment(d_c, registered_at)
            facts_at = steps["completeness"] - timedelta(minutes=_rr(rand, 5, 60))
            facts_at = max(facts_at, registered_at + timedelta(seconds=1))
            add("state_facts", (new_id("state_facts"), app_id, "development fixtures", True,
                                self._state_answer(bin_, legal_name, act_number, act_date, ground), facts_at, clerk))
            event(facts_at, clerk, "state_facts.fetched", '{"source":"development fixtures"}')
            missing = [c for c in self.documents[(kind, route)]
                       if c not in codes and not (c == "application" and route == PORTAL)]
            findings = [{"code": c, "problem": "missing"} for c in missing]
            proposed = _dumps({"findings": [{"code": c, "problem": "missing", "name": self.document_names.get(c, {}),
                                             "paragraph": self.law.paragraphs["completeness"]} for c in missing]})
            refusal_ids["review"] = new_id("review_decision")
            add("review_decision", (refusal_ids["review"], app_id, "completeness",
                                    "incomplete" if incomplete else "complete", proposed,
                                    _dumps({"findings": findings}),
                                    "Не представлены документы по перечню." if incomplete else "", clerk,
                                    steps["completeness"]))
            if incomplete:
                event(steps["completeness"], clerk, "completeness.refused", ({"findings": findings}))
                self._outbox(app_id, applicant_id, email, "completeness.refused", f"completeness.refused:{app_id}",
                             {"application_id": app_id, "number": number, "note": "Не представлены документы.",
                              "findings": [{"code": f["code"], "problem": "missing",
                                            "name": self.document_names.get(f["code"], {})} for f in findings]},
                             steps["completeness"])
            else:
                event(steps["completeness"], clerk, "completeness.complete")
        reviewed = stage in (GROUNDS_FOUND, AWAITING_DECISION, PRELIMINARY_REFUSAL, HEARING_HELD, DECISION_DRAFTED,
                             CERTIFICATE_ISSUED, REFUSED)
        if reviewed:
            d_r = day_of(d_c, r_term)
            steps["review"] = moment(d_r, steps["completeness"])
            kept = [ground] if refused_path else []
            add("review_decision", (new_id("review_decision"), app_id, "review", "grounds" if kept else "no_grounds",
                                    self._proposal(ground), _dumps({"grounds": kept, "documents_unreliable": None,
                                                                    "rejected": {}, "added": {}}),
                                    "", clerk, steps["review"]))
            event(steps["review"], clerk, "review.decided", f'{{"grounds":[{ground}]}}' if kept else '{"grounds":[]}')
        notice_day = None
        if refused_path and stage in (PRELIMINARY_REFUSAL, HEARING_HELD, DECISION_DRAFTED, CERTIFICATE_ISSUED, REFUSED):
            d_n = day_of(d_r, n_term)
            steps["notice"] = moment(d_n, steps["review"])
            notice_day = days.after(registered_on, d_n)
            method = rng.choice(("in_person", "video", "video", "written"))
            place = {"in_person": "Астана, пр. Мәңгілік Ел, 55/14, каб. 301", "video": "https://meet.example.kz/tyndau",
                     "written": "tyndau@example.kz"}[method]
            grounds = [self._ground(ground)]
            hearing_due = days.hearing(notice_day)
            waived = position = None
            sequence = 0
            if stage != PRELIMINARY_REFUSAL or rng.random() < 0.7:
                if method != "written" and rng.random() < 0.15:
                    waived = steps["notice"] + timedelta(hours=_rr(rand, 1, 20))
                else:
                    position = steps["notice"] + timedelta(hours=_rr(rand, 1, 20))
            if stage == PRELIMINARY_REFUSAL:
                waived = waived if waived and waived < now else None
                position = position if position and position < now else None
            pr_id = new_id("preliminary_refusal")
            text_position = "Основание устранено: представлен новый акт испытаний." if position else ""
            event(steps["notice"], clerk, "preliminary_refusal.sent", ({"grounds": [ground], "method": method}))
            self._outbox(app_id, applicant_id, email, "preliminary_refusal.sent",
                         f"preliminary_refusal.sent:{app_id}",
                         {"application_id": app_id, "number": number, "method": method, "place": place,
                          "last_on": hearing_due[0].isoformat(),
                          "grounds": [{k_: g[k_] for k_ in ("number", "paragraph", "text", "reason")} for g in grounds]},
                         steps["notice"])
            if method != "written" and waived is None and stage == PRELIMINARY_REFUSAL:
                slot = self._slot(clerk, notice_day, app_id, steps["notice"])
                if slot is not None:
                    sequence = 1
                    event(steps["notice"] + timedelta(minutes=30), applicant_id, "hearing.booked",
                          {"starts_at": slot.isoformat()})
            if waived is not None:
                sequence += 1
                event(waived, applicant_id, "hearing.waived")
            if position is not None:
                event(position, applicant_id, "hearing.position_stated", {"signed": False})
            add("preliminary_refusal", (pr_id, app_id, _dumps(grounds), method, place, steps["notice"], clerk,
                                        waived, text_position, position, sequence))
            if stage != PRELIMINARY_REFUSAL:
                d_h = day_of(d_n, d_n + terms["hearing"])
                earliest = max(t for t in (steps["notice"], waived, position) if t is not None)
                steps["hearing"] = moment(d_h, earliest)
                outcome = "refusal_withdrawn" if withdrawn else "refusal_upheld"
                attended = waived is None and method != "written"
                add("hearing_record", (new_id("hearing_record"), app_id, steps["hearing"] - timedelta(minutes=40),
                                       attended, "Представитель заявителя; главный эксперт" if attended else "",
                                       text_position or "Позиция не представлена.", "Акт испытаний; выписка",
                                       outcome, clerk, steps["hearing"], '{}'))
                event(steps["hearing"], clerk, "hearing.recorded",
                      {"outcome": outcome, "attended": attended})

        decision_kind = None
        if stage in (DECISION_DRAFTED, CERTIFICATE_ISSUED, REFUSED):
            decision_kind = "refusal" if refused_path and not withdrawn else "certificate"
            after = steps.get("hearing") or steps.get("review")
            lo = d_h if d_h is not None else d_r
            d_d = day_of(lo, s_term - (0 if stage == DECISION_DRAFTED else 1))
            steps["drafted"] = moment(d_d, after)
            signed = stage != DECISION_DRAFTED
            decision_id = refusal_ids["decision"] = new_id("decision")
            content = {"bin": bin_, "legal_name": legal_name, "legal_address": legal_address, "pool_name": pool,
                       "location": f"{settlement}, {STREETS[0]}", "provider": PROVIDER}
            if kind == REISSUE:
                content["replaces"] = reissue_number
            if decision_kind == "refusal":
                content["grounds"] = [self._ground(ground)]
                if "hearing" in steps:
                    content["hearing"] = {"held_at": (steps["hearing"] - timedelta(minutes=40)).isoformat(),
                                          "attended": True}
            event(steps["drafted"], clerk, "decision.drafted", f'{{"kind":"{decision_kind}"}}')
            decision_number = signed_at = issued_on = valid_until = None
            if signed:
                d_s = day_of(d_d, s_term)
                steps["signed"] = moment(d_s, steps["drafted"])
                signed_at = steps["signed"]
                issued_on = signed_at.astimezone(ALMATY).date()
                decision_number = f"DMP-{'C' if decision_kind == 'certificate' else 'R'}-{issued_on.year}-{decision_id:06d}"
                self._decision_number = decision_number
                if decision_kind == "certificate":
                    valid_until = held[2] if kind == REISSUE else rules_deadlines.validity_end(issued_on, self.law)
                    self.certificates[org_id] = (decision_number, issued_on, valid_until)
                event(signed_at, signatory, "decision.signed",
                      f'{{"kind":"{decision_kind}","number":"{decision_number}"}}')
                self._outbox(app_id, applicant_id, email, "decision.issued", f"decision.issued:{decision_id}",
                             {"application_id": app_id, "number": number, "decision_kind": decision_kind,
                              "decision_number": decision_number, "issued_on": issued_on.isoformat(),
                              "valid_until": valid_until.isoformat() if valid_until else None}, signed_at)
            add("decision", (decision_id, app_id, decision_kind, "signed" if signed else "drafted", decision_number,
                             _dumps(content), clerk, steps["drafted"], signatory if signed else None, signed_at,
                             issued_on, valid_until, None))

        # The deadlines, consistent with what happened and with the sweeper.
        overdue_since = self._deadlines(app_id, plan, received, steps, notice_day, stage, events)
        if complaint:
            self._complaint(app_id, org_id, applicant_id, email, stage, steps, number, refusal_ids, events)
        status = stage
        last = max(e[0] for e in events)
        self._application(app_id, number, kind, route, status, org_id, author, registrar, legal_name, bin_,
                          legal_address, pool, languages, act_number, act_date, reissue_number, reissue_reason,
                          received, registered_on, overdue_since, created, last)
        self._events(app_id, events)

    def _planned_json(self, procedure: str, registered_on: date, plan: dict) -> str:
        cache = self.__dict__.setdefault("_planned", {})
        key = (procedure, registered_on)
        hit = cache.get(key)
        if hit is None:
            hit = cache[key] = _sorted_dumps({"due": {code: d.due_date.isoformat() for code, d in plan.items()}})
        return hit

    def _elapsed(self, stage, overdue, c_term, r_term, s_term, n_term) -> int:
        """Working days between registration and today for an open case at `stage`."""
        rng = self.rng
        windows = {REGISTERED: (0, c_term), UNDER_REVIEW: (0, r_term), GROUNDS_FOUND: (1, n_term),
                   AWAITING_DECISION: (1, n_term - 1), PRELIMINARY_REFUSAL: (1, n_term),
                   HEARING_HELD: (2, s_term), DECISION_DRAFTED: (1, n_term - 1)}
        lo, hi = windows[stage]
        if overdue:
            # Past the term of the step the case waits for.
            waiting = {REGISTERED: c_term, UNDER_REVIEW: r_term, GROUNDS_FOUND: n_term,
                       AWAITING_DECISION: s_term, PRELIMINARY_REFUSAL: s_term, HEARING_HELD: s_term,
                       DECISION_DRAFTED: s_term}[stage]
            return waiting + rng.randint(1, 4)
        return rng.randint(lo, max(lo, hi))

    def _deadlines(self, app_id, plan, received, steps, notice_day, stage, events) -> datetime | None:
        days, add, new_id = self.days, self.add, self.new_id
        closed = stage in CLOSED_STAGES
        met = {"registration": received, "completeness": steps.get("completeness"),
               "review": steps.get("review"), "reissue_review": steps.get("review"),
               "hearing_notice": steps.get("notice"), "hearing": steps.get("hearing"),
               "service": steps.get("signed"), "service_reissue": steps.get("signed")}
        if stage == INCOMPLETE_REFUSED:
            met["review"] = met["reissue_review"] = None
        overdue_since = None
        with_complaint = "complaint_id" in self.deadline_columns
        for code, planned in plan.items():
            deadline_id = new_id("deadline")
            due_date, due_at = planned.due_date, planned.due_at
            starts_from, starts_on = planned.starts_from
            if code == "registration":
                starts_on = received.astimezone(ALMATY).date()
            if code == "hearing" and notice_day is not None:
                starts_from, starts_on = "hearing_notice", notice_day
                due_date, due_at = days.hearing(notice_day)
            met_at = met.get(code)
            next_check = None
            if met_at is not None:
                state = "met"
            elif closed:
                state = "closed"
            else:
                state, next_check, missed_at = self._open_term(deadline_id, code, due_date, due_at, planned.paragraph,
                                                               received, events)
                if missed_at is not None:
                    overdue_since = min(overdue_since or missed_at, missed_at)
            row = (deadline_id, app_id, code, planned.term, starts_from, starts_on, due_date, due_at,
                   planned.paragraph, state, met_at, next_check, received)
            add("deadline", row + ((None,) if with_complaint else ()))
        return overdue_since

    def _open_term(self, deadline_id, code, due_date, due_at, paragraph, since, events, about=None):
        """A term still running: what the sweeper did about it so far (state, next check, missed at)."""
        now, add, new_id = self.now, self.add, self.new_id
        warn = self.days.warn(due_date)
        data = {"code": code, "due": due_date.isoformat(), "paragraph": paragraph, **(about or {})}
        if now > due_at:
            for kind, at, label in (("warn", max(warn, since), "deadline.warning"),
                                    ("mark_missed", due_at + TICK, "deadline.missed"),
                                    ("flag_overdue", due_at + TICK, None)):
                add("deadline_effect", (new_id("deadline_effect"), f"{deadline_id}:{kind}:{due_date.isoformat()}",
                                        deadline_id, kind, at, paragraph))
                if label:
                    events.append((at, None, label, data))
            return "missed", None, due_at + TICK
        if now >= warn:
            at = max(warn, since)
            add("deadline_effect", (new_id("deadline_effect"), f"{deadline_id}:warn:{due_date.isoformat()}",
                                    deadline_id, "warn", at, paragraph))
            events.append((at, None, "deadline.warning", data))
            return "open", due_at + TICK, None
        return "open", warn, None

    def _application(self, app_id, number, kind, route, status, org_id, author, registrar, legal_name, bin_,
                     legal_address, pool, languages, act_number, act_date, reissue_number, reissue_reason, received,
                     registered_on, overdue_since, created, updated) -> None:
        self.add("application", (
            app_id, number, kind, route, status, org_id, author, registrar, legal_name, bin_, legal_address, pool,
            True, languages, act_number, act_date, True, True, True, reissue_number, reissue_reason, received,
            registered_on, self.days.law_id if registered_on else None, overdue_since, created, updated,
            1 if status == DRAFT else 2))

    def _events(self, app_id: int, events: list[tuple]) -> None:
        """The timeline in time order; with the chain of issue 8, each event linked to the one before."""
        events.sort(key=lambda e: e[0])
        add, new_id, now = self.add, self.new_id, self.now
        if not self.chained:
            for at, actor, kind, data in events:
                add("event", (new_id("event"), app_id, min(at, now), actor, kind,
                              data if type(data) is str else _dumps(data)))
            return
        previous, seq = GENESIS, 0
        utc = timezone.utc
        for at, actor, kind, data in events:
            if at.tzinfo is not utc:
                at = at.astimezone(utc)
            at = min(at, now)
            seq += 1
            stored = data if type(data) is str else _sorted_dumps(data)
            digest = _event_hash(app_id, seq, at, actor, kind, stored, previous)
            add("event", (new_id("event"), app_id, at, actor, kind, stored, seq, previous, digest))
            previous = digest
        if self.has_heads:
            add("event_chain_head", (app_id, seq, previous))

    def _outbox(self, app_id, user_id, email, kind, topic, context, at) -> None:
        sent = at + timedelta(seconds=_rr(self.rng.random, 5, 300))
        if sent > self.now:
            sent = None
        self.add("outbox", (self.new_id("outbox"), email, user_id, app_id, kind, "kk", topic, f"{topic}|{email}",
                            _dumps(context), "", "", "sent" if sent else "pending", at, at, at, 1 if sent else 0, "",
                            sent))

    def _write_sample(self, key: str) -> None:
        path = os.path.join(self.uploads, key[:2], key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(self.sample)

    def _slot(self, clerk: int, notice_day: date, app_id: int, sent: datetime) -> datetime | None:
        """A free 30-minute slot of the clerk on the two working days after the notice, booked by this case."""
        taken = self.slots_taken
        for offset in (1, 2):
            day = self.days.after(notice_day, offset)
            for n in range(18):
                start = _at(day, 30 * n)
                if (clerk, start) in taken or start <= self.now:
                    continue
                taken.add((clerk, start))
                self.add("hearing_slot", (self.new_id("hearing_slot"), clerk, start, start + timedelta(minutes=30),
                                          app_id, sent + timedelta(minutes=30)))
                return start
        return None

    def _state_answer(self, bin_, name, act_number, act_date, ground) -> str:
        positive = ground != 2 or self.rng.random() < 0.5
        return _dumps({"source": "development fixtures", "is_development": True,
                       "registration": {"bin": bin_, "name": name, "registered_on": "2019-03-01", "status": "active"},
                       "identity": None,
                       "security_test_act": {"number": act_number, "date": act_date.isoformat(), "positive": positive},
                       "court_ban": ground == 3, "court_deprived_special_right": False, "raw": {}})

    def _ground(self, number: int) -> dict:
        ground = self.law.ground(number)
        return {"number": number, "paragraph": ground.paragraph, "text": dict(ground.text), "reason": "",
                "because": []}

    def _proposal(self, ground: int | None) -> str:
        """What rules.grounds proposed, computed once per kind of outcome."""
        cache = self.__dict__.setdefault("_proposals", {})
        hit = cache.get(ground)
        if hit is None:
            from portal.review.services import _plain
            from rules.grounds import assess

            app = {"main_complex": {"country": "KZ", "settlement": "Астана"},
                   "main_channels": [{"provider": "Kazakhtelecom"}, {"provider": "Beeline"}],
                   "backup_complexes": [{"settlement": "Караганда", "channels": [{"provider": "Kazakhtelecom"},
                                                                               {"provider": "Kcell"}]}],
                   "support_24_7": True, "ui_languages": {"kk", "ru", "en"},
                   "security_test_act": {"number": "ИБ-1", "date": "2026-01-01"}, "state_service_integration": True,
                   "consent_personal_data": True, "consent_secrets": True}
            state = {"security_test_act_positive": ground != 2, "court_ban": ground == 3,
                     "court_deprived_special_right": False, "documents_unreliable": True if ground == 1 else None}
            hit = cache[ground] = _dumps(_plain(assess(app, state, self.law)))
        return hit

    # --- complaints ------------------------------------------------------------------------
    def _complaint(self, app_id, org_id, applicant_id, email, stage, steps, number, refusal_ids, events) -> None:
        """A complaint about the refusal (п.16), a few days after it, taken as far as its terms allow by now.

        To the provider (most): satisfied by a favourable act (п.17), decided by the provider (п.18), or
        forwarded with the case to the authority, which decides (п.19); to the authority directly (some).
        A step whose moment has not come yet is not taken: the complaint is still open, its terms running.
        """
        if not self.has_complaints:
            return
        rng, days, add, new_id = self.rng, self.days, self.add, self.new_id
        rand = rng.random
        if stage == REFUSED and "decision" in refusal_ids:
            ref, about_at = f"decision:{refusal_ids['decision']}", steps["signed"]
            text = f"{ref} {self._decision_number}"
        elif "review" in refusal_ids:
            ref, about_at = f"review:{refusal_ids['review']}", steps["completeness"]
            text = ref
        else:
            return
        complaint_id = new_id("complaint")
        base_day = about_at.astimezone(ALMATY).date()
        received = self._complaint_moment(days.after(base_day, 1 + _rr(rand, 6)), about_at)
        if received is None:
            return  # the refusal is too recent: no complaint yet
        self.summary.complaints += 1
        registered_on = days.calendar.registration_date(received)
        complaint_number = f"C-{registered_on.year}-{complaint_id:06d}"
        to_authority = rand() < 0.2
        supervisor, official, clerk = self.supervisor_id, self.authority_id, self.clerks[0]
        about = {"complaint": complaint_number}
        values = {"id": complaint_id, "number": complaint_number, "application_id": app_id, "organization_id": org_id,
                  "filed_by_id": applicant_id, "subject_kind": "decision", "subject_ref": ref,
                  "subject_text": text, "addressee": "authority" if to_authority else "provider",
                  "demands": "Отменить отказ и выдать свидетельство об аккредитации.",
                  "arguments": "Основания отказа отпали: представлены недостающие документы и новый акт испытаний.",
                  "received_at": received, "registered_on": registered_on,
                  "status": "at_authority" if to_authority else "at_provider",
                  "forwarded_automatically": False, "reasons": "", "remedy": "",
                  "authority_registered_on": registered_on if to_authority else None,
                  "created_at": received, "version": 1}
        events.append((received, applicant_id, "complaint.filed",
                       {"addressee": values["addressee"], "complaint": complaint_number, "signed": False,
                        "subject": ref}))
        terms = []  # (code, planned, met_at or None, closed)
        plan = days.plan("complaint-authority" if to_authority else "complaint-provider", registered_on)
        terms.append(("registration", plan["registration"], received, False))

        def decide(outcome, by, user_id, at, reasons):
            values.update(status="decided", outcome=outcome, decided_by=by, decided_at=at, decided_by_id=user_id,
                          reasons=reasons)
            if by == "authority":
                values["decision_number"] = f"QC-{at.astimezone(ALMATY).year}-{complaint_id:06d}"
                if outcome in ("satisfied", "partly_satisfied"):
                    values["remedy"] = "Повторно рассмотреть заявление в установленный срок."
                    values["remedy_due"] = days.after(at.astimezone(ALMATY).date(), 10)
            data = {"by": by, "complaint": complaint_number, "outcome": outcome}
            if by == "authority":
                data["decision"] = values["decision_number"]
            events.append((at, user_id, "complaint.decided", data))
            self._outbox(app_id, applicant_id, email, "complaint.decided", f"complaint.decided:{complaint_id}",
                         {"application_id": app_id, "number": number, "complaint_id": complaint_id,
                          "complaint": complaint_number, "addressee": values["addressee"], "outcome": outcome,
                          "by": by, "decision_number": values.get("decision_number")}, at)

        def authority(since_day, since):
            plan_a = days.plan("complaint-authority", since_day)
            at = self._complaint_moment(days.after(since_day, 1 + _rr(rand, 14)), since)
            if at is not None:
                decide(rng.choice(("refused", "refused", "partly_satisfied", "satisfied", "not_considered")),
                       "authority", official, at, "Доводы жалобы рассмотрены по существу.")
            return plan_a["complaint_authority"], at

        if to_authority:
            planned, at = authority(registered_on, received)
            terms.append(("complaint_authority", planned, at, False))
        else:
            path = rand()
            if path < 0.15:      # п.17: a favourable act within the 3 working days
                at = self._complaint_moment(days.after(registered_on, _rr(rand, 3) + 1), received)
                if at is not None:
                    decide("favourable_act", "provider", supervisor, at, "Отказ отменён; заявление рассматривается.")
                    events.append((at, supervisor, "complaint.favourable_act", {"complaint": complaint_number}))
                terms += [("complaint_forward", plan["complaint_forward"], at, False),
                          ("complaint_provider", plan["complaint_provider"], at, False)]
            elif path < 0.70:    # п.18: the provider decides within 5 working days
                at = self._complaint_moment(days.after(registered_on, _rr(rand, 5) + 1), received)
                if at is not None:
                    decide(rng.choice(("refused", "refused", "refused", "partly_satisfied", "satisfied")), "provider",
                           supervisor, at, "Отказ основан на п. 9 Правил; доводы не подтверждены.")
                terms += [("complaint_forward", plan["complaint_forward"], None, at is not None),
                          ("complaint_provider", plan["complaint_provider"], at, False)]
            else:                # п.17: forwarded with the case to the authority, which decides (п.19)
                at = self._complaint_moment(days.after(registered_on, _rr(rand, 3) + 1), received)
                terms += [("complaint_forward", plan["complaint_forward"], at, False),
                          ("complaint_provider", plan["complaint_provider"], None, at is not None)]
                if at is not None:
                    day = days.calendar.registration_date(at)
                    values.update(status="at_authority", forwarded_at=at, forwarded_by_id=clerk,
                                  authority_registered_on=day)
                    events.append((at, clerk, "complaint.forwarded",
                                   {"automatic": False, "complaint": complaint_number,
                                    "registered_on": day.isoformat()}))
                    planned, decided_at = authority(day, at)
                    terms.append(("complaint_authority", planned, decided_at, False))
        self._outbox(app_id, applicant_id, email, "complaint.registered", f"complaint.registered:{complaint_id}",
                     {"application_id": app_id, "number": number, "complaint_id": complaint_id,
                      "complaint": complaint_number, "addressee": values["addressee"],
                      "registered_on": registered_on.isoformat(),
                      **{f"{code.removeprefix('complaint_')}_due_on": planned.due_date.isoformat()
                         for code, planned, _met, _closed in terms if code != "registration"}}, received)
        self.add("complaint", tuple(values.get(c) for c in self.complaint_columns))
        for code, planned, met_at, closed in terms:
            deadline_id = new_id("deadline")
            next_check = None
            if met_at is not None:
                state = "met"
            elif closed or values["status"] == "decided":
                state = "closed"
            else:
                state, next_check, _missed = self._open_term(deadline_id, code, planned.due_date, planned.due_at,
                                                             planned.paragraph, received, events, about)
            starts_from, starts_on = planned.starts_from
            if code == "registration":
                starts_on = received.astimezone(ALMATY).date()
            add("complaint_deadline", (deadline_id, app_id, code, planned.term, starts_from, starts_on,
                                       planned.due_date, planned.due_at, planned.paragraph, state, met_at, next_check,
                                       received, complaint_id))

    def _complaint_moment(self, day: date, earliest: datetime) -> datetime | None:
        """A moment of that working day after `earliest`, or None when it is still to come."""
        value = _at(day, _rr(self.rng.random, 9 * 60))
        if value <= earliest:
            value = earliest + timedelta(minutes=_rr(self.rng.random, 30, 240))
        return value if value < self.now else None


def scale(cases: int, seed: int = 1, now: datetime | None = None) -> Summary:
    """Add `cases` realistic cases (and their organisations) to the database; returns what was written."""
    if cases < 0:
        raise ValueError("the number of cases cannot be negative")
    run = _Run(cases, seed, now)
    summary = run.run(cases)
    db.session.expire_all()
    return summary


def stage_shares() -> dict[str, float]:
    return dict(STAGES)


def expected_overdue(cases: int) -> int:
    return round(OVERDUE_SHARE * cases) or (1 if cases >= 100 else 0)


