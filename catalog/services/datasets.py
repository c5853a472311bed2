"""Register, edit, withdraw and read datasets: the one path every entry point saves through."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import isodate
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from catalog import events
from catalog.errors import Conflict, InvalidInput, NotFound, PermissionDenied, VersionConflict
from catalog.models import (
    DCAT_FIELDS,
    GOVERNANCE_FIELDS,
    STATUS_ACTIVE,
    STATUS_WITHDRAWN,
    Agency,
    Dataset,
    Distribution,
    User,
)
from catalog.models._common import new_public_id, utcnow
from catalog.permissions import can_edit_agency
from catalog.schemas.dataset import DatasetInputSchema
from catalog.services.agencies import find_agency
from catalog.services.audit import diff, record_event

DISTRIBUTION_FIELDS = (
    "title", "description", "access_url", "download_url", "media_type", "format",
    "conforms_to", "described_by", "described_by_type",
)  # fmt: skip
# Keys of the output that a client may send back unchanged; they are not inputs.
READ_ONLY_KEYS = ("id", "status", "version", "created", "updated", "withdrawn")
# One instance, reused: building a schema (and its nested ones) costs more than a load.
_INPUT_SCHEMA = DatasetInputSchema()


def validate_dataset(payload: Any, *, partial: bool | tuple[str, ...] | None = None) -> dict:
    """Load a DCAT-US payload through the input schema; field errors raise ``InvalidInput``."""
    if not isinstance(payload, dict):
        raise InvalidInput({"_schema": ["Expected a JSON object."]})
    payload = {key: value for key, value in payload.items() if key not in READ_ONLY_KEYS}
    try:
        return _INPUT_SCHEMA.load(payload, partial=partial)
    except ValidationError as exc:
        raise InvalidInput(_flatten(exc.messages)) from None


def create_dataset(
    session: Session, payload: Any, actor: User | str, *, partial: tuple[str, ...] | None = None
) -> Dataset:
    """Register a new dataset for an agency the actor stewards.

    ``actor`` is a user, or a label such as ``"harvest:ct"`` for trusted system processes.
    """
    code = payload.get("agency") if isinstance(payload, dict) else None
    if isinstance(code, str) and code.strip():
        # Refuse a steward of another agency before saying anything about the body.
        _require_edit(actor, find_agency(session, code))
    data = validate_dataset(payload, partial=partial)
    agency = _resolve_agency(session, data.pop("agency", None), actor)
    _require_edit(actor, agency)
    dataset_id = new_public_id()
    identifier = data.pop("identifier", None) or f"urn:ct-data-catalog:{dataset_id}"
    _ensure_identifier_free(session, identifier)
    dataset = Dataset(id=dataset_id, identifier=identifier, agency=agency, status=STATUS_ACTIVE)
    _apply(dataset, data)
    session.add(dataset)
    session.flush()
    record_event(session, actor, "dataset.create", "dataset", dataset.id, None, snapshot(dataset))
    events.datasets_changed.send("datasets", ids=[dataset.id])
    return dataset


def update_dataset(
    session: Session,
    dataset_id: str,
    payload: Any,
    actor: User | str,
    expected_version: int | None = None,
) -> Dataset:
    """Apply a partial change. A stale ``expected_version`` raises ``VersionConflict``."""
    dataset = get_dataset(session, dataset_id)
    _require_edit(actor, dataset.agency)
    if expected_version is not None and expected_version != dataset.version:
        raise VersionConflict(dataset.version, expected_version)
    status = payload.get("status") if isinstance(payload, dict) else None
    data = validate_dataset(payload, partial=True)
    if status not in (None, STATUS_ACTIVE, STATUS_WITHDRAWN):
        raise InvalidInput({"status": [f"Must be one of: {STATUS_ACTIVE}, {STATUS_WITHDRAWN}."]})
    _check_rights_after_change(dataset, data)
    before = snapshot(dataset)
    if "agency" in data:
        agency = find_agency(session, data.pop("agency") or "")
        _require_edit(actor, agency)
        dataset.agency = agency
    if "identifier" in data and data["identifier"] != dataset.identifier:
        _ensure_identifier_free(session, data["identifier"])
    _apply(dataset, data)
    if status and status != dataset.status:
        _set_status(dataset, status)
    after = snapshot(dataset)
    old, new = diff(before, after)
    if not new:
        return dataset
    _flush_checking_version(session, dataset, expected_version)
    record_event(session, actor, "dataset.update", "dataset", dataset.id, old, new)
    events.datasets_changed.send("datasets", ids=[dataset.id])
    return dataset


def withdraw_dataset(session: Session, dataset_id: str, actor: User | str) -> Dataset:
    """Mark a dataset withdrawn: kept and readable by id, out of default lists and search."""
    dataset = get_dataset(session, dataset_id)
    _require_edit(actor, dataset.agency)
    if dataset.status == STATUS_WITHDRAWN:
        return dataset
    before = {"status": dataset.status}
    _set_status(dataset, STATUS_WITHDRAWN)
    session.flush()
    record_event(
        session,
        actor,
        "dataset.withdraw",
        "dataset",
        dataset.id,
        before,
        {"status": dataset.status},
    )
    events.datasets_changed.send("datasets", ids=[dataset.id])
    return dataset


def get_dataset(session: Session, dataset_id: str) -> Dataset:
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset with id {dataset_id!r}.")
    return dataset


def snapshot(dataset: Dataset) -> dict[str, Any]:
    """The values an audit event records for a dataset."""
    values = {field: getattr(dataset, field) for field in DCAT_FIELDS + GOVERNANCE_FIELDS}
    values["agency"] = dataset.agency.code if dataset.agency else None
    values["status"] = dataset.status
    values["distribution"] = [
        {field: getattr(dist, field) for field in DISTRIBUTION_FIELDS}
        for dist in dataset.distributions
    ]
    return values


def parse_modified(value: str | None) -> datetime | None:
    """The date a DCAT ``modified`` value names, or None for durations and blanks."""
    if not value or value.startswith(("R/", "P")):
        return None
    try:
        if "T" in value or " " in value:
            parsed = isodate.parse_datetime(value.replace(" ", "T"))
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(isodate.UTC).replace(tzinfo=None)
            return parsed
        day = isodate.parse_date(value)
        return datetime(day.year, day.month, day.day)
    except (isodate.ISO8601Error, ValueError, OverflowError):
        return None


# ----------------------------------------------------------------------------------------------


def _apply(dataset: Dataset, data: dict[str, Any]) -> None:
    for field in DCAT_FIELDS + GOVERNANCE_FIELDS:
        if field in data:
            value = data[field]
            if value is None and field in ("keyword", "theme", "language", "references",
                                           "bureau_code", "program_code", "columns"):  # fmt: skip
                value = []
            setattr(dataset, field, value)
    if "modified" in data:
        dataset.modified_at = parse_modified(dataset.modified)
    if "distribution" in data:
        dataset.distributions = [
            Distribution(position=index, **{k: dist.get(k) for k in DISTRIBUTION_FIELDS})
            for index, dist in enumerate(data["distribution"] or [])
        ]


def _set_status(dataset: Dataset, status: str) -> None:
    dataset.status = status
    dataset.withdrawn_at = utcnow() if status == STATUS_WITHDRAWN else None


def _flush_checking_version(session: Session, dataset: Dataset, given: int | None) -> None:
    """Flush; a concurrent commit since we read the row surfaces as ``VersionConflict``."""
    read_version = dataset.version
    try:
        session.flush()
    except StaleDataError:
        session.rollback()
        current = session.scalar(select(Dataset.version).where(Dataset.id == dataset.id))
        raise VersionConflict(current or read_version + 1, given or read_version) from None


def _require_edit(actor: User | str, agency: Agency) -> None:
    if isinstance(actor, User) and not can_edit_agency(actor, agency.id):
        raise PermissionDenied(
            f"You are not a steward of {agency.code}.",
            {"agency": [f"You are not a steward of {agency.code}."]},
        )


def _resolve_agency(session: Session, code: str | None, actor: User | str) -> Agency:
    if code:
        return find_agency(session, code)
    if isinstance(actor, User) and not actor.is_cdo_or_admin and len(actor.agencies) == 1:
        return actor.agencies[0]
    raise InvalidInput({"agency": ["Required: the code of the agency that holds the dataset."]})


def _ensure_identifier_free(session: Session, identifier: str) -> None:
    taken = session.scalar(select(Dataset.id).where(Dataset.identifier == identifier))
    if taken:
        raise Conflict(
            f"Identifier already used by dataset {taken}.",
            {"identifier": [f"Already used by dataset {taken}."]},
        )


def _check_rights_after_change(dataset: Dataset, data: dict[str, Any]) -> None:
    level = data.get("access_level", dataset.access_level)
    rights = data.get("rights", dataset.rights)
    if level != "public" and not rights:
        raise InvalidInput(
            {
                "rights": [
                    "Required when accessLevel is not public: say why and how to request access."
                ]
            }
        )


def _flatten(messages: Any) -> dict[str, list]:
    """marshmallow's nested messages as {field: [messages]}, nested paths dotted."""
    if not isinstance(messages, dict):
        return {"_schema": list(messages) if isinstance(messages, list) else [str(messages)]}
    flat: dict[str, list] = {}
    for key, value in messages.items():
        if isinstance(value, dict):
            for sub_key, sub_value in _flatten(value).items():
                flat[f"{key}.{sub_key}"] = sub_value
        else:
            flat[str(key)] = list(value) if isinstance(value, list) else [str(value)]
    return flat
