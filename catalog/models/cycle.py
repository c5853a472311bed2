"""The statute's yearly cycle: each agency's high-value data inventory for the year, and its open
data access plan (the inventoried datasets it will publish, each by a target date)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base
from catalog.models._common import utcnow
from catalog.models.agency import Agency
from catalog.models.dataset import Dataset

SUBMISSION_METHODS = ("upload", "confirmation")
ACCESS_PLAN_STATUSES = ("published", "due", "late")


class InventoryCycle(Base):
    """The year's call for inventories, opened by the CDO with a due date (December 31)."""

    __tablename__ = "inventory_cycle"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(unique=True)
    opened_on: Mapped[date]
    due_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text)
    opened_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InventorySubmission(Base):
    """An agency's inventory for a cycle: an uploaded spreadsheet or a confirmation that the
    harvested inventory is complete. Submitting again replaces it (the audit trail keeps both)."""

    __tablename__ = "inventory_submission"
    __table_args__ = (UniqueConstraint("cycle_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("inventory_cycle.id", ondelete="CASCADE"))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    # For uploads: the harvest job that read the spreadsheet.
    harvest_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("harvest_job.id", ondelete="SET NULL")
    )
    dataset_count: Mapped[int] = mapped_column(default=0)
    high_value_count: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(255))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    cycle: Mapped[InventoryCycle] = relationship(lazy="joined")
    agency: Mapped[Agency] = relationship(lazy="joined")


class HighValueDataset(Base):
    """A dataset its agency's data officer marked high-value in a cycle's inventory."""

    __tablename__ = "inventory_high_value"

    cycle_id: Mapped[int] = mapped_column(
        ForeignKey("inventory_cycle.id", ondelete="CASCADE"), primary_key=True
    )
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True
    )
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    marked_by: Mapped[str] = mapped_column(String(255))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessPlanEntry(Base):
    """A promise in an agency's open data access plan: this dataset on the portal by a date.

    Its status is not stored: ``published`` once a portal source brings the dataset, otherwise
    ``due`` until the target date and ``late`` after it."""

    __tablename__ = "access_plan_entry"
    __table_args__ = (UniqueConstraint("agency_id", "dataset_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"))
    target_date: Mapped[date]
    added_by: Mapped[str] = mapped_column(String(255))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")
    dataset: Mapped[Dataset] = relationship(lazy="joined")
