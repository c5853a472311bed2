"""The State Data Plan: versions, principles, goals with measurable objectives, focal points;
agencies' progress reports on objectives; public feedback on the plan and on datasets.

``init`` imports ``config/plan/*.toml`` once (versions not yet in the database); after that the
database is the source of truth and the CDO writes the plan in the catalog. Elements keep stable
string keys (``"P3"``, ``"G1"``, ``"G1.1"``) that standards, feedback and progress reports cite.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base
from catalog.models._common import utcnow
from catalog.models.agency import Agency
from catalog.models.user import User

# draft (the CDO writes; not public) -> consultation (open for comment, with its window) -> final
# (adopted; the newest final one issued is in force) -> superseded (a later version replaced it).
PLAN_STATUSES = ("draft", "consultation", "final", "superseded")
PUBLIC_STATUSES = ("consultation", "final", "superseded")
STATUS_LABELS = {
    "draft": "Draft (not public)",
    "consultation": "Open for comment",
    "final": "Final",
    "superseded": "Superseded by a later version",
}
# Moves the CDO may make; "superseded" also follows automatically when a later version goes final.
PLAN_TRANSITIONS = {
    "draft": ("consultation", "final"),
    "consultation": ("draft", "final"),
    "final": ("superseded",),
    "superseded": ("final",),
}
GOAL_TERMS = ("two-year", "longer-term")
REPORT_STATUSES = ("not-started", "on-track", "at-risk", "off-track", "done")
FEEDBACK_STATUSES = ("new", "read", "answered")
FEEDBACK_TARGETS = ("general", "principle", "goal", "focal_point", "dataset")


class PlanVersion(Base):
    """One version of the plan (Phase 1 draft 2018, final 2018, biennial updates)."""

    __tablename__ = "plan_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    issued: Mapped[date | None]
    issued_note: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    source_url: Mapped[str | None] = mapped_column(String(512))
    # The public comment window, inclusive dates (Connecticut time). No window: no comments.
    comment_opens: Mapped[date | None]
    comment_closes: Mapped[date | None]
    comment_note: Mapped[str | None] = mapped_column(Text)
    # Principle groups as declared: [{"key": "A", "title": "..."}], in order.
    groups: Mapped[list[Any]] = mapped_column(default=list)
    # The two years (or so) the version covers: the progress report's period.
    period_starts: Mapped[date | None]
    period_ends: Mapped[date | None]
    # The key of the version this one was copied from, if any.
    based_on: Mapped[str | None] = mapped_column(String(64))
    # Hidden everywhere; kept because feedback and progress reports refer to it.
    retired: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    principles: Mapped[list[PlanPrinciple]] = relationship(
        back_populates="version", order_by="PlanPrinciple.position", cascade="all, delete-orphan"
    )
    goals: Mapped[list[PlanGoal]] = relationship(
        back_populates="version", order_by="PlanGoal.position", cascade="all, delete-orphan"
    )
    focal_points: Mapped[list[PlanFocalPoint]] = relationship(
        back_populates="version", order_by="PlanFocalPoint.position", cascade="all, delete-orphan"
    )

    def window_open_on(self, day: date) -> bool:
        """Whether comments are accepted on ``day`` (both ends inclusive)."""
        if self.comment_opens is None and self.comment_closes is None:
            return False
        if self.comment_opens is not None and day < self.comment_opens:
            return False
        return not (self.comment_closes is not None and day > self.comment_closes)

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES and not self.retired

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<PlanVersion {self.key}>"


class _Element:
    """Columns every plan element shares (mixin)."""

    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)
    retired: Mapped[bool] = mapped_column(default=False)
    # Links to catalog content: dataset ids or identifiers, and DCAT themes.
    datasets: Mapped[list[Any]] = mapped_column(default=list)
    themes: Mapped[list[Any]] = mapped_column(default=list)


class PlanPrinciple(_Element, Base):
    __tablename__ = "plan_principle"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"))
    group_key: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)

    version: Mapped[PlanVersion] = relationship(back_populates="principles")


class PlanGoal(_Element, Base):
    __tablename__ = "plan_goal"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"))
    term: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)

    version: Mapped[PlanVersion] = relationship(back_populates="goals")
    objectives: Mapped[list[PlanObjective]] = relationship(
        back_populates="goal", order_by="PlanObjective.position", cascade="all, delete-orphan"
    )


class PlanObjective(Base):
    """A measurable objective of a goal: metric, numeric target and due date."""

    __tablename__ = "plan_objective"
    __table_args__ = (UniqueConstraint("goal_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("plan_goal.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(Text)
    metric: Mapped[str] = mapped_column(Text)
    target: Mapped[float]
    unit: Mapped[str | None] = mapped_column(String(64))
    due: Mapped[date]
    retired: Mapped[bool] = mapped_column(default=False)

    goal: Mapped[PlanGoal] = relationship(back_populates="objectives")


class PlanFocalPoint(_Element, Base):
    __tablename__ = "plan_focal_point"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)

    version: Mapped[PlanVersion] = relationship(back_populates="focal_points")


class ProgressReport(Base):
    """An agency's report to the CDO on one objective for one period (``2026-H2``, ``2026-Q3``)."""

    __tablename__ = "progress_report"
    __table_args__ = (
        UniqueConstraint("agency_id", "objective_id", "period"),
        Index("ix_progress_report_period_agency", "period", "agency_id"),
        Index("ix_progress_report_objective_period", "objective_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"))
    objective_id: Mapped[int] = mapped_column(ForeignKey("plan_objective.id"))
    period: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    narrative: Mapped[str | None] = mapped_column(Text)
    metric_value: Mapped[float | None]
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")
    objective: Mapped[PlanObjective] = relationship(lazy="joined")
    submitted_by: Mapped[User | None] = relationship(lazy="joined")


class Feedback(Base):
    """A public comment. Every field is optional; contact details are for the CDO only."""

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_status_created", "status", "created_at"),
        Index("ix_feedback_version_published", "version_id", "published"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    target_kind: Mapped[str] = mapped_column(String(16), default="general")
    # A principle/goal/focal-point key ("P3") or a dataset id; None for general comments.
    target_key: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    organisation: Mapped[str | None] = mapped_column(String(255))
    comment: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new")
    # The commenter agreed that the comment may be published, and (separately) their name.
    publish_consent: Mapped[bool] = mapped_column(default=False)
    publish_name: Mapped[bool] = mapped_column(default=False)
    # The CDO's public answer, and whether the CDO published the pair (only with consent).
    reply: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None]
    replied_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    version: Mapped[PlanVersion] = relationship(lazy="joined")

    @property
    def public_name(self) -> str | None:
        """The name shown with a published comment: only when the commenter agreed."""
        return self.name if self.publish_name and self.name else None
