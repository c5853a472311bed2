"""Notices for the people who must act: failed harvests, overdue sharing reviews, agreements
about to expire. Each goes to the responsible agency's stewards and the CDO, in the catalog
(``/notices``) and by e-mail (``catalog.services.mail``).

A notice has a ``key`` naming what it is about and when ("review_overdue:12:2026-W48"), unique
per person: the jobs that write them may run twice (delivery is at least once) and still notify
once. Overdue reviews are repeated weekly while they stay overdue; an expiring agreement once
per expiry date; a failed harvest once per job.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalog.errors import NotFound
from catalog.models import Agency, HarvestJob, Notice, User
from catalog.models._common import utcnow
from catalog.models.review import OPEN_STATES, DataSharingAgreement, SharingReview
from catalog.services.agreements import is_expiring


def responsible_users(session: Session, agency_codes: Iterable[str | None]) -> list[User]:
    """Active stewards of the given agencies, and the CDO (every active CDO account)."""
    codes = {code for code in agency_codes if code}
    query = select(User).where(User.active.is_(True))
    stewards = (
        User.agencies.any(Agency.code.in_(codes)) & (User.role == "steward")
        if codes
        else User.id.is_(None)
    )
    return list(session.scalars(query.where(stewards | (User.role == "cdo")).order_by(User.id)))


def notify(
    session: Session,
    users: Iterable[User],
    *,
    kind: str,
    key: str,
    subject: str,
    body: str,
    link: str | None = None,
) -> int:
    """Leave the notice for each of ``users`` who does not have it yet. Returns how many new."""
    users = list(users)
    if not users:
        return 0
    have = set(
        session.scalars(
            select(Notice.user_id).where(
                Notice.key == key, Notice.user_id.in_([u.id for u in users])
            )
        )
    )
    added = 0
    for user in users:
        if user.id in have:
            continue
        notice = Notice(
            user_id=user.id, kind=kind, key=key, subject=subject[:255], body=body, link=link
        )
        try:
            with session.begin_nested():  # another worker may write the same notice now
                session.add(notice)
                session.flush()
        except IntegrityError:
            continue
        added += 1
    return added


def notify_harvest_failed(session: Session, job: HarvestJob) -> int:
    source = job.source
    return notify(
        session,
        responsible_users(session, [source.agency_code]),
        kind="harvest_failed",
        key=f"harvest_failed:{job.id}",
        subject=f"Harvest of {source.name} failed",
        body=(
            f"Job #{job.id} of harvest source {source.name} ({source.kind}, {source.url}) "
            f"failed: {job.error or 'see the job page'}. Nothing was withdrawn."
        ),
        link=f"/harvest/jobs/{job.id}",
    )


def notify_overdue_reviews(session: Session, today: date) -> int:
    """A weekly reminder for each open review past its due date."""
    week = "{}-W{:02d}".format(*today.isocalendar()[:2])
    added = 0
    reviews = session.scalars(
        select(SharingReview).where(
            SharingReview.state.in_(OPEN_STATES), SharingReview.due_on < today
        )
    )
    for review in reviews:
        days = (today - review.due_on).days
        users = responsible_users(session, [review.dataset.agency.code])
        if review.reviewer is not None and review.reviewer.active:
            users = [*users, *([review.reviewer] if review.reviewer not in users else [])]
        added += notify(
            session,
            users,
            kind="review_overdue",
            key=f"review_overdue:{review.id}:{week}",
            subject=f"Sharing review #{review.id} is {days} day(s) overdue",
            body=(
                f"The review of {review.dataset.title} ({review.dataset.agency.code}) is "
                f"{review.state_label.lower()} and was due on {review.due_on}."
            ),
            link=f"/reviews/{review.id}",
        )
    return added


def notify_expiring_agreements(session: Session, today: date) -> int:
    """Once per agreement and expiry date, when it enters the warning window."""
    added = 0
    for agreement in session.scalars(
        select(DataSharingAgreement).where(DataSharingAgreement.expires_on.is_not(None))
    ):
        if not is_expiring(agreement, today):
            continue
        parties = [agency.code for agency in agreement.parties]
        added += notify(
            session,
            responsible_users(session, parties),
            kind="agreement_expiring",
            key=f"agreement_expiring:{agreement.id}:{agreement.expires_on}",
            subject=f"Agreement {agreement.title[:150]} expires on {agreement.expires_on}",
            body=(
                f"The data-sharing agreement between {', '.join(parties)} "
                f"({agreement.title}) expires on {agreement.expires_on}: renew it or close "
                "the reviews that rely on it."
            ),
            link="/reviews/agreements",
        )
    return added


def list_notices(session: Session, user: User, *, limit: int = 100) -> list[Notice]:
    return list(
        session.scalars(
            select(Notice)
            .where(Notice.user_id == user.id)
            .order_by(Notice.read_at.is_not(None), Notice.id.desc())
            .limit(limit)
        )
    )


def unread_count(session: Session, user: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Notice)
            .where(Notice.user_id == user.id, Notice.read_at.is_(None))
        )
        or 0
    )


def mark_read(session: Session, user: User, notice_id: int | None = None) -> int:
    """Mark one of the user's notices (or all of them) read. Returns how many changed."""
    query = update(Notice).where(Notice.user_id == user.id, Notice.read_at.is_(None))
    if notice_id is not None:
        if (
            session.scalar(
                select(Notice.id).where(Notice.id == notice_id, Notice.user_id == user.id)
            )
            is None
        ):
            raise NotFound(f"No notice {notice_id}.")
        query = query.where(Notice.id == notice_id)
    return session.execute(query.values(read_at=utcnow())).rowcount
