"""Small PDF files for the upload and preview tests: written by hand (pdfium draws them as they are), or made by
pdfium with pages of given sizes."""
from __future__ import annotations

import io
import struct

import pypdfium2


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
