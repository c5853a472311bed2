"""A steward's decisions on what a dataset's source says: accept or reject a pending change,
follow the source again (drop an override); and the lists pages and the API show."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog import events
from catalog.errors import InvalidInput, NotFound
from catalog.models import (
    Agency,
    Dataset,
    FieldOverride,
    HarvestSource,
    PendingChange,
    User,
)
from catalog.permissions import can_edit_agency
from catalog.services.audit import record_event
from catalog.services.datasets import (
    _check_rights_after_change,
    _flush_checking_version,
    _require_edit,
    get_dataset,
    set_values,
    snapshot,
)
from catalog.services.ownership import field_named, label, overrides_of, pending_of

DECISIONS = ("accept", "reject")


def decide_pending_change(
    session: Session, dataset_id: str, field: str, decision: str, actor: User | str
) -> Dataset:
    """Accept (the dataset takes the proposed value) or reject (it keeps its value; the source's
    stays recorded, so the next harvest does not raise the same change) one pending change."""
    dataset = get_dataset(session, dataset_id)
    _require_edit(actor, dataset.agency)
    if decision not in DECISIONS:
        raise InvalidInput({"decision": ["Must be one of: accept, reject."]})
    field = field_named(str(field)) or str(field)
    change = pending_of(session, dataset.id).get(field)
    if change is None:
        raise NotFound(f"Dataset {dataset.id} has no pending change of {field!r}.")
    current = snapshot(dataset)[field]
    if decision == "reject":
        session.delete(change)
        session.add(
            FieldOverride(
                dataset_id=dataset.id,
                field=field,
                source_value=change.proposed,
                source_id=change.source_id,
                created_by=_label(actor),
            )
        )
        session.flush()
        record_event(
            session,
            actor,
            "dataset.pending_change.reject",
            "dataset",
            dataset.id,
            {field: change.proposed},
            {field: current},
        )
        return dataset
    _set_checked(session, dataset, field, change.proposed)
    session.delete(change)
    _flush_checking_version(session, dataset, None)
    record_event(
        session,
        actor,
        "dataset.pending_change.accept",
        "dataset",
        dataset.id,
        {field: current},
        {field: change.proposed},
    )
    events.datasets_changed.send("datasets", ids=[dataset.id])
    return dataset


def follow_source(session: Session, dataset_id: str, field: str, actor: User | str) -> Dataset:
    """Drop the override of ``field``: the dataset takes what its source says, and later
    harvests keep it in step again."""
    dataset = get_dataset(session, dataset_id)
    _require_edit(actor, dataset.agency)
    field = field_named(str(field)) or str(field)
    override = overrides_of(session, dataset.id).get(field)
    if override is None:
        raise NotFound(f"Dataset {dataset.id} does not override {field!r}.")
    current = snapshot(dataset)[field]
    _set_checked(session, dataset, field, override.source_value)
    session.delete(override)
    _flush_checking_version(session, dataset, None)
    record_event(
        session,
        actor,
        "dataset.follow_source",
        "dataset",
        dataset.id,
        {field: current},
        {field: override.source_value},
    )
    events.datasets_changed.send("datasets", ids=[dataset.id])
    return dataset


def _set_checked(session: Session, dataset: Dataset, field: str, value: Any) -> None:
    if field == "agency":
        agency = session.scalar(select(Agency).where(Agency.code == value))
        if agency is None:
            raise InvalidInput({"agency": [f"Unknown agency {value!r}."]})
    if field in ("access_level", "rights"):
        try:
            _check_rights_after_change(dataset, {field: value})
        except InvalidInput:
            raise InvalidInput(
                {
                    field: [
                        "A dataset that is not public needs rights: decide the proposed rights "
                        "first, or edit them."
                    ]
                }
            ) from None
    set_values(session, dataset, {field: value})


def _label(actor: User | str) -> str:
    return actor if isinstance(actor, str) else actor.email


# -- reading -----------------------------------------------------------------------------------


def pending_changes_of(session: Session, dataset: Dataset) -> list[dict[str, Any]]:
    """``[{field, current, proposed, source, job, detected}]`` as the dataset JSON carries it."""
    current = snapshot(dataset)
    names = _source_names(session)
    return [
        {
            "field": label(change.field),
            "current": current[change.field],
            "proposed": change.proposed,
            "source": names.get(change.source_id),
            "job": change.job_id,
            "detected": change.detected_at.replace(microsecond=0).isoformat() + "Z",
        }
        for change in sorted(pending_of(session, dataset.id).values(), key=lambda c: c.field)
    ]


def overrides_of_dataset(session: Session, dataset: Dataset) -> list[dict[str, Any]]:
    """``[{field, value, source_value, source, since, by}]``: fields a steward set locally."""
    current = snapshot(dataset)
    names = _source_names(session)
    return [
        {
            "field": label(row.field),
            "value": current[row.field],
            "source_value": row.source_value,
            "source": names.get(row.source_id),
            "since": row.created_at.replace(microsecond=0).isoformat() + "Z",
            "by": row.created_by,
        }
        for row in sorted(overrides_of(session, dataset.id).values(), key=lambda r: r.field)
    ]


def pending_queue(session: Session, viewer: User, limit: int = 500) -> list[dict[str, Any]]:
    """Pending changes of the datasets the viewer may decide on (their agencies; the CDO all),
    oldest first."""
    rows = session.execute(
        select(PendingChange, Dataset, HarvestSource.name)
        .join(Dataset, Dataset.id == PendingChange.dataset_id)
        .outerjoin(HarvestSource, HarvestSource.id == PendingChange.source_id)
        .order_by(PendingChange.detected_at, PendingChange.id)
    )
    queue = []
    for change, dataset, source in rows:
        if not can_edit_agency(viewer, dataset.agency_id):
            continue
        queue.append(
            {
                "dataset_id": change.dataset_id,
                "title": dataset.title,
                "agency": dataset.agency.code,
                "field": change.field,
                "label": label(change.field),
                "current": snapshot(dataset)[change.field],
                "proposed": change.proposed,
                "source": source,
                "job": change.job_id,
                "detected": change.detected_at,
            }
        )
        if len(queue) >= limit:
            break
    return queue


def _source_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(HarvestSource.id, HarvestSource.name)).all())
