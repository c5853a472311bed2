"""One spreadsheet guard for every CSV and XLSX the catalog writes: the same dangerous starts are
made inert in the dataset listings, scorecards, the review report, feedback, harvest errors and
the inventory's annotated copy."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from catalog.db import db
from catalog.models import HarvestJob, HarvestRecord, HarvestSource
from catalog.services import harvest as harvest_service
from catalog.services import review_report, scorecard_export
from catalog.services.feedback import feedback_csv
from harvesters.inventory import write_annotated

# One text per dangerous start, each unique so it can be found in any output.
HOSTILE = [
    "=1+1 x0",
    "+1 x1",
    "-1 x2",
    "@SUM(A1) x3",
    "\t=1 x4",
    "\r=1 x5",
    "\n=1 x6",
    "|calc x7",
    "%0A x8",
    "  =1+1 x9",
]


def _cells_csv(text: str) -> list[str]:
    return [
        cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")) for cell in row
    ]


def _cells_xlsx(data: bytes) -> list[openpyxl.cell.Cell]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _check(texts: list[str]) -> None:
    """Each hostile value (or its trimmed form, where a schema trims text) is there, quoted."""
    for value in HOSTILE:
        found = [t for t in texts if t.endswith(value[-3:])]
        assert found, f"{value!r} missing from the output"
        # XML turns a carriage return into a line feed when read back.
        forms = {value, value.strip(), value.replace("\r", "\n")}
        assert all(t[:1] == "'" and t[1:] in forms for t in found), found


def assert_csv_safe(text: str) -> None:
    _check(_cells_csv(text))


def assert_xlsx_safe(data: bytes) -> None:
    cells = _cells_xlsx(data)
    assert all(cell.data_type != "f" for cell in cells)
    _check([c.value for c in cells if isinstance(c.value, str)])


def test_dataset_listings(client, make_dataset) -> None:
    for value in HOSTILE:
        make_dataset(title=value)
    assert_csv_safe(client.get("/datasets.csv").get_data(as_text=True))
    assert_xlsx_safe(client.get("/datasets.xlsx").data)


def test_scorecards() -> None:
    rows = [[value, 50] for value in HOSTILE]
    assert_csv_safe(scorecard_export.to_csv(["title", "score"], rows).decode())
    assert_xlsx_safe(scorecard_export.to_xlsx(["title", "score"], rows))


def test_review_report() -> None:
    report = review_report.AnnualReport(
        year=2026, start=date(2026, 1, 1), end=date(2026, 12, 31), as_of=date(2026, 12, 31)
    )
    report.agreements = [
        {"id": n, "title": value, "parties": "", "datasets": 1, "reviews_resolved": 0,
         "effective_on": None, "expires_on": None, "missing_clauses": 0, "expiring_soon": False}
        for n, value in enumerate(HOSTILE)
    ]  # fmt: skip
    assert_csv_safe(review_report.report_csv(report))
    assert_xlsx_safe(review_report.report_xlsx(report))


def test_feedback_export() -> None:
    common = {"created_at": datetime(2026, 1, 1), "version": SimpleNamespace(key="p"),
              "target_kind": "plan", "target_key": "", "status": "new", "email": None,
              "organisation": None, "comment": "ok", "publish_consent": False, "reply": None,
              "published": False}  # fmt: skip
    rows = [SimpleNamespace(id=n, name=value, **common) for n, value in enumerate(HOSTILE)]
    assert_csv_safe(feedback_csv(rows))


def test_audit_log_export(app_ctx, make_user) -> None:
    from catalog.services.audit import record_event
    from catalog.services.history import AuditFilters, audit_csv

    for n, value in enumerate(HOSTILE):
        record_event(db.session, value, "dataset.update", "dataset", f"d{n}", None, {"x": n})
    db.session.flush()
    assert_csv_safe(audit_csv(db.session, db.session.merge(make_user("cdo")), AuditFilters()))


def test_plan_progress_report_export() -> None:
    from catalog.services.plan_report import report_xlsx

    rows = [
        {"code": f"A{n}", "name": value, "start": {"datasets": 1, "score": 50, "standards": {}},
         "end": {"datasets": 2, "score": 60, "standards": {}}, "change": 10}
        for n, value in enumerate(HOSTILE)
    ]  # fmt: skip
    snap = {"taken_on": date(2026, 1, 1), "standards": {}}
    report = {
        "version": {"key": "k", "title": "t", "status": "final"},
        "period": {"starts": date(2025, 1, 1), "ends": date(2026, 12, 31)}, "closed": True,
        "conformance": {"start": snap, "end": snap, "standards": [], "agencies": rows},
        "plan": {
            "objectives": [], "coverage": [], "cycle": None, "agreements": [
                {"id": n, "title": value, "parties": ["DPH"], "effective_on": "2026-01-01",
                 "expires_on": None, "datasets": 0} for n, value in enumerate(HOSTILE)
            ],
            "reviews": {"start": {}, "end": {}, "states": []},
        },
    }  # fmt: skip
    data = report_xlsx(report)
    book = openpyxl.load_workbook(io.BytesIO(data))
    names = [c.value for c in book["Conformance"]["B"]][1:]
    titles = [c.value for c in book["Agreements"]["B"]][1:]
    for texts in (names, titles):
        assert all(t[:1] == "'" for t in texts) and len(texts) == len(HOSTILE)
    assert all(cell.data_type != "f" for cell in _cells_xlsx(data))


def test_harvest_errors_csv(app_ctx) -> None:
    source = HarvestSource(name="src", kind="dcat-us", url="https://x.example/data.json")
    job = HarvestJob(source=source, status="succeeded")
    db.session.add(job)
    db.session.flush()
    for n, value in enumerate(HOSTILE):
        db.session.add(
            HarvestRecord(
                job_id=job.id, identifier=f"id-{n}", title=value, outcome="failed", raw={},
                errors=[{"severity": "error", "type": "schema", "field": "title",
                         "message": "bad"}],
            )
        )  # fmt: skip
    db.session.flush()
    assert_csv_safe(harvest_service.errors_csv(db.session, job))


def test_inventory_annotated_copy_keeps_the_text_and_quotes_it(tmp_path) -> None:
    path = tmp_path / "annotated.xlsx"
    write_annotated(pd.DataFrame({"name": HOSTILE}), {}, path)
    cells = _cells_xlsx(path.read_bytes())
    assert all(cell.data_type != "f" for cell in cells)
    for value in HOSTILE:
        # Unchanged (XML reads a carriage return back as a line feed), so a re-upload reads it.
        [cell] = [c for c in cells if c.value in (value, value.replace("\r", "\n"))]
        assert cell.quotePrefix, value


@pytest.mark.parametrize("value", ["plain", "a=b", "e-mail", "50%"])
def test_ordinary_text_is_left_alone(value) -> None:
    assert_plain = scorecard_export.to_csv(["v"], [[value]]).decode()
    assert _cells_csv(assert_plain) == ["v", value]
