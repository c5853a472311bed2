"""CSV and XLSX listings of datasets, safe to open in a spreadsheet.

Both take an iterable of datasets (see ``catalog.exports.selection``) and the viewer. Columns
follow what the viewer may see (``catalog.schemas.present``): anonymous viewers get no governance
columns, and no access URLs for datasets that are not public. Cells go through the spreadsheet
guard (``catalog.guards.cells``): no cell can start with ``=``, so openpyxl never writes a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO, Any

from catalog.dcat.records import record_of
from catalog.dcat.v11 import public_v11
from catalog.guards.cells import csv_row, safe_cell, xlsx_row
from catalog.models import Dataset, User
from catalog.permissions import can_see_internal
from catalog.schemas.present import present_dataset

# (header, function of the presented document and the dataset)
PUBLIC_COLUMNS: list[tuple[str, Any]] = [
    ("id", lambda doc, d: d.id),
    ("identifier", lambda doc, d: doc.get("identifier")),
    ("title", lambda doc, d: doc.get("title")),
    ("description", lambda doc, d: doc.get("description")),
    ("agency", lambda doc, d: d.agency.code),
    ("publisher", lambda doc, d: (doc.get("publisher") or {}).get("name")),
    ("access_level", lambda doc, d: doc.get("accessLevel")),
    ("rights", lambda doc, d: doc.get("rights")),
    ("license", lambda doc, d: doc.get("license")),
    ("keyword", lambda doc, d: "; ".join(doc.get("keyword", []))),
    ("theme", lambda doc, d: "; ".join(doc.get("theme", []))),
    ("modified", lambda doc, d: doc.get("modified")),
    ("issued", lambda doc, d: doc.get("issued")),
    ("accrual_periodicity", lambda doc, d: doc.get("accrualPeriodicity")),
    ("spatial", lambda doc, d: doc.get("spatial")),
    ("temporal", lambda doc, d: doc.get("temporal")),
    ("contact_name", lambda doc, d: (doc.get("contactPoint") or {}).get("fn")),
    ("contact_email", lambda doc, d: _bare_email((doc.get("contactPoint") or {}).get("hasEmail"))),
    ("landing_page", lambda doc, d: doc.get("landingPage")),
    ("described_by", lambda doc, d: doc.get("describedBy")),
    ("formats", lambda doc, d: "; ".join(_formats(doc))),
    ("access_urls", lambda doc, d: " ".join(_urls(doc))),
    ("conformance_score", lambda doc, d: d.conformance_score),
    ("status", lambda doc, d: d.status),
]
INTERNAL_COLUMNS: list[tuple[str, Any]] = [
    ("steward_name", lambda doc, d: (doc.get("steward") or {}).get("name")),
    ("steward_email", lambda doc, d: (doc.get("steward") or {}).get("email")),
    ("classification", lambda doc, d: doc.get("classification")),
    ("governance_notes", lambda doc, d: doc.get("notes")),
    ("review_status", lambda doc, d: d.review_status),
]


def columns_for(viewer: User | None) -> list[tuple[str, Any]]:
    """Signed-in users get the governance columns (filled only where they may see them)."""
    return PUBLIC_COLUMNS + (INTERNAL_COLUMNS if viewer is not None else [])


def iter_rows(datasets: Iterable[Dataset], viewer: User | None) -> Iterator[list[Any]]:
    """The header, then one escaped row per dataset."""
    columns = columns_for(viewer)
    yield [name for name, _ in columns]
    for dataset in datasets:
        internal = viewer is not None and can_see_internal(viewer, dataset)
        # What others see is the anonymous view: the mapping's public form, without the rest.
        doc = present_dataset(dataset, viewer) if internal else public_v11(record_of(dataset))
        row = []
        for index, (_name, getter) in enumerate(columns):
            if index >= len(PUBLIC_COLUMNS) and not internal:
                row.append(None)
                continue
            row.append(safe_cell(getter(doc, dataset)))
        yield row


def iter_csv(datasets: Iterable[Dataset], viewer: User | None) -> Iterator[str]:
    """CSV text, one chunk per row (UTF-8 with a BOM first so spreadsheets read accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for row in iter_rows(datasets, viewer):
        writer.writerow(csv_row(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def write_xlsx(datasets: Iterable[Dataset], viewer: User | None, out: IO[bytes]) -> int:
    """Write an XLSX workbook (openpyxl write-only, constant memory); returns the row count."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Datasets")
    bold = Font(bold=True)
    count = -1
    for count, row in enumerate(iter_rows(datasets, viewer)):
        if count == 0:
            header = []
            for value in row:
                cell = WriteOnlyCell(sheet, value=value)
                cell.font = bold
                header.append(cell)
            sheet.append(header)
            continue
        sheet.append(xlsx_row(row))
    workbook.save(out)
    return max(count, 0)


def _bare_email(value: str | None) -> str | None:
    return value[len("mailto:") :] if value and value.startswith("mailto:") else value


def _formats(doc: dict) -> list[str]:
    found = [d.get("format") or d.get("mediaType") for d in doc.get("distribution", [])]
    return list(dict.fromkeys(f for f in found if f))


def _urls(doc: dict) -> list[str]:
    urls = []
    for dist in doc.get("distribution", []):
        urls += [u for u in (dist.get("downloadURL"), dist.get("accessURL")) if u]
    return urls
