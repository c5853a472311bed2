"""Field ownership of harvested datasets: what the source owns, steward overrides, sign-off.

A dataset created by a harvest belongs to that source (its owning ``HarvestLink``), which owns
every DCAT-US field (``OWNED_FIELDS``); governance fields are never the source's. Where the
dataset and its source disagree there is one row: a ``FieldOverride`` (the steward's value stays,
the row keeps what the source says) or a ``PendingChange`` (the source proposes a new value for a
``SIGN_OFF_FIELDS`` field; nothing changes until a steward or the CDO decides). Without a row, the
dataset holds what the source says. Values are compared in one canonical form, ``source_form``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from catalog.db import any_of
from catalog.models import (
    DCAT_FIELDS,
    SIGN_OFF_FIELDS,
    FieldOverride,
    HarvestLink,
    HarvestSource,
    PendingChange,
)
from catalog.services.audit import actor_label

LIST_FIELDS = (
    "keyword",
    "theme",
    "language",
    "references",
    "bureau_code",
    "program_code",
    "columns",
)
DISTRIBUTION_FIELDS = (
    "title", "description", "access_url", "download_url", "media_type", "format",
    "conforms_to", "described_by", "described_by_type",
)  # fmt: skip
# Dataset columns a source owns (model names), then the distributions and the agency code.
OWNED_COLUMNS = tuple(name for name in DCAT_FIELDS if name != "identifier")
OWNED_FIELDS = (*OWNED_COLUMNS, "distribution", "agency")
# Owned fields a harvest writes straight away (the others wait for sign-off).
DIRECT_FIELDS = tuple(name for name in OWNED_FIELDS if name not in SIGN_OFF_FIELDS)
# Labels for pages and messages (DCAT-US names where they exist).
FIELD_LABELS = {
    "access_level": "accessLevel", "rights": "rights", "license": "license", "agency": "agency",
    "contact_name": "contactPoint.fn", "contact_email": "contactPoint.hasEmail",
    "publisher_name": "publisher", "landing_page": "landingPage",
    "accrual_periodicity": "accrualPeriodicity", "described_by": "describedBy",
    "described_by_type": "describedByType", "data_quality": "dataQuality",
    "system_of_records": "systemOfRecords", "conforms_to": "conformsTo", "is_part_of": "isPartOf",
    "bureau_code": "bureauCode", "program_code": "programCode",
    "primary_it_investment_uii": "primaryITInvestmentUII",
}  # fmt: skip


def source_form(data: dict[str, Any], agency_code: str) -> dict[str, Any]:
    """What a source says about one dataset, for every owned field, from validated input (model
    names). A field the source leaves out says "nothing" (None, or [] for lists); a missing
    access level reads as non-public, the safe reading."""
    values = {}
    for name in OWNED_COLUMNS:
        value = data.get(name)
        values[name] = [] if value is None and name in LIST_FIELDS else value
    values["access_level"] = values["access_level"] or "non-public"
    values["distribution"] = distribution_form(data.get("distribution") or [])
    values["agency"] = agency_code
    return values


def distribution_form(distributions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated distributions as plain dicts of ``DISTRIBUTION_FIELDS`` (absent keys None)."""
    return [{k: d.get(k) for k in DISTRIBUTION_FIELDS} for d in distributions]


def label(field: str) -> str:
    return FIELD_LABELS.get(field, field)


def field_named(name: str) -> str | None:
    """The owned field a DCAT-US name ("accessLevel") or a model name ("access_level") means."""
    if name in OWNED_FIELDS:
        return name
    return next((field for field, text in FIELD_LABELS.items() if text == name), None)


def owning_source(session: Session, dataset_id: str) -> HarvestSource | None:
    """The source that created (and owns) a dataset, or None for a dataset entered by hand."""
    return session.scalar(
        select(HarvestSource)
        .join(HarvestLink, HarvestLink.source_id == HarvestSource.id)
        .where(HarvestLink.dataset_id == dataset_id, HarvestLink.owner.is_(True))
        .limit(1)
    )


def overrides_of(session: Session, dataset_id: str) -> dict[str, FieldOverride]:
    rows = session.scalars(select(FieldOverride).where(FieldOverride.dataset_id == dataset_id))
    return {row.field: row for row in rows}


def pending_of(session: Session, dataset_id: str) -> dict[str, PendingChange]:
    rows = session.scalars(select(PendingChange).where(PendingChange.dataset_id == dataset_id))
    return {row.field: row for row in rows}


def note_local_edit(
    session: Session,
    dataset_id: str,
    before: dict[str, Any],
    after: dict[str, Any],
    actor: Any,
) -> None:
    """After a steward's edit of a harvested dataset: each owned field it changed becomes an
    override keeping the source's value, unless it now equals what the source says (then the
    override, or the pending change it settles, goes)."""
    source = owning_source(session, dataset_id)
    if source is None:
        return
    changed = [f for f in OWNED_FIELDS if before.get(f) != after.get(f)]
    if not changed:
        return
    overrides = overrides_of(session, dataset_id)
    pending = pending_of(session, dataset_id)
    for field in changed:
        if field in pending:
            if after[field] == pending[field].proposed:
                session.delete(pending[field])  # the steward applied what the source proposes
        elif field in overrides:
            if after[field] == overrides[field].source_value:
                session.delete(overrides[field])  # back to what the source says
        else:
            session.add(
                FieldOverride(
                    dataset_id=dataset_id,
                    field=field,
                    source_value=before.get(field),
                    source_id=source.id,
                    created_by=actor_label(actor),
                )
            )
    session.flush()


def load_rows(
    session: Session, dataset_ids: list[str]
) -> tuple[dict[str, dict[str, tuple[int, Any]]], dict[str, dict[str, tuple[int, Any]]]]:
    """Overrides and pending changes of many datasets: ``{dataset_id: {field: (row id, value)}}``
    (the source's value of an override, the proposed value of a pending change)."""
    overrides: dict[str, dict[str, tuple[int, Any]]] = {}
    pending: dict[str, dict[str, tuple[int, Any]]] = {}
    if not dataset_ids:
        return overrides, pending
    for row in session.execute(
        select(
            FieldOverride.dataset_id,
            FieldOverride.field,
            FieldOverride.id,
            FieldOverride.source_value,
        ).where(any_of(session, FieldOverride.dataset_id, dataset_ids))
    ):
        overrides.setdefault(row[0], {})[row[1]] = (row[2], row[3])
    for row in session.execute(
        select(
            PendingChange.dataset_id, PendingChange.field, PendingChange.id, PendingChange.proposed
        ).where(any_of(session, PendingChange.dataset_id, dataset_ids))
    ):
        pending.setdefault(row[0], {})[row[1]] = (row[2], row[3])
    return overrides, pending


# -- a batch from a source ---------------------------------------------------------------------


def direct_changes(
    says: dict[str, Any],
    now_values: dict[str, Any],
    overrides: dict[str, tuple[int, Any]],
    moves: dict[str, list[Any]],
) -> dict[str, Any]:
    changes = {}
    for name in DIRECT_FIELDS:
        value = says[name]
        if name in overrides:
            override_id, source_value = overrides[name]
            if value != source_value:
                moves["override_source"].append((override_id, value))
        elif value != now_values[name]:
            changes[name] = value
    return changes


def sign_off_changes(
    dataset_id: str,
    says: dict[str, Any],
    now_values: dict[str, Any],
    overrides: dict[str, tuple[int, Any]],
    pending: dict[str, tuple[int, Any]],
    moves: dict[str, list[Any]],
    source_id: int | None,
    job_id: int | None,
    now: Any,
) -> dict[str, Any]:
    """Pending changes for the sign-off fields; returns the values newly proposed."""
    proposals = {}
    for name in SIGN_OFF_FIELDS:
        value, held = says[name], now_values[name]
        if name in pending:
            pending_id, proposed = pending[name]
            if value == held:
                moves["pending_drop"].append(pending_id)  # the source came back
            elif value != proposed:
                moves["pending_update"].append((pending_id, value, job_id, now))
                proposals[name] = value
            continue
        if name in overrides:
            override_id, source_value = overrides[name]
            if value == held:
                moves["override_drop"].append(override_id)  # source and steward agree now
                continue
            if value == source_value:
                continue  # decided before (kept or rejected): not raised again
            moves["override_drop"].append(override_id)
        elif value == held:
            continue
        moves["pending_add"].append(
            {
                "dataset_id": dataset_id,
                "field": name,
                "proposed": value,
                "source_id": source_id,
                "job_id": job_id,
                "detected_at": now,
            }
        )
        proposals[name] = value
    return proposals


def write_moves(session: Session, moves: dict[str, list[Any]]) -> None:
    overrides, pending = FieldOverride.__table__, PendingChange.__table__
    if moves["override_source"]:
        session.execute(
            update(overrides)
            .where(overrides.c.id == bindparam("b_id"))
            .values(source_value=bindparam("b_value")),
            [{"b_id": i, "b_value": v} for i, v in moves["override_source"]],
        )
    if moves["override_drop"]:
        session.execute(
            delete(overrides).where(any_of(session, overrides.c.id, moves["override_drop"]))
        )
    if moves["pending_drop"]:
        session.execute(delete(pending).where(any_of(session, pending.c.id, moves["pending_drop"])))
    if moves["pending_update"]:
        session.execute(
            update(pending)
            .where(pending.c.id == bindparam("b_id"))
            .values(
                proposed=bindparam("b_value"),
                job_id=bindparam("b_job"),
                detected_at=bindparam("b_at"),
            ),
            [
                {"b_id": i, "b_value": v, "b_job": j, "b_at": at}
                for i, v, j, at in moves["pending_update"]
            ],
        )
    if moves["pending_add"]:
        session.execute(insert(pending), moves["pending_add"])
