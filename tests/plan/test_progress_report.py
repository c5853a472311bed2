"""The plan progress report reads frozen snapshots only: its figures are the snapshots', and
snapshots taken after the period (or before it) leave it unchanged."""

from __future__ import annotations

import io
import re
from datetime import date
from html import unescape

import pytest
from openpyxl import load_workbook

from catalog.db import db
from catalog.models import ConformanceSnapshot, PlanSnapshot
from catalog.services.plan import get_version
from catalog.services.plan_report import build_progress_report
from tests.plan_fixtures import snapshot_on

pytestmark = pytest.mark.usefixtures("plan_objectives")


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_report_figures_are_the_snapshots_and_do_not_change_after_new_snapshots(
    app, period_history, freeze_today, make_dataset
):
    freeze_today(date(2027, 1, 15))  # the period has closed
    with app.app_context():
        version = get_version(db.session, "2025-2026")
        report = build_progress_report(db.session, version)
        assert report["closed"] is True
        c_first = db.session.get(ConformanceSnapshot, period_history["first"][0])
        c_last = db.session.get(ConformanceSnapshot, period_history["last"][0])
        p_first = db.session.get(PlanSnapshot, period_history["first"][1])
        p_last = db.session.get(PlanSnapshot, period_history["last"][1])
        conformance = report["conformance"]
        assert conformance["start"]["taken_on"] == date(2025, 1, 10)
        assert conformance["end"]["taken_on"] == date(2026, 12, 20)
        assert conformance["start"]["datasets"] == c_first.dataset_count == 1
        assert conformance["end"]["datasets"] == c_last.dataset_count == 3
        rows = {row["code"]: row for row in conformance["agencies"]}
        for code in ("DPH", "DOT"):
            end = c_last.figures["agencies"][code]
            assert rows[code]["end"]["score"] == end["score"]
            assert rows[code]["end"]["standards"] == end["standards"]
        assert rows["DPH"]["start"]["score"] == c_first.figures["agencies"]["DPH"]["score"]
        assert rows["DOT"]["start"]["score"] is None  # DOT had nothing at the start
        assert conformance["end"]["standards"] == c_last.figures["standards"]

        plan = report["plan"]
        coverage = {row["code"]: row for row in plan["coverage"]}
        assert len(coverage) == len(p_last.figures["agencies"])  # every agency, even empty ones
        assert (
            coverage["DPH"]["start"]["datasets"]
            == p_first.figures["agencies"]["DPH"]["datasets"]
            == 1
        )
        assert (
            coverage["DPH"]["end"]["datasets"] == p_last.figures["agencies"]["DPH"]["datasets"] == 2
        )
        assert coverage["DRS"]["end"]["datasets"] == 0
        (g11,) = [o for o in plan["objectives"] if o["key"] == "G1.1"]
        assert g11["reports"] == p_last.figures["progress"]["2025-2026"]["G1.1"]["reports"]
        assert g11["reports"] == [
            {"agency": "DPH", "period": "2026-H2", "status": "on-track", "metric_value": 62}
        ]
        assert [a["title"] for a in plan["agreements"]] == ["Vital records for DOT safety studies"]
        assert [a["title"] for a in p_last.figures["agreements"]] == [
            "Vital records for DOT safety studies"
        ]

    # New snapshots, after the period closed and before it began, with the catalog changed.
    make_dataset(title="Fish stocking", agency="DEEP")
    with app.app_context():
        snapshot_on(date(2027, 1, 10))
        snapshot_on(date(2024, 12, 1))
        again = build_progress_report(db.session, get_version(db.session, "2025-2026"))
    assert again == report


def test_report_page_pdf_and_workbook_carry_the_same_figures(
    app, client, period_history, freeze_today
):
    freeze_today(date(2027, 1, 15))
    page = client.get("/reports/plan-progress?version=2025-2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    text = text_of(html)
    assert "Period: 2025-01-01 to 2026-12-31" in text and "will not change" in text
    assert html.count("<svg") == 2 and "Average conformance score by agency" in html
    assert "Births by town" not in text  # figures, not records
    assert "DPH 2026-H2 on-track 62" in text
    assert "Private narrative." not in text  # narratives stay with the CDO
    assert "Vital records for DOT safety studies" in text
    assert "Department of Revenue Services DRS 0 → 0" in text

    workbook = load_workbook(
        io.BytesIO(client.get("/reports/plan-progress.xlsx?version=2025-2026").data)
    )
    assert {
        "Summary",
        "Conformance",
        "Objectives",
        "Coverage",
        "Sharing reviews",
        "Agreements",
    } <= set(workbook.sheetnames)
    objectives = list(workbook["Objectives"].iter_rows(values_only=True))
    assert objectives[1][:2] == ("G1.1", "G1") and objectives[1][7:] == (
        "DPH",
        "2026-H2",
        "on-track",
        62,
    )
    coverage = {row[0]: row for row in workbook["Coverage"].iter_rows(values_only=True)}
    assert coverage["DPH"][2] == 1 and coverage["DPH"][5] == 2

    pdf = client.get("/reports/plan-progress.pdf?version=2025-2026")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_a_version_without_snapshots_in_its_period_says_so(client):
    text = text_of(client.get("/reports/plan-progress?version=2021-2022").get_data(as_text=True))
    assert "No conformance snapshot was taken within the period." in text
    assert "No plan snapshot was taken within the period." in text
    assert client.get("/reports/plan-progress?version=nope").status_code == 404
