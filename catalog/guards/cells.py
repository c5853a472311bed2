"""The one guard for spreadsheet cells: every CSV and XLSX the catalog writes goes through it.

Text that a spreadsheet could evaluate (OWASP "CSV injection": a cell starting with ``=``, ``+``,
``-``, ``@``, a tab, a carriage return or a line feed, or with ``|`` or ``%`` that some
spreadsheets also read as formulas or DDE, also after leading spaces) is made inert:

- in CSV and in XLSX written as values, a leading apostrophe (``safe_cell``), which spreadsheets
  show as text;
- in the inventory's annotated copy, which a steward fixes and uploads again, the cell keeps its
  exact text and gets Excel's "quote prefix" style instead (``text_cell``), so it reads back
  unchanged.

XLSX cells also lose the control characters XML cannot hold (openpyxl would refuse the file).
Numbers, booleans, dates and None pass through.
"""

from __future__ import annotations

import math
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n", "|", "%")


def is_dangerous(text: str) -> bool:
    return text.startswith(DANGEROUS_PREFIXES) or text.lstrip(" ").startswith(DANGEROUS_PREFIXES)


def safe_cell(value: Any) -> Any:
    """``value`` with an apostrophe before text a spreadsheet would evaluate."""
    if isinstance(value, str) and is_dangerous(value):
        return "'" + value
    return value


def csv_row(values: Any) -> list[Any]:
    """A CSV row: each value made safe, None as an empty cell."""
    return ["" if value is None else safe_cell(value) for value in values]


def xlsx_value(value: Any) -> Any:
    """A value for an XLSX cell: made safe, without characters XML cannot hold."""
    value = safe_cell(value)
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def xlsx_row(values: Any) -> list[Any]:
    return [xlsx_value(value) for value in values]


def text_cell(sheet: Any, value: Any) -> WriteOnlyCell:
    """A write-only cell holding ``value`` as text, never as a formula, its text unchanged; text
    a spreadsheet could evaluate gets the quote-prefix style (what typing ``'`` does)."""
    blank = value is None or (isinstance(value, float) and math.isnan(value))
    text = "" if blank else ILLEGAL_CHARACTERS_RE.sub("", str(value))
    cell = WriteOnlyCell(sheet, value=text or None)
    if text:
        cell.data_type = "s"  # never "f" (formula), whatever the text starts with
        cell.quotePrefix = is_dangerous(text)
    return cell
