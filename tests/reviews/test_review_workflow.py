"""The review state machine as counsel and the CDO use it: who may move a review, due dates,
overdue flags, the audit trail and the dataset's review status."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from catalog.db import db
from catalog.errors import Conflict, InvalidInput, PermissionDenied
from catalog.models import AuditEvent, Dataset, ReviewTransition, SharingReview
from catalog.services import review_queries
from catalog.services import reviews as review_service
from catalog.services.review_queries import ReviewFilters


def _move(app, review_id, to, actor, reason="Because.", **kwargs):
    with app.app_context():
        review = review_service.transition_review(
            db.session, review_id, to, reason, db.session.merge(actor), **kwargs
        )
        db.session.commit()
        return review


def test_due_dates_follow_the_timeline_and_overdue_flags_with_a_frozen_clock(
    app, open_review, people, clock
):
    clock(date(2026, 1, 5))
    review = open_review()
    assert review.state == "identified"
    assert review.due_on == date(2026, 2, 4)  # 30 days for "identified"

    with app.app_context():

        def overdue_ids(day):
            clock(day)
            _, rows = review_queries.list_reviews(db.session, ReviewFilters(overdue=True))
            return [r.id for r in rows]

        assert overdue_ids(date(2026, 2, 4)) == []
        assert overdue_ids(date(2026, 2, 5)) == [review.id]
        assert db.session.get(SharingReview, review.id).is_overdue(date(2026, 2, 5))

    clock(date(2026, 2, 10))
    moved = _move(app, review.id, "in_review", people["counsel"], "Counsel has started.")
    assert moved.state_entered_on == date(2026, 2, 10)
    assert moved.due_on == date(2026, 5, 11)  # 90 days for "in_review"
    assert not moved.is_overdue(date(2026, 5, 11))
    assert moved.is_overdue(date(2026, 5, 12))

    clock(date(2026, 6, 1))
    closed = _move(app, review.id, "restricted", people["counsel"], "No exception applies.")
    assert closed.due_on is None and not closed.is_overdue(date(2027, 1, 1))
    assert closed.decision == "No exception applies." and closed.decided_on == date(2026, 6, 1)


def test_queue_page_flags_overdue_reviews(app, client, open_review, clock):
    from tests.reviews.conftest import login

    clock(date(2026, 1, 5))
    review = open_review()
    clock(date(2026, 2, 20))
    login(client, "cdo@ct.gov")
    page = client.get("/reviews?overdue=1").get_data(as_text=True)
    assert f'href="/reviews/{review.id}"' in page
    assert "overdue 16 d" in page
    clock(date(2026, 1, 6))
    assert f'href="/reviews/{review.id}"' not in client.get("/reviews?overdue=1").get_data(
        as_text=True
    )


def test_steward_can_open_and_comment_but_not_resolve(app, open_review, people):
    review = open_review(actor=people["steward"], reviewer_email=None)
    with app.app_context():
        comment = review_service.comment_on_review(
            db.session, review.id, "We hold a BAA template.", db.session.merge(people["steward"])
        )
        db.session.commit()
        assert comment.id
        with pytest.raises(PermissionDenied):
            review_service.transition_review(
                db.session, review.id, "in_review", "Start", db.session.merge(people["steward"])
            )
        db.session.rollback()
        assert db.session.get(SharingReview, review.id).state == "identified"


def test_only_stewards_of_the_holding_agency_or_the_cdo_open_reviews(app, open_review, people):
    with pytest.raises(PermissionDenied):
        open_review(actor=people["dss"], reviewer_email=None)


def test_steward_cannot_assign_a_reviewer_when_opening(app, open_review, people):
    with pytest.raises(InvalidInput) as info:
        open_review(actor=people["steward"])
    assert "reviewer" in info.value.errors


def test_reason_is_required_on_every_transition(app, open_review, people):
    review = open_review()
    with pytest.raises(InvalidInput) as info:
        _move(app, review.id, "in_review", people["counsel"], reason="   ")
    assert "reason" in info.value.errors


def test_invalid_transition_names_the_allowed_ones(app, open_review, people):
    review = open_review()
    with pytest.raises(Conflict) as info:
        _move(app, review.id, "resolved_agreement", people["cdo"])
    assert info.value.errors["allowed"] == ["in_review", "restricted"]


def test_every_transition_is_audited(app, open_review, people):
    review = open_review()
    _move(app, review.id, "in_review", people["counsel"], "Started.")
    _move(app, review.id, "resolved_deidentified", people["counsel"], "Safe harbor method.")
    _move(app, review.id, "in_review", people["cdo"], "Reopened: new fields requested.")
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "sharing_review")
            .where(AuditEvent.entity_id == str(review.id))
            .order_by(AuditEvent.id)
        ).all()
        moves = [e for e in events if e.action == "review.transition"]
        transitions = db.session.scalar(
            select(func.count()).where(ReviewTransition.review_id == review.id)
        )
    assert events[0].action == "review.open"
    assert transitions == 1 + len(moves) == 4
    assert [(e.before["state"], e.after["state"]) for e in moves] == [
        ("identified", "in_review"),
        ("in_review", "resolved_deidentified"),
        ("resolved_deidentified", "in_review"),
    ]
    assert [e.actor_label for e in moves] == [
        "counsel@opm.ct.gov", "counsel@opm.ct.gov", "cdo@ct.gov",
    ]  # fmt: skip
    assert moves[1].after["reason"] == "Safe harbor method."


def test_dataset_review_status_follows_reviews_without_touching_its_version(
    app, open_review, people, restricted_dataset
):
    with app.app_context():
        assert db.session.get(Dataset, restricted_dataset.id).review_status is None
    review = open_review()
    with app.app_context():
        dataset = db.session.get(Dataset, restricted_dataset.id)
        assert dataset.review_status == "identified"
        assert dataset.version == restricted_dataset.version
        assert dataset.updated_at == restricted_dataset.updated_at
    _move(app, review.id, "in_review", people["counsel"])
    _move(app, review.id, "resolved_agreement", people["counsel"])
    with app.app_context():
        assert db.session.get(Dataset, restricted_dataset.id).review_status == "resolved_agreement"
    # A second, open review takes precedence: the dataset has an open question again.
    open_review(requesting_agency_code="DOT")
    with app.app_context():
        assert db.session.get(Dataset, restricted_dataset.id).review_status == "identified"
        assert db.session.get(Dataset, restricted_dataset.id).version == restricted_dataset.version


def test_review_status_change_notifies_listeners(app, open_review):
    from catalog import events

    seen = []

    def listener(sender, ids):
        seen.append((sender, ids))

    events.datasets_changed.connect(listener)
    try:
        review = open_review()
    finally:
        events.datasets_changed.disconnect(listener)
    assert ("reviews", [review.dataset_id]) in seen


def test_filters_by_state_agency_and_authority(app, open_review, people, make_dataset):
    other = make_dataset(
        title="Student enrollment records", agency="SDE", accessLevel="non-public",
        rights="Student records.",
    )  # fmt: skip
    hipaa = open_review()
    ferpa = open_review(
        dataset_id=other.id, authority_codes=["FERPA"], requesting_agency_code="DSS"
    )
    open_review(
        dataset_id=other.id, obstacle_kinds=["technical"], requesting_agency_code="OPM",
        authority_codes=[],
    )  # fmt: skip
    _move(app, ferpa.id, "in_review", people["counsel"])
    with app.app_context():

        def ids(**kw):
            return {r.id for r in review_queries.list_reviews(db.session, ReviewFilters(**kw))[1]}

        assert ids(authority="HIPAA") == {hipaa.id}
        assert ids(authority="FERPA") == {ferpa.id}
        assert ids(state="in_review") == {ferpa.id}
        assert len(ids(state="open")) == 3
        assert len(ids(agency="SDE")) == 2
        assert ids(requesting_agency="DSS") == {hipaa.id, ferpa.id}
        assert ids(obstacle="privacy") == {hipaa.id, ferpa.id}
        assert ids(obstacle="security") == set()
