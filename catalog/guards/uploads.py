"""The guard for spreadsheets read from outside (a steward's upload, an inventory source): size,
uncompressed size and row count are checked before any parser sees the file.

An XLSX is a zip of XML: 144 KB can hold a million rows and 49 MB of XML, which pandas and
openpyxl would spend tens of seconds and hundreds of MB on before finding anything wrong. The
zip's directory gives the uncompressed sizes without inflating anything; rows are counted by
streaming each worksheet's XML through the decompressor, stopping at the limit.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

CHUNK = 1024 * 1024


class SpreadsheetRefused(ValueError):
    """The file is larger, or holds more rows, than the limits allow; the message says which."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 10 * 1024 * 1024
    max_uncompressed_bytes: int = 64 * 1024 * 1024
    max_rows: int = 50_000

    @classmethod
    def from_config(cls, config: Any) -> Limits:
        return cls(
            max_bytes=int(config.get("UPLOAD_MAX_BYTES", cls.max_bytes)),
            max_uncompressed_bytes=int(
                config.get("UPLOAD_MAX_UNCOMPRESSED_BYTES", cls.max_uncompressed_bytes)
            ),
            max_rows=int(config.get("UPLOAD_MAX_ROWS", cls.max_rows)),
        )


def check_spreadsheet(data: bytes, name: str, limits: Limits) -> None:
    """Raise ``SpreadsheetRefused`` unless the CSV or XLSX ``data`` is within ``limits``."""
    if len(data) > limits.max_bytes:
        raise SpreadsheetRefused(
            f"The file is {_mb(len(data))}; the limit is {_mb(limits.max_bytes)}."
        )
    if name.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data, limits)
    else:
        rows = _csv_rows(data, limits)
    if rows > limits.max_rows:
        raise SpreadsheetRefused(
            f"The file has more than {limits.max_rows:,} rows, the limit; split it into "
            "several files."
        )


def _xlsx_rows(data: bytes, limits: Limits) -> int:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise SpreadsheetRefused("It could not be read as XLSX (not a zip archive).") from None
    with archive:
        total = sum(info.file_size for info in archive.infolist())
        if total > limits.max_uncompressed_bytes:
            raise SpreadsheetRefused(
                f"The workbook unpacks to {_mb(total)}; the limit is "
                f"{_mb(limits.max_uncompressed_bytes)}."
            )
        rows = 0
        for info in archive.infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                rows += _count_rows(archive, info, limits.max_rows - rows + 1)
                if rows > limits.max_rows:
                    break
        return rows


def _count_rows(archive: zipfile.ZipFile, info: zipfile.ZipInfo, stop_after: int) -> int:
    """``<row`` elements in a worksheet, read in chunks (the declared size is not trusted: the
    read stops at it), stopping once ``stop_after`` is reached."""
    count, carry, read = 0, b"", 0
    with archive.open(info) as stream:
        while count < stop_after:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            read += len(chunk)
            if read > info.file_size:
                raise SpreadsheetRefused(
                    "The workbook is damaged (a sheet is larger than declared)."
                )
            text = carry + chunk
            carry = text[-4:]  # a "<row" cut by the chunk's end is counted with the next
            count += _rows_in(text[:-4])
        count += _rows_in(carry)
    return count


def _rows_in(xml: bytes) -> int:
    return sum(xml.count(tag) for tag in (b"<row ", b"<row>", b"<row/"))


def _csv_rows(data: bytes, limits: Limits) -> int:
    text = data.decode("utf-8-sig", errors="replace")
    rows = 0
    for rows, _row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if rows > limits.max_rows + 1:  # the header row does not count
            break
    return max(rows - 1, 0)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
