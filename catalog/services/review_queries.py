"""Finding sharing reviews: the filters of the review queue, the query behind it, and lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, String, cast, func, select
from sqlalchemy.orm import Session, defaultload

from catalog.errors import ServiceError
from catalog.models import Agency, Dataset, LegalAuthority, SharingReview
from catalog.models.review import CLOSED_STATES, OBSTACLE_KINDS, OPEN_STATES, REVIEW_STATES
from catalog.services.reviews import today_or_clock


@dataclass(frozen=True)
class ReviewFilters:
    state: str | None = None
    agency: str | None = None  # the agency holding the dataset
    requesting_agency: str | None = None
    authority: str | None = None
    obstacle: str | None = None
    dataset_id: str | None = None
    reviewer_id: int | None = None
    overdue: bool = False
    open_only: bool = False


def validate_filters(args: dict[str, Any]) -> ReviewFilters:
    """Build filters from query-string values; bad values are field errors (400)."""
    errors: dict[str, list] = {}
    state = (args.get("state") or "").strip() or None
    if state and state not in (*REVIEW_STATES, "open", "closed"):
        errors["state"] = [f"One of: {', '.join((*REVIEW_STATES, 'open', 'closed'))}."]
    obstacle = (args.get("obstacle") or "").strip() or None
    if obstacle and obstacle not in OBSTACLE_KINDS:
        errors["obstacle"] = [f"One of: {', '.join(OBSTACLE_KINDS)}."]
    overdue = str(args.get("overdue") or "").lower() in ("1", "true", "yes", "on")
    if errors:
        raise ServiceError("Bad query parameters.", errors)
    return ReviewFilters(
        state=state,
        agency=(args.get("agency") or "").strip().upper() or None,
        requesting_agency=(args.get("requesting_agency") or "").strip().upper() or None,
        authority=(args.get("authority") or "").strip().upper() or None,
        obstacle=obstacle,
        dataset_id=(args.get("dataset") or "").strip() or None,
        overdue=overdue,
    )


def light_review_options() -> tuple:
    """Loader options for lists of reviews: skip the datasets' distributions."""
    return (defaultload(SharingReview.dataset).lazyload(Dataset.distributions),)


def review_query(filters: ReviewFilters, today: date | None = None) -> Select:
    """A SELECT of reviews matching the filters, most urgent first (due date, then id)."""
    query = select(SharingReview).join(SharingReview.dataset).options(*light_review_options())
    if filters.state == "open":
        query = query.where(SharingReview.state.in_(OPEN_STATES))
    elif filters.state == "closed":
        query = query.where(SharingReview.state.in_(CLOSED_STATES))
    elif filters.state:
        query = query.where(SharingReview.state == filters.state)
    if filters.agency:
        query = query.join(Agency, Dataset.agency_id == Agency.id).where(
            Agency.code == filters.agency
        )
    if filters.requesting_agency:
        requesting = select(Agency.id).where(Agency.code == filters.requesting_agency)
        query = query.where(SharingReview.requesting_agency_id.in_(requesting.scalar_subquery()))
    if filters.authority:
        query = query.where(SharingReview.authorities.any(LegalAuthority.code == filters.authority))
    if filters.obstacle:
        # A fixed vocabulary of plain words, so matching the quoted word in the JSON text is
        # exact on SQLite (JSON text) and PostgreSQL (jsonb cast to text) alike.
        query = query.where(
            cast(SharingReview.obstacle_kinds, String).like(f'%"{filters.obstacle}"%')
        )
    if filters.dataset_id:
        query = query.where(SharingReview.dataset_id == filters.dataset_id)
    if filters.reviewer_id:
        query = query.where(SharingReview.reviewer_id == filters.reviewer_id)
    if filters.open_only:
        query = query.where(SharingReview.state.in_(OPEN_STATES))
    if filters.overdue:
        query = query.where(
            SharingReview.state.in_(OPEN_STATES), SharingReview.due_on < today_or_clock(today)
        )
    # Open reviews by due date first, then closed ones by most recent decision.
    return query.order_by(
        SharingReview.due_on.is_(None), SharingReview.due_on, SharingReview.decided_on.desc(),
        SharingReview.id,
    )  # fmt: skip


def list_reviews(
    session: Session,
    filters: ReviewFilters,
    *,
    page: int = 1,
    per_page: int = 50,
    today: date | None = None,
) -> tuple[int, list[SharingReview]]:
    query = review_query(filters, today)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return total or 0, list(rows)


def reviews_for_dataset(session: Session, dataset_id: str) -> list[SharingReview]:
    return list(
        session.scalars(
            select(SharingReview)
            .where(SharingReview.dataset_id == dataset_id)
            .order_by(SharingReview.opened_on.desc(), SharingReview.id.desc())
        )
    )


def list_authorities(session: Session) -> list[LegalAuthority]:
    return list(session.scalars(select(LegalAuthority).order_by(LegalAuthority.code)))
