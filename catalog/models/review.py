"""Sharing-obstacle reviews, the legal authorities they cite and data-sharing agreements."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.db import Base
from catalog.models._common import utcnow
from catalog.models.agency import Agency
from catalog.models.dataset import Dataset
from catalog.models.user import User

OBSTACLE_KINDS = ("legal", "privacy", "security", "technical", "contractual")

STATE_IDENTIFIED = "identified"
STATE_IN_REVIEW = "in_review"
STATE_RESOLVED_AGREEMENT = "resolved_agreement"
STATE_RESOLVED_DEIDENTIFIED = "resolved_deidentified"
STATE_RESOLVED_STATUTE = "resolved_statute"
STATE_RESTRICTED = "restricted"
REVIEW_STATES = (
    STATE_IDENTIFIED,
    STATE_IN_REVIEW,
    STATE_RESOLVED_AGREEMENT,
    STATE_RESOLVED_DEIDENTIFIED,
    STATE_RESOLVED_STATUTE,
    STATE_RESTRICTED,
)
OPEN_STATES = (STATE_IDENTIFIED, STATE_IN_REVIEW)
RESOLVED_STATES = (STATE_RESOLVED_AGREEMENT, STATE_RESOLVED_DEIDENTIFIED, STATE_RESOLVED_STATUTE)
CLOSED_STATES = (*RESOLVED_STATES, STATE_RESTRICTED)

# The state machine: where a review may go from each state. A closed review may be reopened
# (an agreement expired, a statute changed) by moving it back into review.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    STATE_IDENTIFIED: (STATE_IN_REVIEW, STATE_RESTRICTED),
    STATE_IN_REVIEW: (*RESOLVED_STATES, STATE_RESTRICTED),
    STATE_RESOLVED_AGREEMENT: (STATE_IN_REVIEW,),
    STATE_RESOLVED_DEIDENTIFIED: (STATE_IN_REVIEW,),
    STATE_RESOLVED_STATUTE: (STATE_IN_REVIEW,),
    STATE_RESTRICTED: (STATE_IN_REVIEW,),
}

STATE_LABELS = {
    STATE_IDENTIFIED: "Identified",
    STATE_IN_REVIEW: "In review",
    STATE_RESOLVED_AGREEMENT: "Resolved by agreement",
    STATE_RESOLVED_DEIDENTIFIED: "Resolved by de-identification",
    STATE_RESOLVED_STATUTE: "Resolved by statute change",
    STATE_RESTRICTED: "Restricted",
}

review_authority = Table(
    "review_authority",
    Base.metadata,
    Column("review_id", ForeignKey("sharing_review.id", ondelete="CASCADE"), primary_key=True),
    Column("authority_id", ForeignKey("legal_authority.id", ondelete="CASCADE"), primary_key=True),
)

agreement_party = Table(
    "agreement_party",
    Base.metadata,
    Column(
        "agreement_id", ForeignKey("sharing_agreement.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("agency_id", ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
)

agreement_dataset = Table(
    "agreement_dataset",
    Base.metadata,
    Column(
        "agreement_id", ForeignKey("sharing_agreement.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("dataset_id", ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True),
)

agreement_review = Table(
    "agreement_review",
    Base.metadata,
    Column(
        "agreement_id", ForeignKey("sharing_agreement.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("review_id", ForeignKey("sharing_review.id", ondelete="CASCADE"), primary_key=True),
)


class LegalAuthority(Base):
    """A statute, rule or policy limiting sharing; loaded from config/authorities.toml."""

    __tablename__ = "legal_authority"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    citation: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    summary: Mapped[str] = mapped_column(Text)
    obstacle_kinds: Mapped[list[Any]] = mapped_column(default=list)
    resolutions: Mapped[list[Any]] = mapped_column(default=list)

    def __repr__(self) -> str:
        return f"<LegalAuthority {self.code}>"


class SharingReview(Base):
    """A review of the obstacles to sharing one dataset, usually with one requesting agency."""

    __tablename__ = "sharing_review"
    __table_args__ = (Index("ix_sharing_review_state_due", "state", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[str] = mapped_column(
        ForeignKey("dataset.id", ondelete="CASCADE"), index=True
    )
    # None: a review of why the dataset is not open to the public, with no one agency asking.
    requesting_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agency.id"), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    obstacle_kinds: Mapped[list[Any]] = mapped_column(default=list)
    # Plain words for the public page ("Why isn't this open?"); internal_notes never leave staff.
    public_reason: Mapped[str] = mapped_column(Text)
    internal_notes: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    opened_by: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(32), default=STATE_IDENTIFIED)
    state_entered_on: Mapped[date]
    # Due date of the current stage from config/review_timeline.toml; None once closed.
    due_on: Mapped[date | None]
    decision: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date | None]
    opened_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    dataset: Mapped[Dataset] = relationship(lazy="joined", innerjoin=True)
    requesting_agency: Mapped[Agency | None] = relationship(lazy="joined")
    reviewer: Mapped[User | None] = relationship(lazy="joined")
    authorities: Mapped[list[LegalAuthority]] = relationship(
        secondary=review_authority, lazy="selectin", order_by="LegalAuthority.code"
    )
    transitions: Mapped[list[ReviewTransition]] = relationship(
        back_populates="review",
        cascade="all, delete-orphan",
        order_by="ReviewTransition.id",
        lazy="selectin",
    )
    comments: Mapped[list[ReviewComment]] = relationship(
        back_populates="review",
        cascade="all, delete-orphan",
        order_by="ReviewComment.id",
        lazy="select",
    )
    agreements: Mapped[list[DataSharingAgreement]] = relationship(
        secondary=agreement_review, back_populates="reviews", lazy="selectin"
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on is not None and today > self.due_on

    def __repr__(self) -> str:
        return f"<SharingReview {self.id} {self.state}>"


class ReviewTransition(Base):
    """One move of a review from a state to another, with the reason. Never changed."""

    __tablename__ = "review_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_review.id", ondelete="CASCADE"), index=True
    )
    # None for the opening of the review.
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(255))
    on_date: Mapped[date]
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)

    review: Mapped[SharingReview] = relationship(back_populates="transitions")


class ReviewComment(Base):
    """Internal discussion on a review; never shown to the public."""

    __tablename__ = "review_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(
        ForeignKey("sharing_review.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    author_label: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    review: Mapped[SharingReview] = relationship(back_populates="comments")


class DataSharingAgreement(Base):
    """A data-sharing agreement between agencies, checked against the CGS § 4-67aa clauses."""

    __tablename__ = "sharing_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    purpose: Mapped[str] = mapped_column(Text)
    effective_on: Mapped[date]
    expires_on: Mapped[date | None] = mapped_column(index=True)
    # {clause code: true/false} for the clauses in config/authorities.toml.
    clauses: Mapped[dict[str, Any]] = mapped_column(default=dict)
    document_url: Mapped[str | None] = mapped_column(String(1024))
    internal_notes: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)
    # The last renewal: the day it was renewed (the new expiry is ``expires_on``).
    renewed_on: Mapped[date | None]

    parties: Mapped[list[Agency]] = relationship(
        secondary=agreement_party, lazy="selectin", order_by="Agency.code"
    )
    datasets: Mapped[list[Dataset]] = relationship(secondary=agreement_dataset, lazy="selectin")
    reviews: Mapped[list[SharingReview]] = relationship(
        secondary=agreement_review, back_populates="agreements", lazy="selectin"
    )

    def in_effect(self, today: date) -> bool:
        return self.effective_on <= today and (self.expires_on is None or today <= self.expires_on)

    def expiring_within(self, today: date, days: int) -> bool:
        """True while in effect and the expiry date is ``days`` days away or fewer."""
        if self.expires_on is None or not self.in_effect(today):
            return False
        return (self.expires_on - today).days <= days

    def __repr__(self) -> str:
        return f"<DataSharingAgreement {self.id} {self.title!r}>"
