"""Small PDF files for the upload and preview tests: written by hand (pdfium draws them as they are), or made by
pdfium with pages of given sizes."""
from __future__ import annotations

import io
import struct

import pypdfium2

from portal.demo.stages import assemble_pdf  # noqa: F401  (the demo's specimens are built the same way)

A4 = (595, 842)


def pdf_of(*pages: tuple[float, float]) -> bytes:
    """A valid PDF of empty pages of these sizes (points); ten pages of any size take under 2 KB."""
    pdf = pypdfium2.PdfDocument.new()
    for width, height in pages:
        pdf.new_page(width, height)
    out = io.BytesIO()
    pdf.save(out)
    pdf.close()
    return out.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])
