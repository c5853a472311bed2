"""Conformance results per dataset and rule, dated snapshots of the roll-ups, and the link cache.

Rules themselves are declared data (``config/standards``); results refer to them by string keys:
``rule_id``, ``standard`` and ``principle`` (a plan principle id such as ``"P3"``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base
from catalog.models._common import utcnow


class ConformanceResult(Base):
    """One dataset against one rule: ``pass``, ``fail`` or ``not_applicable``, with why."""

    __tablename__ = "conformance_result"
    __table_args__ = (
        # Covers per-agency roll-ups (public-only too) and the to-do lists' ordered, limited reads.
        Index(
            "ix_conformance_result_agency_rule",
            "agency_id",
            "rule_id",
            "status",
            "dataset_id",
            "access_level",
        ),
        # SQLite: keep rows clustered on the primary key (one B-tree fewer per million rows).
        {"sqlite_with_rowid": False},
    )

    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True
    )
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Copied from the dataset and the rule so roll-ups group without joins.
    agency_id: Mapped[int]
    access_level: Mapped[str] = mapped_column(String(32))
    standard: Mapped[str] = mapped_column(String(64))
    principle: Mapped[str] = mapped_column(String(16))
    weight: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text)
    # The version of the standard the rule came from, e.g. "metadata@2026.1".
    rule_set_version: Mapped[str] = mapped_column(String(100))
    evaluated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConformanceSnapshot(Base):
    """Roll-ups on one day for one rule-set version, so trends stay comparable when rules change.

    ``figures`` holds ``agencies`` (per agency: datasets, score, public figures, per-standard and
    per-principle percentages, failures per rule), ``standards``, ``principles``, ``rules`` (pass /
    fail / not-applicable counts) and ``links`` (ok / broken / unchecked).
    """

    __tablename__ = "conformance_snapshot"
    __table_args__ = (UniqueConstraint("taken_on", "rule_set_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_on: Mapped[date] = mapped_column(index=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    rule_set_version: Mapped[str] = mapped_column(String(255))
    plan: Mapped[str] = mapped_column(String(64))
    dataset_count: Mapped[int]
    score: Mapped[float | None]
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)


class LinkCheck(Base):
    """The last answer of one distribution URL; filled by ``conformance links``, read by rules."""

    __tablename__ = "link_check"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    ok: Mapped[bool] = mapped_column(index=True)
    status_code: Mapped[int | None]
    detail: Mapped[str] = mapped_column(String(255))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
