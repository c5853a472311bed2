"""Dated, frozen figures for the plan progress report, taken beside the conformance snapshot.

``figures`` holds ``agencies`` (per agency code: datasets, public, inventoried, published on a
portal, high-value, submitted for the year's cycle, access plan entries by status), ``reviews``
(by state, overdue, agreements in effect), ``agreements`` (those in effect) and ``progress``
(per plan version and objective key: each agency's latest report).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Mapped, mapped_column

from catalog.db import Base
from catalog.models._common import utcnow


class PlanSnapshot(Base):
    __tablename__ = "plan_snapshot"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_on: Mapped[date] = mapped_column(unique=True)
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    figures: Mapped[dict[str, Any]] = mapped_column(default=dict)
