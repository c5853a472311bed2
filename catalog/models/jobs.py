"""Periodic tasks' clocks and the notices the jobs leave for stewards and the CDO."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base
from catalog.models._common import utcnow

NOTICE_KINDS = ("harvest_failed", "review_overdue", "agreement_expiring")


class ScheduledTask(Base):
    """When a periodic task (link checks, snapshots, notices, reports) next runs.

    Any number of dispatchers may look at once: the one whose update moves ``next_run_at`` on
    from the value it read queues the run, the others see the row changed and do nothing.
    """

    __tablename__ = "scheduled_task"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    schedule: Mapped[str] = mapped_column(String(64))
    next_run_at: Mapped[datetime]
    last_queued_at: Mapped[datetime | None]
    last_finished_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class Notice(Base):
    """Something a person should act on: a failed harvest, an overdue review, an agreement
    about to expire. One per person and ``key``, so a job that runs twice notifies once."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    # A path inside the catalog ("/harvest/jobs/12"), joined to the site's address in e-mail.
    link: Mapped[str | None] = mapped_column(String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed_at: Mapped[datetime | None]
    email_error: Mapped[str | None] = mapped_column(Text)
