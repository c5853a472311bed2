"""The annual report (PA 19-153 shape): counts match the reviews in the database."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from catalog.db import db
from catalog.models import Agency, Dataset, LegalAuthority, SharingReview
from catalog.models.review import review_authority
from catalog.services import review_report
from catalog.services import reviews as review_service
from catalog.services.agreements import create_agreement


@pytest.fixture
def mixed_reviews(app, open_review, people, make_dataset, clock):
    """Six reviews in different states across two holding agencies, and two agreements."""
    student = make_dataset(
        title="Student enrollment",
        agency="SDE",
        accessLevel="non-public",
        rights="Student records.",
    )
    clock(date(2026, 1, 10))
    a = open_review()
    b = open_review(requesting_agency_code="DOT", authority_codes=["HIPAA", "42CFR2"])
    c = open_review(dataset_id=student.id, authority_codes=["FERPA"], obstacle_kinds=["legal"])
    d = open_review(dataset_id=student.id, authority_codes=[], requesting_agency_code="OPM",
                    obstacle_kinds=["technical"])  # fmt: skip
    e = open_review(requesting_agency_code="OPM", authority_codes=["HIPAA"])
    f = open_review(requesting_agency_code=None, authority_codes=["CT-FOIA"])
    steps = {
        a.id: ["in_review", "resolved_agreement"],
        b.id: ["in_review"],
        c.id: ["in_review", "resolved_deidentified"],
        d.id: ["restricted"],
        f.id: ["in_review", "resolved_statute"],
    }
    clock(date(2026, 2, 1))
    with app.app_context():
        cdo = db.session.merge(people["cdo"])
        for review_id, path in steps.items():
            for state in path:
                review_service.transition_review(db.session, review_id, state, "Step.", cdo)
        create_agreement(
            db.session, cdo, title="=HYPERLINK(\"http://evil\")", purpose="Evaluation",
            party_codes=["DPH", "DSS"], effective_on=date(2025, 6, 1),
            expires_on=date(2026, 3, 15), review_ids=[a.id], clauses=["purpose"],
        )  # fmt: skip
        create_agreement(
            db.session, cdo, title="Old agreement", purpose="Ended",
            party_codes=["SDE", "OPM"], effective_on=date(2020, 1, 1),
            expires_on=date(2024, 12, 31),
        )  # fmt: skip
        db.session.commit()
    clock(date(2026, 3, 2))
    return {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f}


def test_report_counts_match_the_reviews_in_the_database(app, mixed_reviews):
    with app.app_context():
        report = review_report.build_annual_report(db.session, 2026)
        by_state_db = dict(
            db.session.execute(
                select(SharingReview.state, func.count()).group_by(SharingReview.state)
            ).all()
        )
        by_agency_db = dict(
            db.session.execute(
                select(Agency.code, func.count())
                .select_from(SharingReview)
                .join(Dataset, SharingReview.dataset_id == Dataset.id)
                .join(Agency, Dataset.agency_id == Agency.id)
                .group_by(Agency.code)
            ).all()
        )
        by_authority_db = dict(
            db.session.execute(
                select(LegalAuthority.code, func.count())
                .select_from(review_authority)
                .join(LegalAuthority, review_authority.c.authority_id == LegalAuthority.id)
                .group_by(LegalAuthority.code)
            ).all()
        )
        total_db = db.session.scalar(select(func.count()).select_from(SharingReview))

    assert {s: n for s, n in report.by_state.items() if n} == by_state_db
    assert report.totals["reviews"] == total_db == 6
    assert {r["code"]: r["total"] for r in report.by_agency if r["total"]} == by_agency_db
    cited = {r["code"]: r["total"] for r in report.by_authority if r["code"] != "(none cited)"}
    assert cited == by_authority_db
    assert next(r for r in report.by_authority if r["code"] == "(none cited)")["total"] == 1
    assert report.totals["open"] == 2 and report.totals["resolved"] == 3
    assert report.totals["restricted"] == 1
    assert report.totals["opened_in_year"] == 6 and report.totals["closed_in_year"] == 4
    # Agreements: only the one in effect during 2026 counts; DPH and DSS are its parties.
    assert report.totals["agreements_in_effect"] == 1
    agencies = {r["code"]: r for r in report.by_agency}
    assert agencies["DPH"]["agreements"] == 1 and agencies["DSS"]["agreements"] == 1
    assert "SDE" in agencies and agencies["SDE"]["agreements"] == 0
    assert report.agreements[0]["reviews_resolved"] == 1
    assert report.agreements[0]["expiring_soon"] is True
    assert report.by_obstacle["technical"] == 1 and report.by_obstacle["privacy"] == 4


def test_last_years_report_replays_states_from_history(app, mixed_reviews):
    with app.app_context():
        report = review_report.build_annual_report(db.session, 2025)
    assert report.totals["reviews"] == 0  # nothing was opened before 2026
    assert report.totals["agreements_in_effect"] == 1  # in effect from 2025-06-01


def test_state_on_a_past_day_comes_from_the_transitions(app, mixed_reviews):
    with app.app_context():
        review = db.session.get(SharingReview, mixed_reviews["a"].id)
        assert review_report.state_on(review, date(2026, 1, 9)) is None
        assert review_report.state_on(review, date(2026, 1, 31)) == "identified"
        assert review_report.state_on(review, date(2026, 2, 1)) == "resolved_agreement"


def test_csv_export_has_the_same_counts_and_is_safe_from_formula_injection(client, mixed_reviews):
    response = client.get("/reviews/report.csv?year=2026")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "sharing-review-report-2026.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    states = {r["key"]: int(r["value"]) for r in rows if r["section"] == "state"}
    assert states["in_review"] == 1 and states["identified"] == 1 and states["restricted"] == 1
    hipaa = {
        r["measure"]: int(r["value"])
        for r in rows
        if r["section"] == "authority" and r["key"] == "HIPAA"
    }
    assert hipaa == {"total": 3, "open": 2, "resolved": 1, "restricted": 0}
    agreement_labels = {r["label"] for r in rows if r["section"] == "agreement"}
    assert agreement_labels == {'\'=HYPERLINK("http://evil")'}


def test_xlsx_export_has_a_sheet_per_section_and_no_formulas(client, mixed_reviews):
    response = client.get("/reviews/report.xlsx?year=2026")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == [
        "Summary", "By state", "By agency", "By authority", "By obstacle", "Agreements",
    ]  # fmt: skip
    by_state = {row[0]: row[2] for row in book["By state"].iter_rows(min_row=2, values_only=True)}
    assert by_state["resolved_agreement"] == 1 and by_state["resolved_statute"] == 1
    agreement_title = book["Agreements"]["B2"]
    assert agreement_title.data_type == "s" and agreement_title.value.startswith("'=")


def test_printable_report_page_is_public_and_shows_the_counts(client, mixed_reviews):
    page = client.get("/reviews/report?year=2026").get_data(as_text=True)
    assert "Legal issues in interagency data sharing: 2026" in page
    assert '<td data-state="resolved_deidentified">1</td>' in page
    assert '<dd data-measure="reviews">6</dd>' in page
    assert "INTERNAL-REVIEW-NOTE" not in page
    assert client.get("/reviews/report?year=19").status_code == 400
