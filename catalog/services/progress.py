"""Agencies' progress reports to the CDO on plan objectives, per period."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from catalog.errors import InvalidInput, PermissionDenied
from catalog.models import (
    UNASSIGNED_CODE,
    Agency,
    PlanGoal,
    PlanObjective,
    PlanVersion,
    ProgressReport,
    User,
)
from catalog.models._common import utcnow
from catalog.permissions import can_edit_agency
from catalog.schemas.plan import PERIOD_RE, ProgressReportInputSchema
from catalog.services.agencies import find_agency
from catalog.services.audit import record_event
from catalog.services.plan import (
    active_objectives,
    can_manage_plan,
    current_version,
    find_objective,
    get_version,
    plan_today,
)

REPORT_FIELDS = ("status", "narrative", "metric_value")


def period_for(day: date, kind: str = "half") -> str:
    """The reporting period containing ``day``: ``2026-H2`` (half-years) or ``2026-Q4``."""
    if kind == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def submit_progress_report(
    session: Session, payload: Any, actor: User
) -> tuple[ProgressReport, bool]:
    """Record an agency's report on an objective for a period; a second report for the same
    agency, objective and period replaces the first. Stewards report for their own agencies only.

    Returns (report, created).
    """
    if not isinstance(payload, dict):
        raise InvalidInput({"_schema": ["Expected a JSON object."]})
    try:
        data = ProgressReportInputSchema().load(payload)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None  # type: ignore[arg-type]
    agency = find_agency(session, data["agency"])
    if not can_edit_agency(actor, agency.id):
        raise PermissionDenied(f"You do not report for {agency.code}; you are not its steward.")
    plan_key = data["plan"] or _current_key(session)
    objective = find_objective(session, plan_key, data["objective"])
    if objective.retired:
        raise InvalidInput({"objective": ["This objective is no longer part of the plan."]})
    report = session.scalar(
        select(ProgressReport).where(
            ProgressReport.agency_id == agency.id,
            ProgressReport.objective_id == objective.id,
            ProgressReport.period == data["period"],
        )
    )
    created = report is None
    before = None if created else {name: getattr(report, name) for name in REPORT_FIELDS}
    if created:
        report = ProgressReport(agency=agency, objective=objective, period=data["period"])
        session.add(report)
    for name in REPORT_FIELDS:
        setattr(report, name, data.get(name))
    report.submitted_by = actor
    report.submitted_at = utcnow()
    session.flush()
    after = {name: getattr(report, name) for name in REPORT_FIELDS}
    after |= {
        "agency": agency.code,
        "objective": f"{plan_key}:{objective.key}",
        "period": report.period,
    }
    record_event(
        session,
        actor,
        "progress.create" if created else "progress.update",
        "progress_report",
        report.id,
        before,
        after,
    )
    return report, created


def _current_key(session: Session) -> str:
    version = current_version(session)
    if version is None:
        raise InvalidInput({"plan": ["No plan version is loaded."]})
    return version.key


def list_progress_reports(
    session: Session,
    viewer: User,
    *,
    period: str | None = None,
    agency_code: str | None = None,
    plan_key: str | None = None,
) -> list[ProgressReport]:
    """Reports the viewer may read: stewards their agencies', the CDO and admins all."""
    if period and not PERIOD_RE.match(period):
        raise InvalidInput({"period": ["Use a half-year or quarter such as 2026-H2 or 2026-Q3."]})
    query = select(ProgressReport).order_by(ProgressReport.period.desc(), ProgressReport.id)
    if period:
        query = query.where(ProgressReport.period == period)
    if agency_code:
        query = query.where(ProgressReport.agency_id == find_agency(session, agency_code).id)
    if plan_key:
        query = (
            query.join(PlanObjective, ProgressReport.objective_id == PlanObjective.id)
            .join(PlanGoal)
            .join(PlanVersion)
            .where(PlanVersion.key == plan_key)
        )
    if not can_manage_plan(viewer):
        ids = viewer.agency_ids
        if not ids:
            return []
        query = query.where(ProgressReport.agency_id.in_(ids))
    return list(session.scalars(query).unique())


@dataclass
class ReportingStatus:
    """Who reported for a period: per agency, how many of the version's objectives."""

    period: str
    version: PlanVersion
    objectives: int
    missing: list[Agency] = field(default_factory=list)
    partial: list[tuple[Agency, int]] = field(default_factory=list)
    complete: list[Agency] = field(default_factory=list)


def reporting_status(
    session: Session, actor: User, period: str, plan_key: str | None = None
) -> ReportingStatus:
    """For the CDO: which agencies have not reported (or only in part) for ``period``."""
    if not can_manage_plan(actor):
        raise PermissionDenied("Only the CDO or an admin sees every agency's reporting.")
    if not PERIOD_RE.match(period or ""):
        raise InvalidInput({"period": ["Use a half-year or quarter such as 2026-H2 or 2026-Q3."]})
    version = get_version(session, plan_key) if plan_key else current_version(session)
    if version is None:
        raise InvalidInput({"plan": ["No plan version is loaded."]})
    version = get_version(session, version.key)
    objective_ids = [o.id for o in active_objectives(version)]
    counts: dict[int, int] = defaultdict(int)
    if objective_ids:
        rows = session.execute(
            select(ProgressReport.agency_id, ProgressReport.objective_id).where(
                ProgressReport.period == period, ProgressReport.objective_id.in_(objective_ids)
            )
        )
        for agency_id, _objective_id in rows:
            counts[agency_id] += 1
    status = ReportingStatus(period=period, version=version, objectives=len(objective_ids))
    agencies = session.scalars(
        select(Agency).where(Agency.code != UNASSIGNED_CODE).order_by(Agency.name)
    )
    for agency in agencies:
        done = counts.get(agency.id, 0)
        if done == 0:
            status.missing.append(agency)
        elif done < len(objective_ids):
            status.partial.append((agency, done))
        else:
            status.complete.append(agency)
    return status


@dataclass
class ObjectiveProgress:
    """Public roll-up of the latest period's reports on one objective (no narratives)."""

    period: str | None = None
    reports: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    median_value: float | None = None


def objective_progress(session: Session, version: PlanVersion) -> dict[int, ObjectiveProgress]:
    """Per objective id: the latest period with reports, status counts and the median value.

    The latest period is found in SQL; only that period's rows (one per agency) are read.
    """
    ids = [o.id for o in active_objectives(version)]
    if not ids:
        return {}
    latest = dict(
        session.execute(
            select(ProgressReport.objective_id, func.max(ProgressReport.period))
            .where(ProgressReport.objective_id.in_(ids))
            .group_by(ProgressReport.objective_id)
        ).all()
    )
    if not latest:
        return {}
    rows = session.execute(
        select(
            ProgressReport.objective_id, ProgressReport.status, ProgressReport.metric_value
        ).where(
            or_(
                *(
                    and_(
                        ProgressReport.objective_id == objective_id, ProgressReport.period == period
                    )
                    for objective_id, period in latest.items()
                )
            )
        )
    ).all()
    result: dict[int, ObjectiveProgress] = {}
    values: dict[int, list[float]] = defaultdict(list)
    for objective_id, status, value in rows:
        progress = result.setdefault(objective_id, ObjectiveProgress(period=latest[objective_id]))
        progress.reports += 1
        progress.statuses[status] = progress.statuses.get(status, 0) + 1
        if value is not None:
            values[objective_id].append(value)
    for objective_id, numbers in values.items():
        result[objective_id].median_value = statistics.median(numbers)
    return result


def default_period() -> str:
    return period_for(plan_today())
