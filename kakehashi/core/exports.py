"""Tables as downloads: CSV for Excel in Japan (UTF-8 with a BOM) or XLSX, safe to open.

Every export in the product goes through :func:`spreadsheet_response`, so each gets the same
protection: formulas typed by users are neutralised (CSV/formula injection), XLSX drops the control
characters it cannot hold — before neutralising, so ``"\\x07=1+1"`` cannot turn into a formula —
and the file is an attachment that is never cached.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

from flask import Response

from kakehashi.core.storage import content_disposition

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas typed by users (CSV/formula injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _xlsx_text(value: Any) -> Any:
    """XLSX cannot hold most control characters (a vertical tab pasted from Word, say): drop them."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def sheet_name(title: str, fallback: str) -> str:
    """Excel's rules: at most 31 characters, none of ``[]:*?/\\``."""
    return _SHEET_NAME_FORBIDDEN.sub(" ", title)[:31].strip() or fallback[:31]


def spreadsheet_response(
    headers: Sequence[Any], rows: Sequence[Sequence[Any]], fmt: str, *, stem: str, sheet_title: str = ""
) -> Response:
    """``stem.csv`` or ``stem.xlsx`` as an attachment."""
    table = [list(headers), *[list(row) for row in rows]]
    if fmt == "xlsx":  # before neutralising: "\x07=1+1" must not become a formula
        table = [[_xlsx_text(value) for value in row] for row in table]
    table = [[safe_cell(value) for value in row] for row in table]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerows([["" if value is None else value for value in row] for row in table])
        data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
        mimetype = "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(sheet_name(sheet_title, stem))
        for row in table:
            sheet.append(row)
        out = io.BytesIO()
        workbook.save(out)
        data = out.getvalue()
        mimetype = XLSX_MIMETYPE
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    result = Response(data, mimetype=mimetype)
    result.headers["Content-Disposition"] = content_disposition(f"{stem}.{fmt}")
    result.headers["Cache-Control"] = "private, no-store"
    return result
