"""What changed, from the append-only audit trail: a dataset's history field by field (its
stewards and the CDO), the CDO's audit log with filters and CSV, and the public change feed
(changes to public fields only, without who made them)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from catalog.errors import PermissionDenied, ServiceError
from catalog.guards.cells import csv_row
from catalog.models import GOVERNANCE_FIELDS, AuditEvent, Dataset, User
from catalog.permissions import can_see_internal

FIELD_LABELS = {
    "identifier": "Identifier", "title": "Title", "description": "Description",
    "keyword": "Keywords", "modified": "Last modified", "publisher_name": "Publisher",
    "contact_name": "Contact name", "contact_email": "Contact email",
    "access_level": "Access level", "rights": "Rights", "license": "License",
    "spatial": "Spatial", "temporal": "Temporal", "accrual_periodicity": "Update frequency",
    "theme": "Themes", "landing_page": "Landing page", "described_by": "Data dictionary",
    "described_by_type": "Data dictionary type", "issued": "Issued",
    "data_quality": "Meets quality guidelines", "system_of_records": "System of records",
    "language": "Language", "conforms_to": "Conforms to", "references": "Related documents",
    "is_part_of": "Part of", "bureau_code": "Bureau code", "program_code": "Program code",
    "primary_it_investment_uii": "IT investment UII", "columns": "Data dictionary columns",
    "steward_name": "Steward name", "steward_email": "Steward email",
    "classification": "Classification", "governance_notes": "Internal notes",
    "agency": "Agency", "status": "Status", "distribution": "Distributions",
}  # fmt: skip
ACTION_LABELS = {
    "dataset.create": "registered",
    "dataset.update": "changed",
    "dataset.withdraw": "withdrawn",
    "dataset.reinstate": "reinstated",
}
# Public only by name in the feed: their values may be internal addresses of non-public data.
NAME_ONLY_FIELDS = (
    "distribution", "columns", "system_of_records", "described_by", "described_by_type",
)  # fmt: skip
PRIVATE_FIELDS = set(GOVERNANCE_FIELDS)


@dataclass
class FieldChange:
    field: str
    label: str
    before: str | None
    after: str | None


@dataclass
class Change:
    id: int
    occurred_at: datetime
    actor: str
    action: str
    dataset_id: str
    changes: list[FieldChange] = field(default_factory=list)


def show(value: Any) -> str | None:
    """A stored value as people read it."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, list):
        return f"{len(value)} item{'' if len(value) == 1 else 's'}: " + "; ".join(
            ", ".join(f"{k}={v}" for k, v in item.items() if v not in (None, "", []))
            if isinstance(item, dict) else str(item)
            for item in value
        )  # fmt: skip
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def field_changes(
    before: dict | None, after: dict | None, *, public: bool = False
) -> list[FieldChange]:
    """Field by field, in the order fields are listed; ``public`` drops governance fields and
    keeps only the names of fields that may hold internal values."""
    before, after = before or {}, after or {}
    changes = []
    for name in sorted({*before, *after}, key=_order):
        old, new = before.get(name), after.get(name)
        if old == new or (public and name in PRIVATE_FIELDS) or name not in FIELD_LABELS:
            continue
        if public and name in NAME_ONLY_FIELDS:
            changes.append(FieldChange(name, FIELD_LABELS[name], None, None))
        else:
            changes.append(FieldChange(name, FIELD_LABELS[name], show(old), show(new)))
    return changes


_ORDER = {name: index for index, name in enumerate(FIELD_LABELS)}


def _order(name: str) -> int:
    return _ORDER.get(name, len(_ORDER))


def dataset_history(
    session: Session, dataset: Dataset, viewer: User | None, limit: int = 200
) -> list[Change]:
    """Every recorded change of the dataset, newest first, with before and after per field."""
    if not can_see_internal(viewer, dataset):
        raise PermissionDenied("A dataset's history is for its stewards and the CDO.")
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "dataset", AuditEvent.entity_id == dataset.id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [
        Change(e.id, e.occurred_at, e.actor_label, e.action, dataset.id,
               field_changes(e.before, e.after))
        for e in events
    ]  # fmt: skip


# ---------------------------------------------------------------------------- audit log


@dataclass
class AuditFilters:
    actor: str = ""
    action: str = ""
    entity_type: str = ""
    entity_id: str = ""
    since: date | None = None
    until: date | None = None

    def query(self) -> Select:
        query = select(AuditEvent)
        if self.actor:
            query = query.where(func.lower(AuditEvent.actor_label).contains(self.actor.lower()))
        if self.action:
            # "plan." lists every plan action; "dataset.update" just that one.
            if self.action.endswith("."):
                query = query.where(AuditEvent.action.startswith(self.action, autoescape=True))
            else:
                query = query.where(AuditEvent.action == self.action)
        if self.entity_type:
            query = query.where(AuditEvent.entity_type == self.entity_type)
        if self.entity_id:
            query = query.where(AuditEvent.entity_id == self.entity_id)
        if self.since:
            query = query.where(AuditEvent.occurred_at >= datetime.combine(self.since, time()))
        if self.until:
            end = datetime.combine(self.until + timedelta(days=1), time())
            query = query.where(AuditEvent.occurred_at < end)
        return query


def parse_filters(args: dict[str, str]) -> AuditFilters:
    """Filters from a query string; a bad value is a 400 naming the parameter, never a 500."""
    values: dict[str, Any] = {}
    for name in ("actor", "action", "entity_type", "entity_id"):
        text = (args.get(name) or "").strip()
        if len(text) > 255:
            raise ServiceError("Bad query parameters.", {name: ["Too long."]})
        values[name] = text
    for name in ("since", "until"):
        text = (args.get(name) or "").strip()
        if text:
            try:
                values[name] = date.fromisoformat(text)
            except ValueError:
                raise ServiceError(
                    "Bad query parameters.", {name: ["Use a date such as 2026-01-31."]}
                ) from None
    return AuditFilters(**values)


def _require_cdo(viewer: User | None) -> None:
    if viewer is None or not viewer.is_active or not viewer.is_cdo_or_admin:
        raise PermissionDenied("The audit log is for the CDO and admins.")


def audit_page(
    session: Session, viewer: User, filters: AuditFilters, page: int = 1, per_page: int = 50
) -> tuple[list[AuditEvent], int]:
    _require_cdo(viewer)
    query = filters.query()
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return list(rows), int(total)


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


CSV_COLUMNS = (
    "id",
    "occurred_at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
)


def audit_csv(session: Session, viewer: User, filters: AuditFilters, limit: int = 100_000) -> str:
    """The filtered log as CSV, oldest first; every cell formula-safe."""
    _require_cdo(viewer)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    query = filters.query().order_by(AuditEvent.occurred_at, AuditEvent.id).limit(limit)
    for event in session.scalars(query):
        writer.writerow(
            csv_row(
                (
                    str(event.id),
                    event.occurred_at.isoformat(timespec="seconds"),
                    event.actor_label,
                    event.action,
                    event.entity_type,
                    event.entity_id,
                    json.dumps(event.before, ensure_ascii=False) if event.before else "",
                    json.dumps(event.after, ensure_ascii=False) if event.after else "",
                )
            )
        )
    return out.getvalue()


# ---------------------------------------------------------------------------- public feed


def public_changes(session: Session, limit: int = 50) -> list[tuple[Change, Dataset]]:
    """The latest dataset changes that touched a public field, newest first. Who made them is
    left out (staff addresses are not public); governance fields never appear."""
    rows = session.execute(
        select(AuditEvent, Dataset)
        .join(Dataset, Dataset.id == AuditEvent.entity_id)
        .where(AuditEvent.entity_type == "dataset", AuditEvent.action.in_(list(ACTION_LABELS)))
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit * 3)
    ).all()
    result = []
    for event, dataset in rows:
        changes = field_changes(event.before, event.after, public=True)
        if not changes and event.action == "dataset.update":
            continue
        result.append(
            (
                Change(event.id, event.occurred_at, "", event.action, dataset.id, changes),
                dataset,
            )
        )
        if len(result) == limit:
            break
    return result
