"""Writing rows in bulk: binary COPY on PostgreSQL (from a process of its own), executemany elsewhere.

Rows come as dicts keyed by column name; each batch of a table is checked once against the schema (every column
written exists, every NOT NULL column without a default is written) and turned into tuples in the column order
of its first row. A superuser's session sets session_replication_role=replica during the load, which skips the
foreign-key triggers (the rows are consistent by construction, and SQLite, which checks them, runs the same
generator in the tests).
"""
from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from datetime import date, datetime, timezone
from operator import itemgetter

import psycopg
from psycopg import pq
from psycopg._copy_base import _binary_signature, _binary_trailer, format_row_binary
from psycopg.adapt import Transformer


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


class Loader:
    """Writes batches of rows into tables; commit() ends a chunk.

    On PostgreSQL the rows become binary COPY data here (psycopg's own C formatter) and a
    forked process sends them, so the server digests one chunk while the next is generated:
    both cores of a small machine work, and no GIL is shared with the generator.
    """

    def __init__(self, engine, metadata_tables, tables: list[str]):
        self.engine = engine
        self.tables = metadata_tables
        self.checked: set[tuple[str, tuple[str, ...]]] = set()
        self.dialect = engine.dialect.name
        self.fast = False
        self.server_cpu = None
        if self.dialect == "postgresql":
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

    def write(self, table: str, rows: list[dict]) -> None:
        """Rows of one table, every row with the same columns (KeyError otherwise)."""
        if not rows:
            return
        columns = tuple(rows[0])
        self._check_columns(table, columns)
        if any(len(row) != len(columns) for row in rows):
            raise RuntimeError(f"demo scale: rows of {table} with different columns")
        getter = itemgetter(*columns)
        rows = [getter(row) for row in rows]
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

    def _check_columns(self, table: str, columns: tuple[str, ...]) -> None:
        """Once per table and set of columns: the generator is in step with the schema."""
        if (table, columns) in self.checked:
            return
        schema = self.tables[table]
        missing = [c.name for c in schema.columns if c.name not in columns and not c.nullable
                   and c.server_default is None and not c.primary_key]
        unknown = [c for c in columns if c not in schema.columns]
        if missing or unknown:
            raise RuntimeError(f"demo scale is out of date for table {table}: "
                               f"not written {missing}, no longer there {unknown}")
        self.checked.add((table, columns))

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
