"""The yearly inventory cycle (CGS § 4-67p; OPM's guidance: agency data officers submit their
high-value data inventories every year, by December 31).

The CDO opens the year's cycle with a due date; each agency's data officer (a steward of the
agency) submits its inventory, either an uploaded spreadsheet (a harvest job of one of the
agency's inventory sources) or a confirmation that the harvested inventory is complete, and
marks its high-value datasets. Every step is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from catalog.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalog.models import (
    STATUS_ACTIVE,
    UNASSIGNED_CODE,
    Agency,
    Dataset,
    HarvestJob,
    HarvestSource,
    HighValueDataset,
    InventoryCycle,
    InventorySubmission,
    User,
)
from catalog.models._common import utcnow
from catalog.models.cycle import SUBMISSION_METHODS
from catalog.models.harvest import JOB_SUCCEEDED
from catalog.permissions import can_edit_agency
from catalog.services.agencies import find_agency
from catalog.services.audit import record_event
from catalog.services.plan import can_manage_plan, plan_today


def open_cycle(
    session: Session,
    actor: User,
    year: int,
    *,
    due_on: date | None = None,
    note: str | None = None,
    today: date | None = None,
) -> InventoryCycle:
    """Open ``year``'s cycle, due December 31 of that year unless another day is given."""
    if not can_manage_plan(actor):
        raise PermissionDenied("Only the CDO opens the inventory cycle.")
    if not 2000 <= int(year) <= 2100:
        raise InvalidInput({"year": ["Give a year between 2000 and 2100."]})
    due_on = due_on or date(year, 12, 31)
    day = today or plan_today()
    if due_on < day:
        raise InvalidInput({"due_on": ["The due date has passed; give a later one."]})
    if session.scalar(select(InventoryCycle.id).where(InventoryCycle.year == year)):
        raise Conflict(f"The {year} cycle is open already.", {"year": ["Already opened."]})
    cycle = InventoryCycle(
        year=year, opened_on=day, due_on=due_on, note=(note or "").strip() or None,
        opened_by=actor.email,
    )  # fmt: skip
    session.add(cycle)
    session.flush()
    record_event(
        session, actor, "inventory_cycle.open", "inventory_cycle", year, None,
        {"year": year, "due_on": due_on, "note": cycle.note},
    )  # fmt: skip
    return cycle


def current_cycle(session: Session) -> InventoryCycle | None:
    """The most recent cycle opened (the one agencies submit to)."""
    return session.scalar(select(InventoryCycle).order_by(InventoryCycle.year.desc()).limit(1))


def get_cycle(session: Session, year: int | None = None) -> InventoryCycle:
    cycle = (
        current_cycle(session)
        if year is None
        else session.scalar(select(InventoryCycle).where(InventoryCycle.year == year))
    )
    if cycle is None:
        raise NotFound("No inventory cycle is open." if year is None else f"No {year} cycle.")
    return cycle


def _require_agency(actor: User, agency: Agency) -> None:
    if not can_edit_agency(actor, agency.id):
        raise PermissionDenied(
            f"Only {agency.code}'s data officer (a steward of {agency.code}) or the CDO submits "
            "its inventory."
        )


def upload_jobs(session: Session, agency: Agency, limit: int = 10) -> list[HarvestJob]:
    """Recent successful runs of the agency's inventory sources: what an upload submits."""
    return list(
        session.scalars(
            select(HarvestJob)
            .join(HarvestSource)
            .where(
                HarvestSource.role == "inventory",
                HarvestSource.agency_code == agency.code,
                HarvestJob.status == JOB_SUCCEEDED,
            )
            .order_by(HarvestJob.id.desc())
            .limit(limit)
        )
    )


def submit_inventory(
    session: Session,
    actor: User,
    agency_code: str,
    method: str,
    *,
    harvest_job_id: int | None = None,
    note: str | None = None,
    year: int | None = None,
) -> InventorySubmission:
    """Record the agency's inventory for the cycle; submitting again replaces it."""
    agency = find_agency(session, agency_code)
    _require_agency(actor, agency)
    cycle = get_cycle(session, year)
    if method not in SUBMISSION_METHODS:
        raise InvalidInput({"method": [f"Must be one of: {', '.join(SUBMISSION_METHODS)}."]})
    job = None
    if method == "upload":
        if harvest_job_id is None:
            raise InvalidInput({"harvest_job_id": ["Choose the uploaded inventory to submit."]})
        job = session.get(HarvestJob, harvest_job_id)
        if job is None or job.id not in {j.id for j in upload_jobs(session, agency, 1000)}:
            raise InvalidInput(
                {
                    "harvest_job_id": [
                        f"Not a successful run of an inventory source of {agency.code}."
                    ]
                }
            )
    submission = session.scalar(
        select(InventorySubmission).where(
            InventorySubmission.cycle_id == cycle.id, InventorySubmission.agency_id == agency.id
        )
    )
    before = _submission_values(submission) if submission else None
    counts = _active_count(session, agency), _high_value_count(session, cycle, agency)
    if submission is None:
        submission = InventorySubmission(cycle_id=cycle.id, agency_id=agency.id)
        session.add(submission)
    submission.method = method
    submission.harvest_job_id = job.id if job else None
    submission.note = (note or "").strip() or None
    submission.dataset_count, submission.high_value_count = counts
    submission.submitted_by = actor.email
    submission.submitted_at = utcnow()
    session.flush()
    record_event(
        session, actor, "inventory.submit", "inventory_submission",
        f"{cycle.year}:{agency.code}", before, _submission_values(submission),
    )  # fmt: skip
    return submission


def _submission_values(submission: InventorySubmission) -> dict[str, Any]:
    return {
        name: getattr(submission, name)
        for name in ("method", "harvest_job_id", "dataset_count", "high_value_count", "note")
    }


def _active_count(session: Session, agency: Agency) -> int:
    return session.scalar(
        select(func.count(Dataset.id)).where(
            Dataset.agency_id == agency.id, Dataset.status == STATUS_ACTIVE
        )
    )


def _high_value_count(session: Session, cycle: InventoryCycle, agency: Agency) -> int:
    return session.scalar(
        select(func.count()).where(
            HighValueDataset.cycle_id == cycle.id, HighValueDataset.agency_id == agency.id
        )
    )


def set_high_value(
    session: Session,
    actor: User,
    agency_code: str,
    dataset_ids: Iterable[str],
    *,
    year: int | None = None,
) -> set[str]:
    """Make exactly these datasets the agency's high-value datasets for the cycle."""
    agency = find_agency(session, agency_code)
    _require_agency(actor, agency)
    cycle = get_cycle(session, year)
    wanted = {i for i in dataset_ids if i}
    if wanted:
        found = set(
            session.scalars(
                select(Dataset.id).where(Dataset.id.in_(wanted), Dataset.agency_id == agency.id)
            )
        )
        if found != wanted:
            raise InvalidInput({"datasets": [f"Only {agency.code}'s own datasets can be marked."]})
    current = high_value_ids(session, cycle, agency)
    if current == wanted:
        return wanted
    stale = [
        HighValueDataset.cycle_id == cycle.id,
        HighValueDataset.agency_id == agency.id,
    ]
    if wanted:
        stale.append(HighValueDataset.dataset_id.not_in(wanted))
    session.execute(delete(HighValueDataset).where(*stale))
    for dataset_id in sorted(wanted - current):
        session.add(
            HighValueDataset(
                cycle_id=cycle.id, dataset_id=dataset_id, agency_id=agency.id,
                marked_by=actor.email,
            )
        )  # fmt: skip
    session.flush()
    record_event(
        session, actor, "inventory.high_value", "inventory_submission",
        f"{cycle.year}:{agency.code}", {"high_value": sorted(current)},
        {"high_value": sorted(wanted)},
    )  # fmt: skip
    return wanted


def high_value_ids(session: Session, cycle: InventoryCycle, agency: Agency) -> set[str]:
    return set(
        session.scalars(
            select(HighValueDataset.dataset_id).where(
                HighValueDataset.cycle_id == cycle.id, HighValueDataset.agency_id == agency.id
            )
        )
    )


def submission_status(session: Session, cycle: InventoryCycle) -> list[dict[str, Any]]:
    """Every agency (but "unassigned"): its submission for the cycle, if any, and counts."""
    submissions = {
        s.agency_id: s
        for s in session.scalars(
            select(InventorySubmission).where(InventorySubmission.cycle_id == cycle.id)
        )
    }
    marked = dict(
        session.execute(
            select(HighValueDataset.agency_id, func.count())
            .where(HighValueDataset.cycle_id == cycle.id)
            .group_by(HighValueDataset.agency_id)
        ).all()
    )
    rows = []
    for agency in session.scalars(
        select(Agency).where(Agency.code != UNASSIGNED_CODE).order_by(Agency.name)
    ):
        submission = submissions.get(agency.id)
        rows.append(
            {
                "agency": agency,
                "submission": submission,
                "high_value": marked.get(agency.id, 0),
                "late": submission is None and plan_today() > cycle.due_on,
            }
        )
    return rows


def agency_datasets(session: Session, agency: Agency, limit: int = 2000) -> list[Dataset]:
    """The agency's active datasets, by title, for marking high-value ones."""
    return list(
        session.scalars(
            select(Dataset)
            .where(Dataset.agency_id == agency.id, Dataset.status == STATUS_ACTIVE)
            .order_by(Dataset.title, Dataset.id)
            .limit(limit)
        )
    )
