"""The one CSV/XLSX writer every export uses."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from kakehashi.core.exports import sheet_name, spreadsheet_response

HEADERS = ["名前", "Comment"]
ROWS = [["株式会社テスト", '=HYPERLINK("http://evil.example")'], ["Pasted", "\x07=1+1"]]


def test_csv_opens_in_excel_in_japan_with_formulas_neutralised(app):
    with app.test_request_context():
        response = spreadsheet_response(HEADERS, ROWS, "csv", stem="t")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows == [HEADERS, ["株式会社テスト", '\'=HYPERLINK("http://evil.example")'], ["Pasted", "\x07=1+1"]]
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"


def test_xlsx_drops_control_characters_before_neutralising_so_no_formula_slips_through(app):
    with app.test_request_context():
        response = spreadsheet_response(HEADERS, ROWS, "xlsx", stem="t", sheet_title="a/b:c*" + "x" * 40)
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[2] == ["Pasted", "'=1+1"]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.title == sheet_name("a/b:c*" + "x" * 40, "t")
    assert len(sheet.title) <= 31 and "/" not in sheet.title


def test_an_unknown_format_is_refused(app):
    with app.test_request_context(), pytest.raises(ValueError, match="format"):
        spreadsheet_response(HEADERS, ROWS, "pdf", stem="t")
