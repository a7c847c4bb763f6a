"""Storing uploads safely: size limit, type by content, SHA-256, outside static/."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
import uuid
from functools import lru_cache

import filetype
from flask import current_app
import pypdfium2
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.core.faults import pause
from portal.core.i18n import lazy_gettext as _l
from portal.documents import preview
from portal.documents.models import Document
from portal.extensions import db

# What a scanned or electronic copy may be; decided by the bytes, not the name.
ALLOWED_TYPES = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}
CHUNK = 64 * 1024
# A PDF's pages are counted and measured at upload: a few hundred bytes can declare any number of pages of
# any size, and each page shown on the case page is rendered to an image (preview_image).
MAX_PDF_PAGES = 1000
MAX_PAGE_METRES = 5  # PDF's own limit is 14400 pt (5.08 m); the largest paper formats are about 1.2 m
POINTS_PER_METRE = 72 / 0.0254


class UploadRejected(ValueError):
    """An upload the portal refuses, with a message for the person."""


def _storage_path(key: str) -> str:
    return os.path.join(current_app.config["UPLOADS_DIR"], key[:2], key)


def _clean_name(name: str) -> str:
    # Keep only the last path component and printable characters: no traversal, no control bytes.
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    if len(base) > 200:  # shorten the name, not the extension the content is checked against
        stem, ext = os.path.splitext(base)
        ext = ext if len(ext) <= 10 else ""
        base = stem[: 200 - len(ext)] + ext
    return base or "document"


def store_upload(application, code: str, upload, uploaded_by, expires_on=None) -> Document:
    """Check and keep one uploaded file; raises UploadRejected with a reason to show."""
    if upload is None or not upload.filename:
        raise UploadRejected(_l("Choose a file to upload."))
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    name = _clean_name(upload.filename)
    key = uuid.uuid4().hex
    path = _storage_path(key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    tmp = path + ".part"
    try:
        with open(tmp, "wb") as out:
            while chunk := upload.stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadRejected(_l("The file is larger than %(mb)d MB.", mb=limit // (1024 * 1024)))
                if len(head) < 8192:
                    head += chunk[: 8192 - len(head)]
                digest.update(chunk)
                out.write(chunk)
                if size == len(chunk):  # test-only (core/faults.py): a worker killed while writing
                    pause("upload.part")
        if size == 0:
            raise UploadRejected(_l("The file is empty."))
        kind = filetype.guess(head)
        mime = kind.mime if kind else None
        if mime not in ALLOWED_TYPES:
            raise UploadRejected(_l("Only PDF, PNG and JPEG files are accepted; this file's content is not one of them."))
        if not name.lower().endswith(ALLOWED_TYPES[mime]):
            raise UploadRejected(_l("The file's name does not match its content (%(type)s).", type=mime))
        if mime == "application/pdf" and _check_pdf_pages(tmp):
            _check_pdf_draws(tmp, digest.hexdigest())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    document = Document(application_id=application.id, code=code, original_name=name, content_type=mime,
                        size=size, sha256=digest.hexdigest(), storage_key=key, expires_on=expires_on,
                        uploaded_by_id=uploaded_by.id)
    db.session.add(document)
    db.session.info.setdefault(_STORED, []).append(path)  # removed again unless this transaction commits
    pause("upload.stored")  # test-only (core/faults.py): a worker killed before the row is committed
    return document


def _check_pdf_pages(path: str) -> int:
    """Refuse a PDF with more pages than a filing needs, or a page larger than any paper (UploadRejected).

    Returns the number of pages, 0 for a PDF the renderer cannot open (offered for download only, never drawn).
    """
    try:
        pdf = pypdfium2.PdfDocument(path)
    except (pypdfium2.PdfiumError, OSError):
        return 0
    try:
        if len(pdf) > MAX_PDF_PAGES:
            raise UploadRejected(_l("The PDF has more than %(pages)d pages.", pages=MAX_PDF_PAGES))
        for index in range(len(pdf)):
            try:
                width, height = pdf.get_page_size(index)
            except pypdfium2.PdfiumError:
                continue  # an unreadable page is not drawn either (preview_image)
            if max(width, height) > MAX_PAGE_METRES * POINTS_PER_METRE:
                raise UploadRejected(_l("Page %(page)d of the PDF is larger than %(metres)d metres on a side.",
                                        page=index + 1, metres=MAX_PAGE_METRES))
        return len(pdf)
    finally:
        pdf.close()


def _check_pdf_draws(path: str, sha256: str) -> None:
    """Refuse a PDF whose first page cannot be drawn within the preview's limits (issue 15: a few kilobytes of
    content stream can cost minutes of CPU). The page drawn here is kept: the case page shows it without cost."""
    outcome, _png = preview.page_png(path, sha256, 0, wait=current_app.config["PREVIEW_WALL_SECONDS"],
                                     scale=PREVIEW_SCALE, side=MAX_PREVIEW_SIDE)
    if outcome == preview.BUSY:
        raise UploadRejected(_l("The portal is busy checking other files; upload this one again in a minute."))
    if outcome == preview.UNAVAILABLE:
        raise UploadRejected(_l("The PDF's first page takes too long to display, which a document for the case "
                                "should not; save or scan it again as a plain PDF and upload that file."))


def remove_file(document: Document) -> None:
    """Delete the stored bytes once the caller's transaction, which deletes the row, has committed."""
    db.session.info.setdefault(_DELETED, []).append(_storage_path(document.storage_key))


# --- the files follow the transaction that records them ---------------------------------------
# A file is in place before its row commits. When that transaction ends without committing (an error,
# a rollback, a request torn down) the file is removed at once; a removed document's bytes go only
# after the deletion has committed. If the commit itself failed its outcome is unknown (the connection
# broke), so the file is kept; a process killed in between (SIGKILL, power) cannot clean up either:
# `flask --app wsgi documents clean-orphans` removes what no row names once it is old enough.
_STORED, _DELETED, _COMMITTING = "tyndau.stored_files", "tyndau.deleted_files", "tyndau.committing"


def _unlink(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


@event.listens_for(Session, "before_commit")
def _before_commit(session) -> None:
    if not session.in_nested_transaction():
        session.info[_COMMITTING] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer transaction decides
    session.info.pop(_STORED, None)
    session.info.pop(_COMMITTING, None)
    for path in session.info.pop(_DELETED, ()):
        _unlink(path)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session, transaction) -> None:
    if transaction.parent is not None:
        return
    session.info.pop(_DELETED, None)  # not committed: the row is still there, and so are its bytes
    stored = session.info.pop(_STORED, ())
    if not session.info.pop(_COMMITTING, False):
        for path in stored:
            _unlink(path)


def clean_orphans(older_than_minutes: float = 60, dry_run: bool = False, check_rows: bool = False) -> dict:
    """Remove stored files no document row names, and `.part` leftovers, older than the grace period.

    The grace period covers an upload whose file is in place while its transaction has not committed yet.
    With check_rows, rows whose file is missing are counted too (never deleted here; it reads every row).
    """
    root = current_app.config["UPLOADS_DIR"]
    cutoff = time.time() - older_than_minutes * 60
    removed, kept_young, referenced = [], 0, 0
    if os.path.isdir(root):
        for shard in sorted(os.listdir(root)):
            folder = os.path.join(root, shard)
            if not os.path.isdir(folder) or shard == "previews":
                continue
            names = os.listdir(folder)
            keys = {n for n in names if not n.endswith((".part", ".tmp"))}
            known = set(db.session.scalars(select(Document.storage_key).where(Document.storage_key.in_(keys)))) \
                if keys else set()
            for name in names:
                path = os.path.join(folder, name)
                if name in known:
                    referenced += 1
                    continue
                try:
                    if os.path.getmtime(path) > cutoff:
                        kept_young += 1
                        continue
                    if not dry_run:
                        os.remove(path)
                except FileNotFoundError:
                    continue
                removed.append(os.path.relpath(path, root))
    result = {"removed": len(removed), "files": sorted(removed)[:100], "kept_recent": kept_young,
              "referenced": referenced, "dry_run": dry_run,
              "previews_removed": _clean_previews(os.path.join(root, "previews"), cutoff, dry_run)}
    if check_rows:
        result["rows_without_file"] = sum(1 for key in db.session.scalars(select(Document.storage_key))
                                          if not os.path.exists(_storage_path(key)))
    return result


def _clean_previews(folder: str, cutoff: float, dry_run: bool) -> int:
    """Drop the drawn pages of files no document has any more (preview.py keeps them by SHA-256)."""
    if not os.path.isdir(folder):
        return 0
    hashes = {n for n in os.listdir(folder) if preview.SHA256.fullmatch(n)}
    known = set(db.session.scalars(select(Document.sha256).where(Document.sha256.in_(hashes)))) if hashes else set()
    removed = 0
    for name in hashes - known:
        path = os.path.join(folder, name)
        try:
            if os.path.getmtime(path) > cutoff:
                continue  # an upload in progress drew its first page here before its row commits
        except FileNotFoundError:
            continue
        if not dry_run:
            shutil.rmtree(path, ignore_errors=True)
        removed += 1
    return removed


def file_path(document: Document) -> str:
    return _storage_path(document.storage_key)


MAX_PREVIEW_PAGES = 10
PREVIEW_SCALE = 1.4  # an A4 page is 833 x 1179 pixels
MAX_PREVIEW_SIDE = 2000  # pixels on the long side, so at most 4 megapixels (about 12 MB) per page


def preview_scale(width: float, height: float) -> float:
    """The scale a page of this size (in points) is drawn at: PREVIEW_SCALE unless its image would be too large."""
    # Half a pixel under the limit: the renderer rounds each side up (math.ceil).
    return min(PREVIEW_SCALE, (MAX_PREVIEW_SIDE - 0.5) / max(width, height, 1))


def preview_page_count(document: Document) -> int:
    """How many pages the inline preview shows (0 when the file cannot be read)."""
    if document.content_type != "application/pdf":
        return 1
    return _pdf_pages(file_path(document))


@lru_cache(maxsize=4096)
def _pdf_pages(path: str) -> int:
    # A stored file never changes (a new upload gets a new key): count its pages once per process, not per view.
    try:
        pdf = pypdfium2.PdfDocument(path)
    except (pypdfium2.PdfiumError, OSError):
        return 0
    try:
        return min(len(pdf), MAX_PREVIEW_PAGES)
    finally:
        pdf.close()


def preview_image(document: Document, page: int) -> tuple[bytes, str] | None:
    """One page as an image. PDFs are rendered here to PNG, so nothing inside a PDF ever runs in a browser."""
    if document.content_type != "application/pdf":
        if page != 0:
            return None
        with open(file_path(document), "rb") as f:
            return f.read(), document.content_type
    if not 0 <= page < preview_page_count(document):
        return None
    outcome, png = preview.page_png(file_path(document), document.sha256, page, scale=PREVIEW_SCALE,
                                    side=MAX_PREVIEW_SIDE)
    if outcome == preview.RENDERED:
        return png, "image/png"
    if outcome == preview.NOT_A_PAGE:
        return None
    # Drawing it would cost more than the limits allow, or every drawing slot is taken: a placeholder, at once.
    return preview.unavailable_image(busy=outcome == preview.BUSY), "image/svg+xml"
