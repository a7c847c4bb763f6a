"""Storing uploads safely: size limit, type by content, SHA-256, outside static/."""
from __future__ import annotations

import hashlib
import os
import uuid

import filetype
from flask import current_app
from flask_babel import lazy_gettext as _l

from portal.documents.models import Document
from portal.extensions import db

# What a scanned or electronic copy may be; decided by the bytes, not the name.
ALLOWED_TYPES = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}
CHUNK = 64 * 1024


class UploadRejected(ValueError):
    """An upload the portal refuses, with a message for the person."""


def _storage_path(key: str) -> str:
    return os.path.join(current_app.config["UPLOADS_DIR"], key[:2], key)


def _clean_name(name: str) -> str:
    # Keep only the last path component and printable characters: no traversal, no control bytes.
    base = os.path.basename((name or "").replace("\\", "/")).strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    return base[:200] or "document"


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
        if size == 0:
            raise UploadRejected(_l("The file is empty."))
        kind = filetype.guess(head)
        mime = kind.mime if kind else None
        if mime not in ALLOWED_TYPES:
            raise UploadRejected(_l("Only PDF, PNG and JPEG files are accepted; this file's content is not one of them."))
        if not name.lower().endswith(ALLOWED_TYPES[mime]):
            raise UploadRejected(_l("The file's name does not match its content (%(type)s).", type=mime))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    document = Document(application_id=application.id, code=code, original_name=name, content_type=mime,
                        size=size, sha256=digest.hexdigest(), storage_key=key, expires_on=expires_on,
                        uploaded_by_id=uploaded_by.id)
    db.session.add(document)
    return document


def remove_file(document: Document) -> None:
    """Delete the stored bytes (the row goes with the caller's transaction)."""
    try:
        os.remove(_storage_path(document.storage_key))
    except FileNotFoundError:
        pass


def file_path(document: Document) -> str:
    return _storage_path(document.storage_key)


MAX_PREVIEW_PAGES = 10


def preview_page_count(document: Document) -> int:
    """How many pages the inline preview shows (0 when the file cannot be read)."""
    if document.content_type != "application/pdf":
        return 1
    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(file_path(document))
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
    import io

    import pypdfium2

    try:
        pdf = pypdfium2.PdfDocument(file_path(document))
    except (pypdfium2.PdfiumError, OSError):
        return None
    try:
        if not 0 <= page < min(len(pdf), MAX_PREVIEW_PAGES):
            return None
        image = pdf[page].render(scale=1.4).to_pil()
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    finally:
        pdf.close()
