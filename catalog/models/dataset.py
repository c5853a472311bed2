from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base
from catalog.models._common import new_public_id, utcnow
from catalog.models.agency import Agency

ACCESS_LEVELS = ("public", "restricted public", "non-public")
STATUS_ACTIVE = "active"
STATUS_WITHDRAWN = "withdrawn"

# DCAT-US fields a harvest may own. Governance fields (steward_*, classification, governance_notes)
# are never written by a harvest.
DCAT_FIELDS = (
    "identifier", "title", "description", "keyword", "modified", "publisher_name",
    "contact_name", "contact_email", "access_level", "rights", "license", "spatial", "temporal",
    "accrual_periodicity", "theme", "landing_page", "described_by", "described_by_type", "issued",
    "data_quality", "system_of_records", "language", "conforms_to", "references", "is_part_of",
    "bureau_code", "program_code", "primary_it_investment_uii", "columns", "dcat3",
)  # fmt: skip
GOVERNANCE_FIELDS = ("steward_name", "steward_email", "classification", "governance_notes")


class Dataset(Base):
    """One inventory entry: DCAT-US 1.1 metadata plus governance fields kept apart."""

    __tablename__ = "dataset"
    __table_args__ = (
        Index("ix_dataset_agency_status", "agency_id", "status"),
        Index("ix_dataset_status_access", "status", "access_level"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_public_id)
    identifier: Mapped[str] = mapped_column(String(512), unique=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=STATUS_ACTIVE)
    withdrawn_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # DCAT-US 1.1
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    keyword: Mapped[list[Any]] = mapped_column(default=list)
    modified: Mapped[str | None] = mapped_column(String(64))
    # Parsed from `modified` when it is a date; used to sort and to judge timeliness.
    modified_at: Mapped[datetime | None] = mapped_column(index=True)
    publisher_name: Mapped[str | None] = mapped_column(String(255))
    contact_name: Mapped[str | None] = mapped_column(String(255))
    contact_email: Mapped[str | None] = mapped_column(String(255))
    access_level: Mapped[str] = mapped_column(String(32))
    rights: Mapped[str | None] = mapped_column(Text)
    license: Mapped[str | None] = mapped_column(String(512))
    spatial: Mapped[str | None] = mapped_column(Text)
    temporal: Mapped[str | None] = mapped_column(String(128))
    accrual_periodicity: Mapped[str | None] = mapped_column(String(64))
    theme: Mapped[list[Any]] = mapped_column(default=list)
    landing_page: Mapped[str | None] = mapped_column(String(1024))
    described_by: Mapped[str | None] = mapped_column(String(1024))
    described_by_type: Mapped[str | None] = mapped_column(String(128))
    issued: Mapped[str | None] = mapped_column(String(64))
    data_quality: Mapped[bool | None]
    system_of_records: Mapped[str | None] = mapped_column(String(1024))
    language: Mapped[list[Any]] = mapped_column(default=list)
    conforms_to: Mapped[str | None] = mapped_column(String(1024))
    references: Mapped[list[Any]] = mapped_column(default=list)
    is_part_of: Mapped[str | None] = mapped_column(String(512))
    bureau_code: Mapped[list[Any]] = mapped_column(default=list)
    program_code: Mapped[list[Any]] = mapped_column(default=list)
    primary_it_investment_uii: Mapped[str | None] = mapped_column(String(64))
    # Data dictionary: [{"name", "type", "description"}], e.g. Socrata columns.
    columns: Mapped[list[Any]] = mapped_column(default=list)
    # DCAT-US 3.0 values richer than the 1.1 columns (PeriodOfTime and Location objects, every
    # contact point, Identifier objects, accessRights, a rights list...), keyed by 3.0 property
    # name. Owned by ``catalog.dcat``: a value is used while the 1.1 column still says the same.
    dcat3: Mapped[dict[str, Any] | None] = mapped_column()

    # Governance: owned by stewards, never overwritten by a harvest.
    steward_name: Mapped[str | None] = mapped_column(String(255))
    steward_email: Mapped[str | None] = mapped_column(String(255))
    classification: Mapped[str | None] = mapped_column(String(32))
    governance_notes: Mapped[str | None] = mapped_column(Text)

    # Derived summaries kept on the row so lists, facets and dashboards group without joins.
    # Written with Core UPDATE statements (which leave `version` and `updated_at` alone) by the
    # conformance evaluator and the sharing-review services; never by stewards or harvests.
    conformance_score: Mapped[int | None] = mapped_column(index=True)
    review_status: Mapped[str | None] = mapped_column(String(32), index=True)

    agency: Mapped[Agency] = relationship(lazy="joined", innerjoin=True)
    distributions: Mapped[list[Distribution]] = relationship(
        back_populates="dataset",
        cascade="all, delete-orphan",
        order_by="Distribution.position",
        lazy="selectin",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_public(self) -> bool:
        return self.access_level == "public"

    def __repr__(self) -> str:
        return f"<Dataset {self.id} {self.identifier!r}>"


class Distribution(Base):
    """A download or API through which a dataset is reached."""

    __tablename__ = "distribution"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str | None] = mapped_column(String(512))
    description: Mapped[str | None] = mapped_column(Text)
    access_url: Mapped[str | None] = mapped_column(String(2048))
    download_url: Mapped[str | None] = mapped_column(String(2048))
    media_type: Mapped[str | None] = mapped_column(String(128))
    format: Mapped[str | None] = mapped_column(String(128), index=True)
    conforms_to: Mapped[str | None] = mapped_column(String(1024))
    described_by: Mapped[str | None] = mapped_column(String(1024))
    described_by_type: Mapped[str | None] = mapped_column(String(128))

    dataset: Mapped[Dataset] = relationship(back_populates="distributions")
