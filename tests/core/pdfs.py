"""PDF bytes for tests: real documents made with pypdf, and things that only pretend to be PDFs."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfWriter

A4 = (595, 842)


def pdf_bytes(*, pages: int = 1, min_size: int = 0) -> bytes:
    """A valid PDF with ``pages`` blank A4 pages, padded (in its metadata) to at least ``min_size`` bytes."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=A4[0], height=A4[1])
    if min_size:
        writer.add_metadata({"/Subject": "x" * min_size})
    out = BytesIO()
    writer.write(out)
    data = out.getvalue()
    assert len(data) >= min_size
    return data


def pdf_without_pages() -> bytes:
    out = BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


PNG_HEADER = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
PLAIN_TEXT = "これはPDFではありません。\nThis is not a PDF.\n".encode()
PDF_MAGIC_THEN_GARBAGE = b"%PDF-1.7\n" + bytes(range(256)) * 8
