"""The annual report on legal issues in interagency data sharing (the PA 19-153 report's shape).

For a calendar year it counts the reviews that were live during the year (opened on or before
its last day and not closed before its first) by the agency holding the data, by legal authority,
by obstacle kind and by state, and lists the agreements in effect during the year. A review's
state is its state on the last day of the year (or today, for the current year), replayed from its
transition history, so last year's report does not change when reviews move on.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from catalog.guards.cells import csv_row, xlsx_row
from catalog.models import (
    Agency,
    Dataset,
    DataSharingAgreement,
    LegalAuthority,
    ReviewTransition,
    SharingReview,
)
from catalog.models.review import (
    OBSTACLE_KINDS,
    OPEN_STATES,
    RESOLVED_STATES,
    REVIEW_STATES,
    STATE_LABELS,
    STATE_RESTRICTED,
    review_authority,
)
from catalog.services.agreements import is_expiring, missing_clauses
from catalog.services.review_queries import list_authorities
from catalog.services.reviews import today_or_clock

BUCKETS = ("total", "open", "resolved", "restricted")
NO_AUTHORITY = "(none cited)"


@dataclass
class AnnualReport:
    year: int
    start: date
    end: date
    as_of: date
    totals: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict)
    by_agency: list[dict[str, Any]] = field(default_factory=list)
    by_authority: list[dict[str, Any]] = field(default_factory=list)
    by_obstacle: dict[str, int] = field(default_factory=dict)
    agreements: list[dict[str, Any]] = field(default_factory=list)


def state_on(review: SharingReview, day: date) -> str | None:
    """The review's state at the end of ``day`` (None if it was not yet opened)."""
    return _state_on([(t.to_state, t.on_date) for t in review.transitions], day)


def _state_on(history: list[tuple[str, date]], day: date) -> str | None:
    state = None
    for to_state, on_date in history:
        if on_date <= day:
            state = to_state
    return state


def _bucket(state: str) -> str:
    if state in OPEN_STATES:
        return "open"
    if state in RESOLVED_STATES:
        return "resolved"
    return "restricted" if state == STATE_RESTRICTED else "open"


def _empty() -> dict[str, int]:
    return dict.fromkeys(BUCKETS, 0)


def build_annual_report(session: Session, year: int, today: date | None = None) -> AnnualReport:
    start, end = date(year, 1, 1), date(year, 12, 31)
    as_of = min(end, today_or_clock(today))
    report = AnnualReport(year=year, start=start, end=end, as_of=as_of)
    live = (
        select(SharingReview.id)
        .where(SharingReview.opened_on <= as_of)
        .where(or_(SharingReview.decided_on.is_(None), SharingReview.decided_on >= start))
    )
    # Column queries: thousands of reviews are counted without loading them as objects.
    candidates = session.execute(
        select(
            SharingReview.id,
            SharingReview.opened_on,
            SharingReview.decided_on,
            SharingReview.obstacle_kinds,
            Agency.code,
            Agency.name,
        )
        .join(Dataset, SharingReview.dataset_id == Dataset.id)
        .join(Agency, Dataset.agency_id == Agency.id)
        .where(SharingReview.id.in_(live.scalar_subquery()))
        .order_by(SharingReview.id)
    ).all()
    steps: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for review_id, to_state, on_date in session.execute(
        select(ReviewTransition.review_id, ReviewTransition.to_state, ReviewTransition.on_date)
        .where(ReviewTransition.review_id.in_(live.scalar_subquery()))
        .order_by(ReviewTransition.review_id, ReviewTransition.id)
    ):
        steps[review_id].append((to_state, on_date))
    cited_codes: dict[int, list[str]] = defaultdict(list)
    for review_id, code in session.execute(
        select(review_authority.c.review_id, LegalAuthority.code)
        .join(LegalAuthority, review_authority.c.authority_id == LegalAuthority.id)
        .where(review_authority.c.review_id.in_(live.scalar_subquery()))
    ):
        cited_codes[review_id].append(code)
    report.by_state = dict.fromkeys(REVIEW_STATES, 0)
    report.by_obstacle = dict.fromkeys(OBSTACLE_KINDS, 0)
    agencies: dict[str, dict[str, Any]] = {}
    authority_rows = {
        a.code: {"code": a.code, "citation": a.citation, "name": a.name, **_empty()}
        for a in list_authorities(session)
    }
    no_authority = {"code": NO_AUTHORITY, "citation": "", "name": NO_AUTHORITY, **_empty()}
    opened = closed = 0
    for review_id, opened_on, decided_on, kinds, agency_code, agency_name in candidates:
        history = steps[review_id]
        state = _state_on(history, as_of)
        if state is None:
            continue
        # Closed before the year began (reopened later, perhaps): not live this year.
        if state not in OPEN_STATES and decided_on and decided_on < start:
            continue
        bucket = _bucket(state)
        report.by_state[state] += 1
        opened += start <= opened_on <= end
        closed += any(
            to_state not in OPEN_STATES and start <= on_date <= as_of
            for to_state, on_date in history
        )
        row = agencies.setdefault(
            agency_code, {"code": agency_code, "name": agency_name, **_empty(), "agreements": 0}
        )
        row["total"] += 1
        row[bucket] += 1
        cited = [authority_rows[c] for c in cited_codes[review_id] if c in authority_rows]
        for target in cited or [no_authority]:
            target["total"] += 1
            target[bucket] += 1
        for kind in kinds or []:
            if kind in report.by_obstacle:
                report.by_obstacle[kind] += 1
    in_effect = session.scalars(
        select(DataSharingAgreement)
        .where(DataSharingAgreement.effective_on <= end)
        .where(
            or_(DataSharingAgreement.expires_on.is_(None), DataSharingAgreement.expires_on >= start)
        )
        .options(
            selectinload(DataSharingAgreement.datasets), selectinload(DataSharingAgreement.reviews)
        )
        .order_by(DataSharingAgreement.effective_on, DataSharingAgreement.id)
    ).all()
    for agreement in in_effect:
        for party in agreement.parties:
            row = agencies.setdefault(
                party.code, {"code": party.code, "name": party.name, **_empty(), "agreements": 0}
            )
            row["agreements"] += 1
        report.agreements.append(
            {
                "id": agreement.id,
                "title": agreement.title,
                "parties": ", ".join(a.code for a in agreement.parties),
                "datasets": len(agreement.datasets),
                "reviews_resolved": len(agreement.reviews),
                "effective_on": agreement.effective_on.isoformat(),
                "expires_on": agreement.expires_on.isoformat() if agreement.expires_on else "",
                "missing_clauses": len(missing_clauses(agreement)),
                "expiring_soon": is_expiring(agreement, as_of),
            }
        )
    report.by_agency = sorted(agencies.values(), key=lambda r: r["code"])
    report.by_authority = [r for r in authority_rows.values() if r["total"]]
    if no_authority["total"]:
        report.by_authority.append(no_authority)
    report.totals = {
        "reviews": sum(report.by_state.values()),
        "opened_in_year": opened,
        "closed_in_year": closed,
        "open": sum(report.by_state[s] for s in OPEN_STATES),
        "resolved": sum(report.by_state[s] for s in RESOLVED_STATES),
        "restricted": report.by_state[STATE_RESTRICTED],
        "agreements_in_effect": len(report.agreements),
    }
    return report


# ----------------------------------------------------------------------------------------------
# Exports, every cell through the spreadsheet guard (catalog.guards.cells).


AGENCY_COLUMNS = ("code", "name", *BUCKETS, "agreements")
AUTHORITY_COLUMNS = ("code", "citation", "name", *BUCKETS)
AGREEMENT_COLUMNS = (
    "id", "title", "parties", "datasets", "reviews_resolved", "effective_on", "expires_on",
    "missing_clauses", "expiring_soon",
)  # fmt: skip


def report_rows(report: AnnualReport) -> list[tuple[str, str, str, str, Any]]:
    """The report as tidy rows: (section, key, label, measure, value)."""
    rows: list[tuple[str, str, str, str, Any]] = []
    for measure, value in report.totals.items():
        rows.append(("totals", "all", "All reviews", measure, value))
    for state, count in report.by_state.items():
        rows.append(("state", state, STATE_LABELS[state], "reviews", count))
    for row in report.by_agency:
        for measure in (*BUCKETS, "agreements"):
            rows.append(("agency", row["code"], row["name"], measure, row[measure]))
    for row in report.by_authority:
        for measure in BUCKETS:
            label = f"{row['citation']} ({row['name']})" if row["citation"] else row["name"]
            rows.append(("authority", row["code"], label, measure, row[measure]))
    for kind, count in report.by_obstacle.items():
        rows.append(("obstacle", kind, kind, "reviews", count))
    for row in report.agreements:
        for measure in ("datasets", "reviews_resolved", "missing_clauses"):
            rows.append(("agreement", str(row["id"]), row["title"], measure, row[measure]))
    return rows


def report_csv(report: AnnualReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(("year", "section", "key", "label", "measure", "value"))
    for row in report_rows(report):
        writer.writerow(csv_row((report.year, *row)))
    return buffer.getvalue()


def report_xlsx(report: AnnualReport) -> bytes:
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    summary.append([f"Legal issues in interagency data sharing: {report.year}"])
    summary["A1"].font = Font(bold=True, size=14)
    summary.append(["Period", f"{report.start.isoformat()} to {report.end.isoformat()}"])
    summary.append(["States as of", report.as_of.isoformat()])
    summary.append([])
    for measure, value in report.totals.items():
        summary.append([measure.replace("_", " "), value])

    def sheet(title: str, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
        ws = book.create_sheet(title)
        ws.append(list(columns))
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append(xlsx_row(row[c] for c in columns))

    sheet(
        "By state",
        ("state", "label", "reviews"),
        [{"state": s, "label": STATE_LABELS[s], "reviews": n} for s, n in report.by_state.items()],
    )
    sheet("By agency", AGENCY_COLUMNS, report.by_agency)
    sheet("By authority", AUTHORITY_COLUMNS, report.by_authority)
    sheet(
        "By obstacle",
        ("obstacle", "reviews"),
        [{"obstacle": k, "reviews": n} for k, n in report.by_obstacle.items()],
    )
    sheet("Agreements", AGREEMENT_COLUMNS, report.agreements)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
