"""Sharing-obstacle reviews: open, assign, comment, move through the state machine, list.

Who may do what:
- open a review: stewards of the dataset's agency, the CDO and admins;
- comment: anyone who may see the review's internal side (``can_see_review_internals``);
- move a review (``transition_review``): only its assigned reviewer, the CDO and admins;
- assign the reviewer: the CDO and admins.

Every change is an audit event. ``Dataset.review_status`` follows the dataset's reviews (see
``sync_review_status``). Dates come from ``clock()``, which tests replace to freeze time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from catalog import events
from catalog.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from catalog.models import Agency, Dataset, LegalAuthority, SharingReview, User
from catalog.models.review import (
    CLOSED_STATES,
    OBSTACLE_KINDS,
    OPEN_STATES,
    REVIEW_STATES,
    STATE_IDENTIFIED,
    STATE_IN_REVIEW,
    STATE_RESOLVED_AGREEMENT,
    TRANSITIONS,
    DataSharingAgreement,
    ReviewComment,
    ReviewTransition,
)
from catalog.permissions import can_edit_agency
from catalog.services.audit import record_event
from catalog.services.review_config import get_timeline


def _system_today() -> date:
    return datetime.now(UTC).date()


# Replace in tests (monkeypatch.setattr(reviews, "clock", lambda: date(...))) to freeze time.
clock = _system_today


def today_or_clock(today: date | None) -> date:
    return today if today is not None else clock()


# ----------------------------------------------------------------------------------------------
# Permissions


def can_open_review(user: User | None, dataset: Dataset) -> bool:
    return can_edit_agency(user, dataset.agency_id)


def can_move_review(user: User | None, review: SharingReview) -> bool:
    """Only the assigned reviewer, the CDO and admins move a review forward."""
    if user is None or not user.is_active:
        return False
    return user.is_cdo_or_admin or (
        review.reviewer_id is not None and review.reviewer_id == user.id
    )


def can_see_review_internals(user: User | None, review: SharingReview) -> bool:
    """Internal notes, comments and reasons: both agencies' stewards, the reviewer, the CDO."""
    if user is None or not user.is_active:
        return False
    if can_move_review(user, review) or can_edit_agency(user, review.dataset.agency_id):
        return True
    return review.requesting_agency_id is not None and can_edit_agency(
        user, review.requesting_agency_id
    )


# ----------------------------------------------------------------------------------------------
# Writes


def open_review(
    session: Session,
    dataset_id: str,
    actor: User,
    *,
    purpose: str,
    public_reason: str,
    obstacle_kinds: Iterable[str],
    authority_codes: Iterable[str] = (),
    requesting_agency_code: str | None = None,
    internal_notes: str | None = None,
    reviewer_email: str | None = None,
    today: date | None = None,
    access_request: bool = False,
) -> SharingReview:
    """Record an obstacle to sharing a dataset; the review starts in ``identified``.

    ``access_request``: a steward of the requesting agency asks for the dataset (see
    ``catalog.services.access_requests``); the review is the owning agency's to work through.
    """
    dataset = session.get(Dataset, dataset_id)
    if dataset is None:
        raise NotFound(f"No dataset with id {dataset_id!r}.")
    if access_request:
        asking = session.scalar(
            select(Agency).where(Agency.code == (requesting_agency_code or "").strip().upper())
        )
        if asking is None or not can_edit_agency(actor, asking.id):
            raise PermissionDenied(
                "Ask for access on behalf of an agency you are a steward of.",
                {"requesting_agency": ["You are not a steward of this agency."]},
            )
    elif not can_open_review(actor, dataset):
        raise PermissionDenied(
            f"Only stewards of {dataset.agency.code} and the CDO open reviews of this dataset.",
            {"dataset": [f"You are not a steward of {dataset.agency.code}."]},
        )
    errors: dict[str, list] = {}
    purpose = (purpose or "").strip()
    public_reason = (public_reason or "").strip()
    if not purpose:
        errors["purpose"] = ["Say who wants the data and what for."]
    if not public_reason:
        errors["public_reason"] = ["Say in plain words, for the public, why it is not open."]
    kinds = _obstacle_kinds(obstacle_kinds, errors)
    authorities = _authorities(session, authority_codes, errors)
    requesting = None
    if requesting_agency_code:
        requesting = session.scalar(
            select(Agency).where(Agency.code == requesting_agency_code.strip().upper())
        )
        if requesting is None:
            errors["requesting_agency"] = [f"Unknown agency code {requesting_agency_code!r}."]
        elif requesting.id == dataset.agency_id:
            errors["requesting_agency"] = ["The requesting agency already holds the dataset."]
    reviewer = None
    if reviewer_email:
        if not actor.is_cdo_or_admin:
            errors["reviewer"] = ["Only the CDO assigns reviewers."]
        else:
            reviewer = _find_reviewer(session, reviewer_email, errors)
    if errors:
        raise InvalidInput(errors)
    day = today_or_clock(today)
    review = SharingReview(
        dataset=dataset,
        requesting_agency=requesting,
        purpose=purpose,
        public_reason=public_reason,
        obstacle_kinds=kinds,
        internal_notes=(internal_notes or "").strip() or None,
        reviewer=reviewer,
        opened_by=actor.email,
        state=STATE_IDENTIFIED,
        state_entered_on=day,
        due_on=_due(STATE_IDENTIFIED, day),
        opened_on=day,
        authorities=authorities,
    )
    session.add(review)
    session.flush()
    reason = f"Opened: {purpose}"
    review.transitions.append(_transition_row(review, None, STATE_IDENTIFIED, reason, actor, day))
    record_event(session, actor, "review.open", "sharing_review", review.id, None, snapshot(review))
    session.flush()
    sync_review_status(session, [dataset.id])
    return review


def assign_reviewer(
    session: Session, review_id: int, reviewer_email: str | None, actor: User
) -> SharingReview:
    """The CDO names (or clears) the person who moves the review forward."""
    review = get_review(session, review_id)
    if actor is None or not actor.is_cdo_or_admin:
        raise PermissionDenied("Only the CDO assigns reviewers.")
    errors: dict[str, list] = {}
    reviewer = _find_reviewer(session, reviewer_email, errors) if reviewer_email else None
    if errors:
        raise InvalidInput(errors)
    before = {"reviewer": review.reviewer.email if review.reviewer else None}
    review.reviewer = reviewer
    session.flush()
    after = {"reviewer": reviewer.email if reviewer else None}
    record_event(session, actor, "review.assign", "sharing_review", review.id, before, after)
    return review


def comment_on_review(session: Session, review_id: int, body: str, actor: User) -> ReviewComment:
    """Add an internal comment (never shown to the public)."""
    review = get_review(session, review_id)
    if not can_see_review_internals(actor, review):
        raise PermissionDenied("Only the agencies' stewards, the reviewer and the CDO comment.")
    body = (body or "").strip()
    if not body:
        raise InvalidInput({"body": ["Write a comment."]})
    comment = ReviewComment(review=review, author_id=actor.id, author_label=actor.email, body=body)
    session.add(comment)
    session.flush()
    record_event(
        session, actor, "review.comment", "sharing_review", review.id, None,
        {"comment_id": comment.id, "body": body},
    )  # fmt: skip
    return comment


def allowed_transitions(review: SharingReview) -> tuple[str, ...]:
    return TRANSITIONS.get(review.state, ())


def transition_review(
    session: Session,
    review_id: int,
    to_state: str,
    reason: str,
    actor: User,
    *,
    decision: str | None = None,
    agreement_id: int | None = None,
    today: date | None = None,
) -> SharingReview:
    """Move a review along the state machine; the reason is required and kept in the history.

    Closing a review records the decision (``decision``, else the reason) and the date; closing
    it by agreement may link the agreement that resolves it. A move the state machine does not
    allow raises ``Conflict`` (409) naming the allowed states.
    """
    review = get_review(session, review_id)
    if not can_move_review(actor, review):
        raise PermissionDenied(
            "Only the assigned reviewer and the CDO move a review; stewards open and comment.",
            {"to": ["You may comment on this review but not move it."]},
        )
    if to_state not in REVIEW_STATES:
        raise InvalidInput(
            {"to": [f"Unknown state {to_state!r}; one of {', '.join(REVIEW_STATES)}."]}
        )
    allowed = allowed_transitions(review)
    if to_state not in allowed:
        raise Conflict(
            f"A review that is {review.state} cannot move to {to_state}; "
            f"allowed: {', '.join(allowed)}.",
            {
                "to": [
                    f"Cannot move from {review.state} to {to_state}. Allowed: {', '.join(allowed)}."
                ],
                "allowed": list(allowed),
            },
        )
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput({"reason": ["Give the reason for this step."]})
    agreement = None
    if agreement_id is not None:
        if to_state != STATE_RESOLVED_AGREEMENT:
            raise InvalidInput({"agreement_id": ["Only a resolution by agreement links one."]})
        agreement = session.get(DataSharingAgreement, agreement_id)
        if agreement is None:
            raise InvalidInput({"agreement_id": [f"No agreement with id {agreement_id}."]})
    day = today_or_clock(today)
    before = snapshot(review)
    from_state = review.state
    review.state = to_state
    review.state_entered_on = day
    review.due_on = _due(to_state, day)
    if to_state in CLOSED_STATES:
        review.decision = (decision or "").strip() or reason
        review.decided_on = day
    else:
        review.decision = None
        review.decided_on = None
    if agreement is not None and agreement not in review.agreements:
        review.agreements.append(agreement)
    review.transitions.append(_transition_row(review, from_state, to_state, reason, actor, day))
    session.flush()
    after = snapshot(review) | {"reason": reason}
    record_event(session, actor, "review.transition", "sharing_review", review.id, before, after)
    sync_review_status(session, [review.dataset_id])
    return review


# ----------------------------------------------------------------------------------------------
# Dataset.review_status

# When a dataset has several reviews, the one that says most about it wins: an open question
# first (identified before in review), then the most recent decision.
_STATUS_PRECEDENCE = {STATE_IDENTIFIED: 0, STATE_IN_REVIEW: 1}


def dataset_review_status(reviews: Iterable[SharingReview]) -> str | None:
    """The value ``Dataset.review_status`` takes for these reviews (None when there are none)."""
    reviews = list(reviews)
    if not reviews:
        return None
    open_reviews = [r for r in reviews if r.state in OPEN_STATES]
    if open_reviews:
        return min(open_reviews, key=lambda r: _STATUS_PRECEDENCE[r.state]).state
    latest = max(reviews, key=lambda r: (r.decided_on or date.min, r.id))
    return latest.state


def sync_review_status(session: Session, dataset_ids: Iterable[str]) -> None:
    """Write each dataset's review status with a Core UPDATE (version and updated_at untouched)."""
    ids = sorted(set(dataset_ids))
    if not ids:
        return
    rows = session.scalars(select(SharingReview).where(SharingReview.dataset_id.in_(ids))).all()
    by_dataset: dict[str, list[SharingReview]] = {dataset_id: [] for dataset_id in ids}
    for review in rows:
        by_dataset[review.dataset_id].append(review)
    changed = []
    for dataset_id, reviews in by_dataset.items():
        status = dataset_review_status(reviews)
        result = session.execute(
            update(Dataset)
            .where(Dataset.id == dataset_id)
            .where(Dataset.review_status.is_distinct_from(status))
            .values(review_status=status, updated_at=Dataset.updated_at)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            changed.append(dataset_id)
    for dataset in session.identity_map.values():
        if isinstance(dataset, Dataset) and dataset.id in by_dataset:
            session.expire(dataset, ["review_status"])
    if changed:
        events.datasets_changed.send("reviews", ids=changed)


# ----------------------------------------------------------------------------------------------
# Reads


def get_review(session: Session, review_id: int | str) -> SharingReview:
    try:
        key = int(review_id)
    except (TypeError, ValueError):
        key = None
    review = session.get(SharingReview, key) if key is not None else None
    if review is None:
        raise NotFound(f"No review with id {review_id!r}.")
    return review


def snapshot(review: SharingReview) -> dict[str, Any]:
    """The audited fields of a review."""
    return {
        "dataset": review.dataset_id,
        "state": review.state,
        "requesting_agency": review.requesting_agency.code if review.requesting_agency else None,
        "purpose": review.purpose,
        "obstacle_kinds": list(review.obstacle_kinds or []),
        "authorities": [a.code for a in review.authorities],
        "reviewer": review.reviewer.email if review.reviewer else None,
        "due_on": review.due_on,
        "decision": review.decision,
        "decided_on": review.decided_on,
    }


# ----------------------------------------------------------------------------------------------
# Helpers


def _due(state: str, day: date) -> date | None:
    days = get_timeline().days_for(state)
    return day + timedelta(days=days) if days is not None else None


def _transition_row(
    review: SharingReview,
    from_state: str | None,
    to_state: str,
    reason: str,
    actor: User,
    day: date,
) -> ReviewTransition:
    return ReviewTransition(
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        actor_id=actor.id,
        actor_label=actor.email,
        on_date=day,
    )


def _obstacle_kinds(values: Iterable[str], errors: dict[str, list]) -> list[str]:
    kinds = [str(v).strip().lower() for v in values or () if str(v).strip()]
    unknown = sorted(set(kinds) - set(OBSTACLE_KINDS))
    if unknown:
        errors["obstacle_kinds"] = [
            f"Unknown: {', '.join(unknown)}; one of {', '.join(OBSTACLE_KINDS)}."
        ]
    elif not kinds:
        errors["obstacle_kinds"] = [f"Choose at least one of {', '.join(OBSTACLE_KINDS)}."]
    return [k for k in OBSTACLE_KINDS if k in kinds]


def _authorities(
    session: Session, codes: Iterable[str], errors: dict[str, list]
) -> list[LegalAuthority]:
    wanted = {str(c).strip().upper() for c in codes or () if str(c).strip()}
    if not wanted:
        return []
    found = list(
        session.scalars(select(LegalAuthority).where(LegalAuthority.code.in_(sorted(wanted))))
    )
    missing = wanted - {a.code for a in found}
    if missing:
        errors["authorities"] = [f"Unknown authority codes: {', '.join(sorted(missing))}."]
    return found


def _find_reviewer(session: Session, email: str, errors: dict[str, list]) -> User | None:
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active:
        errors["reviewer"] = [f"No active account {email!r}."]
        return None
    return user
