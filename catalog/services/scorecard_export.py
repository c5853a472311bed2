"""Scorecards as CSV or XLSX, safe to open in a spreadsheet (no formula injection)."""

from __future__ import annotations

import csv
import io
from typing import Any

from catalog.guards.cells import csv_row, xlsx_row


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_row(header))
    for row in rows:
        writer.writerow(csv_row(row))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(header: list[str], rows: list[list[Any]], title: str = "Scorecard") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append(xlsx_row(header))
    for row in rows:
        sheet.append(xlsx_row(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
