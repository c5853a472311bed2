"""Any sequence of requested moves keeps the review, its history, the audit trail and the
dataset's review status consistent (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from catalog.db import db
from catalog.errors import Conflict
from catalog.models import AuditEvent, Dataset, ReviewTransition, SharingReview
from catalog.models.review import CLOSED_STATES, REVIEW_STATES, TRANSITIONS
from catalog.services import reviews as review_service


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(moves=st.lists(st.sampled_from(REVIEW_STATES), max_size=8))
def test_random_moves_keep_everything_consistent(app, open_review, people, moves):
    review = open_review()
    day = date(2026, 3, 2)
    accepted = 0
    with app.app_context():
        actor = db.session.merge(people["counsel"])
        for target in moves:
            day += timedelta(days=3)
            current = db.session.get(SharingReview, review.id).state
            try:
                review_service.transition_review(
                    db.session, review.id, target, "Step.", actor, today=day
                )
            except Conflict as exc:
                db.session.rollback()
                assert target not in TRANSITIONS[current]
                assert exc.errors["allowed"] == list(TRANSITIONS[current])
            else:
                db.session.commit()
                assert target in TRANSITIONS[current]
                accepted += 1
        final = db.session.get(SharingReview, review.id)
        assert (final.due_on is None) == (final.state in CLOSED_STATES)
        assert (final.decided_on is not None) == (final.state in CLOSED_STATES)
        steps = db.session.scalar(
            select(func.count()).where(ReviewTransition.review_id == review.id)
        )
        audited = db.session.scalar(
            select(func.count()).where(
                AuditEvent.entity_id == str(review.id), AuditEvent.action == "review.transition"
            )
        )
        assert steps == accepted + 1 and audited == accepted
        dataset = db.session.get(Dataset, final.dataset_id)
        others = db.session.scalars(
            select(SharingReview).where(SharingReview.dataset_id == dataset.id)
        ).all()
        assert dataset.review_status == review_service.dataset_review_status(others)
