"""The one input of every mapping: a dataset as a plain dict of model attribute names.

``record_of`` builds it from an ORM object; ``load_records`` from rows, in batches, without ORM
objects (exports of 100,000 datasets). Keys: every ``DCAT_FIELDS`` name, ``id``, ``status``,
``version``, ``updated_at``, ``agency_code``, ``agency_name``, ``agency_officer_name``,
``agency_officer_email``, ``distributions`` (dicts of distribution attribute names) and
``series`` (the 3.0 documents of the dataset series it belongs to).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import (
    DCAT_FIELDS,
    RESOURCE_SERIES,
    Agency,
    Dataset,
    DcatResource,
    Distribution,
    dcat_resource_dataset,
)

DISTRIBUTION_FIELDS = (
    "title", "description", "access_url", "download_url", "media_type", "format",
    "conforms_to", "described_by", "described_by_type",
)  # fmt: skip
_ROW_FIELDS = ("id", "status", "version", "updated_at", *DCAT_FIELDS)
_AGENCY_FIELDS = ("code", "name", "data_officer_name", "data_officer_email")


@dataclass(frozen=True)
class ExportContext:
    """What an export needs besides the datasets: the site's address (dataset pages and IRIs)
    and the contact to name when neither the dataset nor its agency gives one."""

    base_url: str = "http://127.0.0.1:5000/"
    contact_name: str = "Connecticut Chief Data Officer"
    contact_email: str | None = None

    def page_url(self, dataset_id: str) -> str:
        return f"{self.base_url}datasets/{dataset_id}"

    @property
    def key(self) -> str:
        return f"{self.base_url}\x1f{self.contact_name}\x1f{self.contact_email}"


def record_of(dataset: Dataset, series: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The record of a loaded dataset (its distributions and agency are read from it)."""
    record = {name: getattr(dataset, name) for name in _ROW_FIELDS}
    record.update(_agency_values(dataset.agency))
    record["distributions"] = [
        {name: getattr(dist, name) for name in DISTRIBUTION_FIELDS}
        for dist in dataset.distributions
    ]
    record["series"] = series if series is not None else []
    return record


def load_records(session: Session, ids: list[str]) -> list[dict[str, Any]]:
    """Records of these datasets (any status), in the order of ``ids``, read with three queries."""
    if not ids:
        return []
    table = Dataset.__table__.c
    agencies = {
        row[0]: _agency_values(row[1:])
        for row in session.execute(select(Agency.id, *(getattr(Agency, f) for f in _AGENCY_FIELDS)))
    }
    found: dict[str, dict[str, Any]] = {}
    for row in session.execute(
        select(*(table[name] for name in _ROW_FIELDS), table.agency_id).where(table.id.in_(ids))
    ):
        record = dict(zip(_ROW_FIELDS, row, strict=False))
        record.update(agencies[row[-1]])
        record["distributions"] = []
        record["series"] = []
        found[record["id"]] = record
    dist = Distribution.__table__.c
    for row in session.execute(
        select(dist.dataset_id, *(dist[name] for name in DISTRIBUTION_FIELDS))
        .where(dist.dataset_id.in_(list(found)))
        .order_by(dist.dataset_id, dist.position)
    ):
        found[row[0]]["distributions"].append(dict(zip(DISTRIBUTION_FIELDS, row[1:], strict=True)))
    for dataset_id, document in session.execute(
        select(dcat_resource_dataset.c.dataset_id, DcatResource.document)
        .join(DcatResource, DcatResource.id == dcat_resource_dataset.c.resource_id)
        .where(
            DcatResource.kind == RESOURCE_SERIES,
            dcat_resource_dataset.c.dataset_id.in_(list(found)),
        )
        .order_by(DcatResource.identifier)
    ):
        found[dataset_id]["series"].append(document)
    return [found[i] for i in ids if i in found]


def iter_records(session: Session, ids: list[str], batch: int = 500) -> Iterator[dict[str, Any]]:
    for start in range(0, len(ids), batch):
        yield from load_records(session, ids[start : start + batch])


def series_of(session: Session, dataset_id: str) -> list[dict[str, Any]]:
    return list(
        session.scalars(
            select(DcatResource.document)
            .join(dcat_resource_dataset, DcatResource.id == dcat_resource_dataset.c.resource_id)
            .where(
                DcatResource.kind == RESOURCE_SERIES,
                dcat_resource_dataset.c.dataset_id == dataset_id,
            )
            .order_by(DcatResource.identifier)
        )
    )


def _agency_values(agency: Any) -> dict[str, Any]:
    if isinstance(agency, tuple | list):
        code, name, officer, officer_email = agency
    else:
        code, name = agency.code, agency.name
        officer, officer_email = agency.data_officer_name, agency.data_officer_email
    return {
        "agency_code": code,
        "agency_name": name,
        "agency_officer_name": officer,
        "agency_officer_email": officer_email,
    }
