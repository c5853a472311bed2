"""DCAT resources that are not datasets (data services, dataset series), their links to the
datasets they serve or hold, and the per-dataset export fragments the catalog files are built from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base
from catalog.models._common import utcnow

RESOURCE_SERVICE = "service"
RESOURCE_SERIES = "series"
RESOURCE_KINDS = (RESOURCE_SERVICE, RESOURCE_SERIES)

dcat_resource_dataset = Table(
    "dcat_resource_dataset",
    Base.metadata,
    Column("resource_id", ForeignKey("dcat_resource.id", ondelete="CASCADE"), primary_key=True),
    Column("dataset_id", ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_dcat_resource_dataset_dataset_id", "dataset_id"),
)


class DcatResource(Base):
    """A DCAT-US 3.0 DataService (serves datasets) or DatasetSeries (holds datasets), kept as
    harvested: ``document`` is its 3.0 JSON without the nested datasets, which become links."""

    __tablename__ = "dcat_resource"
    __table_args__ = (UniqueConstraint("kind", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    identifier: Mapped[str] = mapped_column(String(512))
    title: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(default=dict)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("harvest_source.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    datasets: Mapped[list[Any]] = relationship(
        "Dataset", secondary=dcat_resource_dataset, lazy="selectin", order_by="Dataset.title"
    )


class ExportFragment(Base):
    """One dataset's entry in one export format, as text ready to be joined into the whole file.

    ``context`` fingerprints what the text depends on besides the dataset (the site's address,
    the agencies, the mapping's version); ``version`` is the dataset's version when it was made.
    """

    __tablename__ = "export_fragment"

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True
    )
    format: Mapped[str] = mapped_column(String(16), primary_key=True)
    context: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
