"""Harvest sources, their jobs, the outcome of every record, and the links to datasets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base
from catalog.models._common import utcnow

SOURCE_KINDS = ("socrata", "dcat-us", "ckan", "inventory")
# What a source tells the plan: an agency's inventory (what it holds) or a portal (what is
# published). Reconciliation and access plans compare the two.
SOURCE_ROLES = ("inventory", "portal")


def default_role(kind: str) -> str:
    return "inventory" if kind == "inventory" else "portal"


JOB_QUEUED = "queued"
JOB_RUNNING = "running"
JOB_SUCCEEDED = "succeeded"
JOB_FAILED = "failed"
JOB_STATUSES = (JOB_QUEUED, JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED)
JOB_ACTIVE = (JOB_QUEUED, JOB_RUNNING)
# Who asked for a job: a queued one ("schedule", "web", "api") is resumed by another worker when
# its worker dies; one run from a terminal ("cli") or an upload is failed instead.
JOB_TRIGGERS = ("cli", "schedule", "web", "api", "upload")
COUNT_FIELDS = ("added", "updated", "unchanged", "withdrawn", "failed")


class HarvestSource(Base):
    """Where records come from: a portal, a data.json or an agency inventory spreadsheet."""

    __tablename__ = "harvest_source"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    role: Mapped[str] = mapped_column(String(16), default="portal")
    url: Mapped[str] = mapped_column(String(2048))
    # Agency code for records whose publisher maps to no known agency.
    agency_code: Mapped[str | None] = mapped_column(String(32))
    # A cron expression or @hourly/@daily/@weekly/@monthly, read by the dispatcher each minute.
    schedule: Mapped[str | None] = mapped_column(String(64))
    paused: Mapped[bool] = mapped_column(default=False)
    # When the schedule next fires (UTC); moved on by whichever dispatcher queues the run.
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    # Inventories: the column mapping (a TOML file's content) and where it came from.
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    jobs: Mapped[list[HarvestJob]] = relationship(
        back_populates="source",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="HarvestJob.id.desc()",
        lazy="select",
    )

    def __repr__(self) -> str:
        return f"<HarvestSource {self.name} {self.kind}>"


class HarvestJob(Base):
    """One run of a source, with its counts and, when it failed, why."""

    __tablename__ = "harvest_job"
    __table_args__ = (
        Index("ix_harvest_job_source_status", "source_id", "status"),
        # One queued or running job per source, enforced by the database: two starts a
        # millisecond apart cannot both insert one.
        Index(
            "uq_harvest_job_active_source",
            "source_id",
            unique=True,
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("harvest_source.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=JOB_RUNNING)
    trigger: Mapped[str] = mapped_column(String(16), default="cli")
    # The user or label that asked for it (a "Run now" press, "schedule", "cli").
    requested_by: Mapped[str | None] = mapped_column(String(255))
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Written every few seconds by the running process (a thread beside the harvest); with the
    # worker's identity ("host/boot:pid:start") it tells a live job from one whose process is gone.
    heartbeat_at: Mapped[datetime] = mapped_column(default=utcnow)
    worker: Mapped[str | None] = mapped_column(String(255))
    attempts: Mapped[int] = mapped_column(default=0)
    # Records read so far, and how many the source said it has (when it says).
    progress: Mapped[int] = mapped_column(default=0)
    expected: Mapped[int | None]
    finished_at: Mapped[datetime | None]
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    withdrawn: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    # Inventories: the annotated copy of the spreadsheet (a path under the instance folder).
    annotated_path: Mapped[str | None] = mapped_column(String(1024))

    source: Mapped[HarvestSource] = relationship(back_populates="jobs")

    @property
    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) or 0 for name in COUNT_FIELDS}

    @property
    def percent(self) -> int | None:
        """How far a running job has read, when the source stated its size."""
        if not self.expected:
            return None
        return min(100, round(100 * (self.progress or 0) / self.expected))


class HarvestRecord(Base):
    """What one job did with one source record: its outcome, raw source, hash and errors.

    ``errors`` is a list of ``{"severity": "error"|"warning", "type", "field", "message"}``.
    Unchanged records are counted on the job but not stored, so a re-harvest writes nothing else.
    """

    __tablename__ = "harvest_record"
    __table_args__ = (Index("ix_harvest_record_job_outcome", "job_id", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("harvest_job.id", ondelete="CASCADE"))
    identifier: Mapped[str | None] = mapped_column(String(512))
    title: Mapped[str | None] = mapped_column(Text)
    dataset_id: Mapped[str | None] = mapped_column(String(32), index=True)
    outcome: Mapped[str] = mapped_column(String(16))
    hash: Mapped[str | None] = mapped_column(String(64))
    raw: Mapped[dict[str, Any] | None]
    errors: Mapped[list[Any]] = mapped_column(default=list)


class HarvestLink(Base):
    """A source record bound to a dataset. One dataset may be reached through several sources;
    only the source that created it (``owner``) withdraws it."""

    __tablename__ = "harvest_link"
    __table_args__ = (UniqueConstraint("source_id", "identifier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(
        ForeignKey("harvest_source.id", ondelete="CASCADE"), index=True
    )
    identifier: Mapped[str] = mapped_column(String(512))
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), index=True
    )
    hash: Mapped[str] = mapped_column(String(64))
    owner: Mapped[bool] = mapped_column(default=True)
    # Set when this source's harvest withdrew the dataset: only then does it reinstate it.
    withdrawn_by_harvest: Mapped[bool] = mapped_column(default=False)
    last_job_id: Mapped[int | None]
