"""Hostile uploads against the real upload routes: the application's pitch deck (PDF only) and a landing
task's document (PDF, JPEG or PNG).

Every refusal is a clear message on the re-shown form and stores nothing: no row anywhere, no object in
storage. Decisions the matrix pins down:

- The type is decided by content, never by name or declared type: a PNG named ``.pdf`` is a PNG (stored
  as ``….png`` where PNGs are allowed, refused where only PDFs are).
- A file that starts as HTML is HTML, even with a whole PDF after it (a browser's sniffer would render
  it): refused. A PDF that carries HTML inside or after it is a PDF: accepted, and only ever served as a
  ``application/pdf`` attachment with ``nosniff``.
- The stored name is the uploader's base name, cleaned (no path, no control characters, at most 200
  characters with the extension kept); the storage key is the server's own.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from markupsafe import escape
from pypdf import PdfWriter
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from kakehashi.applications.models import Application
from kakehashi.core.storage import (
    EncryptedPdf,
    InvalidFileType,
    StoredFile,
    backend,
    human_size,
    wrong_type_message,
)
from kakehashi.extensions import db
from kakehashi.softlanding.models import CaseTask, TaskDocument
from tests.core.pdfs import pdf_bytes
from tests.factories import ApplicationFactory, UserFactory, member_of
from tests.softlanding.factories import open_small_case, png_bytes, tasks_of

LIMIT_1_MB = 1024 * 1024
NOT_A_PDF = "This file is not a readable PDF. Please upload the deck as a PDF file."
NOT_A_DOCUMENT = "This file is not a readable PDF / JPEG / PNG file."
PASSWORD_PROTECTED = "This PDF is protected by a password. Please save it without a password and upload it again."
KEY_PATTERN = re.compile(r"^[a-z_]+/\d{4}/\d{2}/[0-9a-f]{32}$")


# --- files --------------------------------------------------------------------------------------


def pdf_of_size(size: int) -> bytes:
    """A valid one-page PDF of exactly ``size`` bytes (padded in its metadata)."""
    padding = max(size - len(pdf_bytes(min_size=1)), 1)
    for _ in range(5):
        writer = PdfWriter()
        writer.add_blank_page(width=595, height=842)
        writer.add_metadata({"/Subject": "x" * padding})
        out = io.BytesIO()
        writer.write(out)
        data = out.getvalue()
        if len(data) == size:
            return data
        padding += size - len(data)
    raise AssertionError(f"could not make a PDF of exactly {size} bytes")


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    whole = pdf_bytes(pages=3)
    return whole[: len(whole) // 2]


HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>x</title></head><body><script src=/x.js></script></body></html>\n"


def html_then_pdf() -> bytes:
    """Starts as an HTML page; a complete PDF follows (readers accept junk before ``%PDF-``)."""
    return HTML_PAGE + pdf_bytes()


def pdf_then_html() -> bytes:
    """A complete PDF with an HTML page after its ``%%EOF``."""
    return pdf_bytes() + b"\n" + HTML_PAGE


# --- the state of the world -----------------------------------------------------------------------


def row_counts() -> dict[str, int]:
    """Rows per table, for every table: "nothing stored" means this did not change."""
    db.session.commit()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }


def stored_objects() -> int:
    return backend().count()


def snapshot() -> tuple[dict[str, int], int]:
    """Rows per table and objects in storage (which outlive a test's rows: compare, never count)."""
    return row_counts(), stored_objects()


def field_error(response: Any, field: str) -> str | None:
    match = re.search(rf'<div id="{field}-error" class="invalid-feedback d-block">(.*?)</div>', response.text, re.S)
    return " ".join(match.group(1).split()) if match else None


# --- the two upload routes ------------------------------------------------------------------------


@dataclass
class UploadRoute:
    """One real upload form: how to post a file to it and where an accepted file ends up."""

    name: str
    purpose: str
    field: str
    accepts_png: bool
    limit: int
    url: str
    client: Any
    stored: Callable[[], StoredFile | None]  # the file the route keeps, once accepted
    wrong_type: str

    def post(self, data: bytes, filename: str = "upload.pdf", *, lang: str = "en", **extra: Any) -> Any:
        # Encoded in memory: the test client would spool a big body to a file it never closes.
        fields = {self.field: FileStorage(io.BytesIO(data), filename, content_type="application/pdf"), **extra}
        boundary, body = encode_multipart(fields)
        return self.client.post(
            f"{self.url}?lang={lang}", data=body, content_type=f"multipart/form-data; boundary={boundary}"
        )


def deck_route(login_as: Any) -> UploadRoute:
    application = ApplicationFactory(call__deck_max_mb=1)
    client = login_as(member_of(application.startup))

    def stored() -> StoredFile | None:
        db.session.commit()
        return db.session.get(Application, application.id).deck

    return UploadRoute(
        name="deck",
        purpose="pitch_deck",
        field="deck",
        accepts_png=False,
        limit=LIMIT_1_MB,
        url=f"/applications/{application.id}/edit",
        client=client,
        stored=stored,
        wrong_type=NOT_A_PDF,
    )


def landing_route(app: Flask, login_as: Any) -> UploadRoute:
    app.config["LANDING_UPLOAD_MAX_BYTES"] = 64 * 1024
    founder = UserFactory(locale="en")
    case = open_small_case(founder=founder)
    task = tasks_of(case)["passport"]
    client = login_as(founder)

    def stored() -> StoredFile | None:
        db.session.commit()
        document = db.session.scalars(select(TaskDocument).where(TaskDocument.task_id == task.id)).first()
        return document.file if document else None

    return UploadRoute(
        name="landing",
        purpose="landing_document",
        field="document",
        accepts_png=True,
        limit=64 * 1024,
        url=f"/landing/tasks/{task.id}/documents",
        client=client,
        stored=stored,
        wrong_type=NOT_A_DOCUMENT,
    )


@pytest.fixture(params=["deck", "landing"])
def route(request: pytest.FixtureRequest, app: Flask, login_as: Any) -> UploadRoute:
    return deck_route(login_as) if request.param == "deck" else landing_route(app, login_as)


def translated(route: UploadRoute, expected: str) -> str:
    """A refusal message in the current locale, made as the app makes it."""
    if expected == PASSWORD_PROTECTED:
        return str(EncryptedPdf())
    return str(InvalidFileType()) if not route.accepts_png else wrong_type_message(("pdf", "jpeg", "png"))


def accepted(route: UploadRoute, response: Any) -> StoredFile:
    assert response.status_code == 302, field_error(response, route.field)
    stored = route.stored()
    assert stored is not None
    return stored


def refused(route: UploadRoute, response: Any, message: str, *, status: int = 200) -> None:
    assert response.status_code == status
    assert field_error(response, route.field) == str(escape(message))


# --- what is accepted -------------------------------------------------------------------------------


def test_a_real_pdf_is_accepted_with_its_name_and_a_server_generated_key(route: UploadRoute) -> None:
    data = pdf_bytes(pages=2)
    objects = stored_objects()

    stored = accepted(route, route.post(data, "事業計画 2026.pdf"))

    assert (stored.original_filename, stored.content_type, stored.size) == (
        "事業計画 2026.pdf",
        "application/pdf",
        len(data),
    )
    assert KEY_PATTERN.match(stored.key), stored.key
    assert backend().read(stored.key) == data
    assert stored_objects() == objects + 1


def test_a_png_named_pdf_is_a_png_where_pngs_are_allowed_and_refused_where_they_are_not(route: UploadRoute) -> None:
    before = snapshot()

    response = route.post(png_bytes(), "passport.pdf")

    if route.accepts_png:
        stored = accepted(route, response)
        assert (stored.content_type, stored.original_filename) == ("image/png", "passport.png")
    else:
        refused(route, response, NOT_A_PDF)
        assert snapshot() == before


def test_a_pdf_with_html_after_it_is_a_pdf_and_is_only_served_as_a_pdf_attachment(
    route: UploadRoute, login_as: Any
) -> None:
    from tests.factories import StaffFactory

    data = pdf_then_html()

    stored = accepted(route, route.post(data, "deck.html"))
    assert (stored.content_type, stored.original_filename) == ("application/pdf", "deck.html.pdf")

    with login_as(StaffFactory()).get(f"/files/{stored.id}") as download:
        assert download.status_code == 200
        assert download.data == data
        assert download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_file_exactly_at_the_limit_is_accepted(route: UploadRoute) -> None:
    data = pdf_of_size(route.limit)
    assert len(data) == route.limit

    stored = accepted(route, route.post(data, "limit.pdf"))

    assert stored.size == route.limit


# --- what is refused, storing nothing ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        pytest.param(lambda: HTML_PAGE * 20, "wrong_type", id="html-renamed-pdf"),
        pytest.param(html_then_pdf, "wrong_type", id="html-then-pdf-polyglot"),
        pytest.param(truncated_pdf, "wrong_type", id="truncated-pdf"),
        pytest.param(encrypted_pdf, PASSWORD_PROTECTED, id="encrypted-pdf"),
        pytest.param(lambda: b"", "wrong_type", id="empty"),
        pytest.param(lambda: png_bytes()[:40], "wrong_type", id="truncated-png"),
    ],
)
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_a_file_that_is_not_what_it_claims_is_refused_with_a_clear_message_and_nothing_stored(
    route: UploadRoute, content: Callable[[], bytes], expected: str, lang: str
) -> None:
    before = snapshot()

    response = route.post(content(), "deck.pdf", lang=lang)

    assert f'<html lang="{lang}">' in response.text
    message = route.wrong_type if expected == "wrong_type" else expected
    if lang == "en":
        refused(route, response, message)
    else:  # the same message, as the translators wrote it
        with force_locale("ja"):
            refused(route, response, translated(route, expected))
    assert route.stored() is None
    assert snapshot() == before


def test_one_byte_over_the_limit_gets_413_with_the_limit_and_nothing_stored(route: UploadRoute) -> None:
    before = snapshot()

    response = route.post(pdf_of_size(route.limit + 1), "over.pdf")

    with force_locale("en"):
        limit = human_size(route.limit)
    refused(route, response, f"The file is larger than the limit of {limit}.", status=413)
    assert route.stored() is None
    assert snapshot() == before


def test_a_request_over_the_servers_ceiling_gets_the_413_page_and_nothing_stored(
    app: Flask, route: UploadRoute
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = route.limit // 2
    before = snapshot()

    response = route.post(pdf_of_size(route.limit), "huge.pdf")

    assert response.status_code == 413
    assert "File too large" in response.text
    assert snapshot() == before


# --- names ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        # Backslashes doubled: the multipart header's quoted string unescapes them on the way in.
        ("..\\\\..\\\\windows\\\\system32\\\\deck.pdf", "deck.pdf"),
        ("deck\x00.pdf", "deck.pdf"),
        ("deck.pdf\x00.html", "deck.pdf.html.pdf"),
        ("\u202egpj.pdf", "gpj.pdf"),
        ("../", "document.pdf"),
    ],
    ids=["dot-dot", "windows-dot-dot", "nul", "nul-then-html-extension", "rtl-override", "only-dot-dot"],
)
def test_a_hostile_name_is_stored_cleaned_and_never_reaches_the_storage_key(
    route: UploadRoute, given: str, kept: str
) -> None:
    stored = accepted(route, route.post(pdf_bytes(), given))

    assert stored.original_filename == kept
    assert KEY_PATTERN.match(stored.key), stored.key
    assert backend().read(stored.key) == pdf_bytes()


def test_a_300_character_name_is_shortened_keeping_its_extension(route: UploadRoute) -> None:
    name = "計" * 150 + "x" * 146 + ".pdf"
    assert len(name) == 300

    stored = accepted(route, route.post(pdf_bytes(), name))

    assert len(stored.original_filename) == 200
    assert stored.original_filename.endswith("x.pdf")
    assert stored.original_filename.startswith("計" * 150)
    assert KEY_PATTERN.match(stored.key)


def test_a_refused_upload_leaves_an_earlier_file_in_place(route: UploadRoute) -> None:
    first = accepted(route, route.post(pdf_bytes(), "first.pdf"))
    before = snapshot()

    refused(route, route.post(HTML_PAGE, "second.pdf"), route.wrong_type)

    assert route.stored().id == first.id
    assert backend().read(first.key) == pdf_bytes()
    assert snapshot() == before


def test_the_case_task_is_untouched_by_a_refused_document(app: Flask, login_as: Any) -> None:
    route = landing_route(app, login_as)
    task_id = int(route.url.split("/")[3])
    state = db.session.get(CaseTask, task_id).state

    route.post(truncated_pdf(), "passport.pdf")

    db.session.commit()
    assert db.session.get(CaseTask, task_id).state is state
