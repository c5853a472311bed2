"""Frozen figures for the plan progress report, one row a day (taking one again the same day
replaces it; earlier days never change). Taken with every conformance snapshot."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalog.models import (
    STATUS_ACTIVE,
    AccessPlanEntry,
    Agency,
    Dataset,
    DataSharingAgreement,
    HighValueDataset,
    InventorySubmission,
    PlanGoal,
    PlanObjective,
    PlanSnapshot,
    PlanVersion,
    ProgressReport,
    SharingReview,
)
from catalog.models._common import utcnow
from catalog.models.review import OPEN_STATES
from catalog.services.access_plans import entry_status
from catalog.services.inventory_cycle import current_cycle
from catalog.services.reconciliation import coverage_by_agency, published_clause


def take_plan_snapshot(session: Session, today: date | None = None) -> PlanSnapshot:
    """Store today's figures (replacing today's earlier snapshot); the caller commits."""
    day = today or utcnow().date()
    figures = compute_plan_figures(session, day)
    snapshot = session.scalar(select(PlanSnapshot).where(PlanSnapshot.taken_on == day))
    if snapshot is None:
        snapshot = PlanSnapshot(taken_on=day)
        session.add(snapshot)
    snapshot.taken_at = utcnow()
    snapshot.figures = figures
    session.flush()
    return snapshot


def compute_plan_figures(session: Session, day: date) -> dict[str, Any]:
    cycle = current_cycle(session)
    agencies: dict[str, dict[str, Any]] = {}
    for row in coverage_by_agency(session):
        agencies[row["code"]] = {
            key: row[key]
            for key in (
                "name", "datasets", "public", "inventoried", "published",
                "inventoried_not_published", "published_not_inventoried", "access_mismatch",
            )
        } | {
            "high_value": 0,
            "submitted": None,
            "access_plan": {"published": 0, "due": 0, "late": 0},
        }  # fmt: skip
    codes = dict(session.execute(select(Agency.id, Agency.code)).all())
    if cycle is not None:
        for agency_id, count in session.execute(
            select(HighValueDataset.agency_id, func.count())
            .where(HighValueDataset.cycle_id == cycle.id)
            .group_by(HighValueDataset.agency_id)
        ):
            agencies[codes[agency_id]]["high_value"] = count
        for submission in session.scalars(
            select(InventorySubmission).where(InventorySubmission.cycle_id == cycle.id)
        ):
            agencies[codes[submission.agency_id]]["submitted"] = {
                "method": submission.method,
                "on": submission.submitted_at.date().isoformat(),
            }
    for agency_id, target, status, published in session.execute(
        select(
            AccessPlanEntry.agency_id,
            AccessPlanEntry.target_date,
            Dataset.status,
            published_clause(),
        ).join(Dataset, Dataset.id == AccessPlanEntry.dataset_id)
    ):
        state = entry_status(bool(published) and status == STATUS_ACTIVE, target, day)
        agencies[codes[agency_id]]["access_plan"][state] += 1
    return {
        "agencies": agencies,
        "cycle": None
        if cycle is None
        else {
            "year": cycle.year,
            "due_on": cycle.due_on.isoformat(),
            "submitted": sum(1 for a in agencies.values() if a["submitted"]),
        },
        "reviews": _reviews(session, day),
        "agreements": _agreements(session, day),
        "progress": _progress(session),
    }


def _reviews(session: Session, day: date) -> dict[str, Any]:
    by_state = dict(
        session.execute(
            select(SharingReview.state, func.count()).group_by(SharingReview.state)
        ).all()
    )
    overdue = session.scalar(
        select(func.count()).where(SharingReview.state.in_(OPEN_STATES), SharingReview.due_on < day)
    )
    return {
        "by_state": by_state,
        "open": sum(by_state.get(s, 0) for s in OPEN_STATES),
        "overdue": int(overdue or 0),
        "total": sum(by_state.values()),
    }


def _agreements(session: Session, day: date) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(DataSharingAgreement)
        .options(selectinload(DataSharingAgreement.parties))
        .order_by(DataSharingAgreement.effective_on, DataSharingAgreement.id)
    )
    return [
        {
            "id": a.id,
            "title": a.title,
            "parties": [p.code for p in a.parties],
            "effective_on": a.effective_on.isoformat(),
            "expires_on": a.expires_on.isoformat() if a.expires_on else None,
            "datasets": len(a.datasets),
        }
        for a in rows
        if a.in_effect(day)
    ]


def _progress(session: Session) -> dict[str, Any]:
    """Per public plan version and objective: its terms and each agency's latest report."""
    objectives = session.execute(
        select(PlanVersion.key, PlanGoal.key, PlanGoal.title, PlanObjective)
        .join(PlanGoal, PlanGoal.version_id == PlanVersion.id)
        .join(PlanObjective, PlanObjective.goal_id == PlanGoal.id)
        .where(
            PlanVersion.retired.is_(False),
            PlanVersion.status != "draft",
            PlanGoal.retired.is_(False),
            PlanObjective.retired.is_(False),
        )
        .order_by(PlanVersion.key, PlanGoal.position, PlanObjective.position)
    ).all()
    if not objectives:
        return {}
    # Each agency's latest report per objective: plain columns, the latest period last.
    latest: dict[tuple[int, str], dict[str, Any]] = {}
    ids = [o.id for *_x, o in objectives]
    for objective_id, code, period, status, value in session.execute(
        select(
            ProgressReport.objective_id,
            Agency.code,
            ProgressReport.period,
            ProgressReport.status,
            ProgressReport.metric_value,
        )
        .join(Agency, Agency.id == ProgressReport.agency_id)
        .where(ProgressReport.objective_id.in_(ids))
        .order_by(ProgressReport.period)
    ):
        latest[(objective_id, code)] = {
            "agency": code, "period": period, "status": status, "metric_value": value,
        }  # fmt: skip
    reports: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for (objective_id, _code), report in sorted(latest.items()):
        reports[objective_id].append(report)
    progress: dict[str, Any] = {}
    for version_key, goal_key, goal_title, o in objectives:
        progress.setdefault(version_key, {})[o.key] = {
            "goal": goal_key,
            "goal_title": goal_title,
            "text": o.text,
            "metric": o.metric,
            "target": o.target,
            "unit": o.unit,
            "due": o.due.isoformat(),
            "reports": reports.get(o.id, []),
        }
    return progress
