"""Data services and dataset series (DCAT-US 3.0) a harvest keeps, and their links to datasets.

``save_resources`` is the one writer of ``dcat_resource`` and its links: audited, and datasets
whose series change are announced (their 3.0 entries name the series).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from catalog import events
from catalog.models import Dataset, DcatResource, dcat_resource_dataset
from catalog.models.dcat import RESOURCE_KINDS, RESOURCE_SERIES
from catalog.services.audit import record_event

CHUNK = 500


@dataclass
class ResourceEntry:
    """One service or series as a source lists it: its 3.0 document (without nested datasets)
    and the identifiers of the datasets it serves or holds."""

    kind: str
    identifier: str
    title: str
    document: dict[str, Any]
    dataset_identifiers: set[str] = field(default_factory=set)


def save_resources(
    session: Session,
    source_id: int | None,
    entries: list[ResourceEntry],
    actor: str,
    *,
    complete: bool = True,
) -> dict[str, int]:
    """Create or update these resources and set their links (datasets found by identifier).

    When ``complete`` (the source was read in full), the source's resources it no longer lists
    are removed. Returns counts: ``added``, ``updated``, ``removed``, ``linked``.
    """
    counts = {"added": 0, "updated": 0, "removed": 0, "linked": 0}
    touched: set[str] = set()
    existing = {
        (r.kind, r.identifier): r
        for r in session.scalars(select(DcatResource).where(DcatResource.source_id == source_id))
    }
    seen: set[tuple[str, str]] = set()
    for entry in entries:
        if entry.kind not in RESOURCE_KINDS:
            raise ValueError(f"Unknown resource kind {entry.kind!r}.")
        key = (entry.kind, entry.identifier)
        seen.add(key)
        resource = existing.get(key) or session.scalar(
            select(DcatResource).where(
                DcatResource.kind == entry.kind, DcatResource.identifier == entry.identifier
            )
        )
        ids = _dataset_ids(session, entry.dataset_identifiers)
        if resource is None:
            resource = DcatResource(
                kind=entry.kind,
                identifier=entry.identifier,
                title=entry.title,
                document=entry.document,
                source_id=source_id,
            )
            session.add(resource)
            session.flush()
            record_event(
                session, actor, f"dcat_{entry.kind}.create", "dcat_resource", resource.id, None,
                {"identifier": entry.identifier, "title": entry.title, "datasets": sorted(ids)},
            )  # fmt: skip
            counts["added"] += 1
            old_ids: set[str] = set()
        else:
            old_ids = set(
                session.scalars(
                    select(dcat_resource_dataset.c.dataset_id).where(
                        dcat_resource_dataset.c.resource_id == resource.id
                    )
                )
            )
            before = {"title": resource.title, "document": resource.document}
            after = {"title": entry.title, "document": entry.document}
            if entry.kind == RESOURCE_SERIES and before != after:
                touched |= old_ids | ids  # their 3.0 entries carry the series' document
            if before != after or old_ids != ids:
                resource.title, resource.document = entry.title, entry.document
                resource.source_id = source_id
                record_event(
                    session, actor, f"dcat_{entry.kind}.update", "dcat_resource", resource.id,
                    {**before, "datasets": sorted(old_ids)}, {**after, "datasets": sorted(ids)},
                )  # fmt: skip
                counts["updated"] += 1
        if old_ids != ids:
            _relink(session, resource.id, ids)
            if entry.kind == RESOURCE_SERIES:
                touched |= old_ids ^ ids
        counts["linked"] += len(ids)
    if complete:
        for key, resource in existing.items():
            if key not in seen:
                if resource.kind == RESOURCE_SERIES:
                    touched |= {d.id for d in resource.datasets}
                record_event(
                    session, actor, f"dcat_{resource.kind}.remove", "dcat_resource", resource.id,
                    {"identifier": resource.identifier, "title": resource.title}, None,
                )  # fmt: skip
                session.delete(resource)
                counts["removed"] += 1
    session.flush()
    if touched:
        events.datasets_changed.send("dcat_resources", ids=sorted(touched), session=session)
    return counts


def series_and_services(session: Session, dataset_id: str) -> list[DcatResource]:
    """The series and services a dataset belongs to (for its page)."""
    return list(
        session.scalars(
            select(DcatResource)
            .join(dcat_resource_dataset, DcatResource.id == dcat_resource_dataset.c.resource_id)
            .where(dcat_resource_dataset.c.dataset_id == dataset_id)
            .order_by(DcatResource.kind, DcatResource.title)
        )
    )


def _dataset_ids(session: Session, identifiers: set[str]) -> set[str]:
    found: set[str] = set()
    idents = sorted(identifiers)
    for start in range(0, len(idents), CHUNK):
        found.update(
            session.scalars(
                select(Dataset.id).where(Dataset.identifier.in_(idents[start : start + CHUNK]))
            )
        )
    return found


def _relink(session: Session, resource_id: int, ids: set[str]) -> None:
    session.execute(
        delete(dcat_resource_dataset).where(dcat_resource_dataset.c.resource_id == resource_id)
    )
    if ids:
        session.execute(
            insert(dcat_resource_dataset),
            [{"resource_id": resource_id, "dataset_id": i} for i in sorted(ids)],
        )
    session.expire_all()
