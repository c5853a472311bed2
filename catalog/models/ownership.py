"""Where a harvested dataset and its source disagree: a steward's override, or a change the source
proposes to a field that needs sign-off.

A harvested dataset's owning source owns its DCAT-US fields. Where no row here names a field, the
dataset holds what the source says. A ``FieldOverride`` keeps what the source says while the
dataset holds a steward's value; a ``PendingChange`` keeps what the source proposes for
``accessLevel``, ``rights``, ``license`` or the agency until a steward or the CDO decides. A
(dataset, field) has at most one of the two.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base, JSONType
from catalog.models._common import utcnow

# Upstream changes to these wait for a steward's sign-off; ``agency`` holds an agency code.
SIGN_OFF_FIELDS = ("access_level", "rights", "license", "agency")


class FieldOverride(Base):
    """A steward's value for a source-owned field; harvests keep ``source_value`` up to date."""

    __tablename__ = "field_override"
    __table_args__ = (UniqueConstraint("dataset_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by dataset through the unique (dataset_id, field) index.
    dataset_id: Mapped[str] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(64))
    # What the source says now (JSON: a string, a list, a list of distributions, or null).
    source_value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("harvest_source.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(255))


class PendingChange(Base):
    """A value a source proposes for a sign-off field, held until accepted or rejected."""

    __tablename__ = "pending_change"
    __table_args__ = (UniqueConstraint("dataset_id", "field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Looked up by dataset through the unique (dataset_id, field) index.
    dataset_id: Mapped[str] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(64))
    proposed: Mapped[Any] = mapped_column(JSONType, nullable=True)
    source_id: Mapped[int | None] = mapped_column(
        ForeignKey("harvest_source.id", ondelete="SET NULL")
    )
    job_id: Mapped[int | None] = mapped_column(ForeignKey("harvest_job.id", ondelete="SET NULL"))
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)
