"""Open data access plans: each agency lists inventoried datasets it will publish, each with a
target date, and the portals tell whether it did.

An entry's status is read, never stored: ``published`` once a portal source brings the
dataset, else ``due`` until its target date and ``late`` after it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, fields
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalog.models import STATUS_ACTIVE, AccessPlanEntry, Agency, Dataset, User
from catalog.permissions import can_edit_agency
from catalog.schemas.fields import Text
from catalog.services.agencies import find_agency
from catalog.services.audit import record_event
from catalog.services.plan import plan_today
from catalog.services.reconciliation import inventoried_clause, published_clause


class EntryInputSchema(Schema):
    class Meta:
        unknown = "raise"

    identifier = Text(required=True)
    target_date = fields.Date(required=True)


def entry_status(published: bool, target_date: date, today: date) -> str:
    if published:
        return "published"
    return "late" if today > target_date else "due"


def access_plan(session: Session, agency: Agency, today: date | None = None) -> list[dict]:
    """The agency's entries, soonest target first, with their status today."""
    day = today or plan_today()
    rows = session.execute(
        select(
            AccessPlanEntry.id,
            AccessPlanEntry.target_date,
            Dataset.id,
            Dataset.identifier,
            Dataset.title,
            Dataset.status,
            published_clause().label("published"),
        )
        .join(Dataset, Dataset.id == AccessPlanEntry.dataset_id)
        .where(AccessPlanEntry.agency_id == agency.id)
        .order_by(AccessPlanEntry.target_date, Dataset.title)
    ).all()
    return [
        {
            "id": dataset_id,
            "identifier": identifier,
            "title": title,
            "target_date": target.isoformat(),
            "status": entry_status(bool(published) and status == STATUS_ACTIVE, target, day),
        }
        for _entry, target, dataset_id, identifier, title, status, published in rows
    ]


def add_entry(session: Session, agency_code: str, payload: Any, actor: User) -> AccessPlanEntry:
    """Add one of the agency's inventoried datasets to its access plan (the agency's stewards
    and the CDO). The dataset is named by its identifier (or the catalog's id)."""
    agency = find_agency(session, agency_code)
    if not can_edit_agency(actor, agency.id):
        raise PermissionDenied(
            f"Only stewards of {agency.code} and the CDO change its access plan.",
            {"agency": [f"You are not a steward of {agency.code}."]},
        )
    if not isinstance(payload, dict):
        raise InvalidInput({"_schema": ["Expected a JSON object."]})
    try:
        data = EntryInputSchema().load(payload)
    except ValidationError as exc:
        raise InvalidInput(exc.messages) from None  # type: ignore[arg-type]
    dataset = session.scalar(
        select(Dataset).where(
            (Dataset.identifier == data["identifier"]) | (Dataset.id == data["identifier"])
        )
    )
    if dataset is None or dataset.agency_id != agency.id:
        raise InvalidInput({"identifier": [f"{agency.code} has no dataset with this identifier."]})
    if dataset.status != STATUS_ACTIVE:
        raise InvalidInput({"identifier": ["This dataset was withdrawn."]})
    inventoried = session.scalar(
        select(Dataset.id).where(Dataset.id == dataset.id, inventoried_clause())
    )
    if inventoried is None:
        raise InvalidInput(
            {"identifier": ["Only inventoried datasets go in an access plan; this one is on a "
                            "portal but in no inventory."]}
        )  # fmt: skip
    if session.scalar(
        select(AccessPlanEntry.id).where(
            AccessPlanEntry.agency_id == agency.id, AccessPlanEntry.dataset_id == dataset.id
        )
    ):
        raise Conflict(
            "This dataset is in the access plan already.",
            {"identifier": ["Already in the access plan."]},
        )
    entry = AccessPlanEntry(
        agency=agency, dataset=dataset, target_date=data["target_date"], added_by=actor.email
    )
    session.add(entry)
    session.flush()
    record_event(
        session, actor, "access_plan.add", "access_plan", agency.code, None,
        {"identifier": dataset.identifier, "dataset": dataset.id, "target_date": entry.target_date},
    )  # fmt: skip
    return entry


def remove_entry(session: Session, agency_code: str, dataset_id: str, actor: User) -> None:
    agency = find_agency(session, agency_code)
    if not can_edit_agency(actor, agency.id):
        raise PermissionDenied(
            f"Only stewards of {agency.code} and the CDO change its access plan."
        )
    entry = session.scalar(
        select(AccessPlanEntry).where(
            AccessPlanEntry.agency_id == agency.id, AccessPlanEntry.dataset_id == dataset_id
        )
    )
    if entry is None:
        raise NotFound("Not in the access plan.")
    before = {"dataset": dataset_id, "target_date": entry.target_date}
    session.delete(entry)
    session.flush()
    record_event(session, actor, "access_plan.remove", "access_plan", agency.code, before, None)


def status_counts(entries: list[dict]) -> dict[str, int]:
    counts = {"published": 0, "due": 0, "late": 0}
    for entry in entries:
        counts[entry["status"]] += 1
    return counts
