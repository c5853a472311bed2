"""A steward's request for another agency's non-public dataset; it opens a sharing review."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base
from catalog.models._common import utcnow
from catalog.models.agency import Agency
from catalog.models.dataset import Dataset
from catalog.models.review import SharingReview


class AccessRequest(Base):
    __tablename__ = "access_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), index=True
    )
    requesting_agency_id: Mapped[int] = mapped_column(ForeignKey("agency.id"), index=True)
    requester_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    requester: Mapped[str] = mapped_column(String(255))
    purpose: Mapped[str] = mapped_column(Text)
    # The fields (columns) asked for; empty means the whole dataset.
    fields: Mapped[list[Any]] = mapped_column(default=list)
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    review_id: Mapped[int | None] = mapped_column(
        ForeignKey("sharing_review.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    dataset: Mapped[Dataset] = relationship(lazy="joined")
    requesting_agency: Mapped[Agency] = relationship(lazy="joined")
    review: Mapped[SharingReview | None] = relationship(lazy="joined")
