"""The plan progress report for a version's period, read from frozen snapshots only.

It reads the conformance snapshots and the plan snapshots taken within the period: the first
as "start", the last as "end". Once the period has closed, later snapshots fall outside it, so
the report never changes; while it is open, "end" is the latest snapshot so far.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.guards.cells import xlsx_row
from catalog.models import ConformanceSnapshot, PlanSnapshot, PlanVersion
from catalog.models.review import REVIEW_STATES, STATE_LABELS
from catalog.services.plan import list_versions, plan_today, version_period


def _bounds(session: Session, model: type, starts: date, ends: date) -> tuple[Any, Any]:
    """The first and the last snapshot taken within [starts, ends] (latest taken on a day)."""
    within = select(model).where(model.taken_on >= starts, model.taken_on <= ends)
    first = session.scalar(within.order_by(model.taken_on, model.taken_at.desc()).limit(1))
    last = session.scalar(within.order_by(model.taken_on.desc(), model.taken_at.desc()).limit(1))
    return first, last


def build_progress_report(
    session: Session, version: PlanVersion, today: date | None = None
) -> dict[str, Any]:
    day = today or plan_today()
    starts, ends = version_period(version, list_versions(session))
    report: dict[str, Any] = {
        "version": {"key": version.key, "title": version.title, "status": version.status},
        "period": {"starts": starts, "ends": ends},
        "closed": ends is not None and ends < day,
        "as_of": day,
        "conformance": None,
        "plan": None,
    }
    if starts is None or starts > day:
        return report
    until = min(ends, day) if ends else day
    c_first, c_last = _bounds(session, ConformanceSnapshot, starts, until)
    if c_first is not None:
        report["conformance"] = _conformance(c_first, c_last)
    p_first, p_last = _bounds(session, PlanSnapshot, starts, until)
    if p_first is not None:
        report["plan"] = _plan(version.key, p_first, p_last)
    return report


def _snap(snapshot: ConformanceSnapshot) -> dict[str, Any]:
    return {
        "taken_on": snapshot.taken_on,
        "rule_set_version": snapshot.rule_set_version,
        "datasets": snapshot.dataset_count,
        "score": snapshot.score,
        "standards": dict(snapshot.figures.get("standards") or {}),
    }


def _conformance(first: ConformanceSnapshot, last: ConformanceSnapshot) -> dict[str, Any]:
    start_agencies = first.figures.get("agencies") or {}
    end_agencies = last.figures.get("agencies") or {}
    standards = sorted({*_snap(first)["standards"], *_snap(last)["standards"]})
    rows = []
    for code in sorted({*start_agencies, *end_agencies}):
        a, b = start_agencies.get(code) or {}, end_agencies.get(code) or {}
        rows.append(
            {
                "code": code,
                "name": b.get("name") or a.get("name") or code,
                "start": {
                    "datasets": a.get("datasets"),
                    "score": a.get("score"),
                    "standards": a.get("standards") or {},
                },
                "end": {
                    "datasets": b.get("datasets"),
                    "score": b.get("score"),
                    "standards": b.get("standards") or {},
                },
                "change": None
                if a.get("score") is None or b.get("score") is None
                else round(b["score"] - a["score"], 1),
            }
        )
    return {"start": _snap(first), "end": _snap(last), "standards": standards, "agencies": rows}


def _plan(version_key: str, first: PlanSnapshot, last: PlanSnapshot) -> dict[str, Any]:
    start, end = first.figures or {}, last.figures or {}
    objectives = []
    for key, item in (end.get("progress") or {}).get(version_key, {}).items():
        statuses = Counter(r["status"] for r in item["reports"])
        objectives.append({"key": key, **item, "statuses": dict(sorted(statuses.items()))})
    coverage = []
    start_agencies = start.get("agencies") or {}
    for code, b in sorted((end.get("agencies") or {}).items(), key=lambda kv: kv[1]["name"]):
        a = start_agencies.get(code) or {}
        coverage.append(
            {
                "code": code,
                "name": b["name"],
                "start": {k: a.get(k) for k in ("datasets", "inventoried", "published")},
                "end": {
                    k: b.get(k)
                    for k in ("datasets", "inventoried", "published", "high_value", "submitted")
                },
                "access_plan": b.get("access_plan") or {},
            }
        )
    reviews = {
        "start": start.get("reviews") or {},
        "end": end.get("reviews") or {},
        "states": [(s, STATE_LABELS[s]) for s in REVIEW_STATES],
    }
    return {
        "start_on": first.taken_on,
        "end_on": last.taken_on,
        "objectives": objectives,
        "coverage": coverage,
        "totals": {
            name: {
                "start": sum((a.get(name) or 0) for a in start_agencies.values()),
                "end": sum((a.get(name) or 0) for a in (end.get("agencies") or {}).values()),
            }
            for name in ("datasets", "inventoried", "published")
        },
        "cycle": end.get("cycle"),
        "reviews": reviews,
        "agreements": end.get("agreements") or [],
    }


def _put(sheet: Any, row: list[Any]) -> None:
    """Every row through the spreadsheet-cell guard (text that could run as a formula is made
    inert, characters XML cannot hold are dropped)."""
    sheet.append(xlsx_row(row))


def report_xlsx(report: dict[str, Any]) -> bytes:
    """The report as a workbook, one sheet per section; text cells are formula-safe."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    period = report["period"]
    summary = book.create_sheet("Summary")
    for row in (
        ("Plan version", report["version"]["title"]),
        ("Key", report["version"]["key"]),
        ("Period starts", period["starts"]),
        ("Period ends", period["ends"]),
        ("Period closed", "yes" if report["closed"] else "no (figures so far)"),
    ):
        _put(summary, list(row))
    conformance = report["conformance"]
    if conformance:
        _put(
            summary,
            [
                "Conformance snapshots",
                conformance["start"]["taken_on"],
                conformance["end"]["taken_on"],
            ],
        )
        sheet = book.create_sheet("Conformance")
        standards = conformance["standards"]
        _put(
            sheet,
            [
                "Agency code",
                "Agency",
                "Datasets (start)",
                "Score (start)",
                "Datasets (end)",
                "Score (end)",
                "Change",
            ]
            + [f"{s} (start)" for s in standards]
            + [f"{s} (end)" for s in standards],
        )
        for row in conformance["agencies"]:
            _put(
                sheet,
                [
                    row["code"],
                    row["name"],
                    row["start"]["datasets"],
                    row["start"]["score"],
                    row["end"]["datasets"],
                    row["end"]["score"],
                    row["change"],
                ]
                + [row["start"]["standards"].get(s) for s in standards]
                + [row["end"]["standards"].get(s) for s in standards],
            )
    plan = report["plan"]
    if plan:
        sheet = book.create_sheet("Objectives")
        _put(
            sheet,
            [
                "Objective",
                "Goal",
                "Text",
                "Metric",
                "Target",
                "Unit",
                "Due",
                "Agency",
                "Period",
                "Status",
                "Metric value",
            ],
        )
        for item in plan["objectives"]:
            base = [
                item["key"],
                item["goal"],
                item["text"],
                item["metric"],
                item["target"],
                item["unit"],
                item["due"],
            ]
            for rep in item["reports"] or [{}]:
                _put(
                    sheet,
                    list(base)
                    + [rep.get(k) for k in ("agency", "period", "status")]
                    + [rep.get("metric_value")],
                )
        sheet = book.create_sheet("Coverage")
        _put(
            sheet,
            [
                "Agency code",
                "Agency",
                "Datasets (start)",
                "Inventoried (start)",
                "Published (start)",
                "Datasets (end)",
                "Inventoried (end)",
                "Published (end)",
                "High-value",
                "Inventory submitted",
                "Access plan published",
                "Access plan due",
                "Access plan late",
            ],
        )
        for row in plan["coverage"]:
            submitted = row["end"]["submitted"]
            _put(
                sheet,
                [row["code"], row["name"]]
                + [row["start"][k] for k in ("datasets", "inventoried", "published")]
                + [row["end"][k] for k in ("datasets", "inventoried", "published", "high_value")]
                + [submitted["on"] if submitted else "no"]
                + [row["access_plan"].get(k, 0) for k in ("published", "due", "late")],
            )
        sheet = book.create_sheet("Sharing reviews")
        _put(sheet, ["State", "Start", "End"])
        for state, label in plan["reviews"]["states"]:
            _put(
                sheet,
                [
                    label,
                    plan["reviews"]["start"].get("by_state", {}).get(state, 0),
                    plan["reviews"]["end"].get("by_state", {}).get(state, 0),
                ],
            )
        _put(
            sheet,
            [
                "Overdue",
                plan["reviews"]["start"].get("overdue", 0),
                plan["reviews"]["end"].get("overdue", 0),
            ],
        )
        sheet = book.create_sheet("Agreements")
        _put(sheet, ["Id", "Title", "Parties", "Effective", "Expires", "Datasets"])
        for a in plan["agreements"]:
            _put(
                sheet,
                [
                    a["id"],
                    a["title"],
                    ", ".join(a["parties"]),
                    a["effective_on"],
                    a["expires_on"] or "",
                    a["datasets"],
                ],
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
