"""The plan's timeline for reviewing obstacles to sharing data (CGS § 4-67p(c)(4)) and how
reviews are doing against it, in aggregate: counts and days only, nothing about any dataset."""

from __future__ import annotations

import statistics
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import SharingReview
from catalog.models.review import CLOSED_STATES, OPEN_STATES, STATE_LABELS, ReviewTransition
from catalog.services.review_config import get_timeline
from catalog.services.review_insights import stage_durations
from catalog.services.reviews import today_or_clock


def review_timeline(session: Session, today: date | None = None) -> dict[str, Any]:
    """The steps with their allowed days, and per step: open now, overdue now, finished, the
    median days reviews took and how many took longer than allowed; then the outcomes."""
    day = today_or_clock(today)
    open_now = dict(
        session.execute(
            select(SharingReview.state, func.count())
            .where(SharingReview.state.in_(OPEN_STATES))
            .group_by(SharingReview.state)
        ).all()
    )
    overdue_now = dict(
        session.execute(
            select(SharingReview.state, func.count())
            .where(SharingReview.state.in_(OPEN_STATES), SharingReview.due_on < day)
            .group_by(SharingReview.state)
        ).all()
    )
    durations = {row["state"]: row for row in stage_durations(session)}
    timeline = get_timeline()
    offset = 0
    steps = []
    for state, stage in timeline.stages.items():
        offset += stage.days
        spent = durations.get(state, {})
        steps.append(
            {
                "state": state,
                "label": stage.label,
                "description": stage.description,
                "days": stage.days,
                "due_by_day": offset,
                "open": open_now.get(state, 0),
                "overdue": overdue_now.get(state, 0),
                "completed": spent.get("completed", 0),
                "median_days": spent.get("median_days"),
                "over_allowance": spent.get("over_allowance", 0),
            }
        )
    outcomes = dict(
        session.execute(
            select(SharingReview.state, func.count())
            .where(SharingReview.state.in_(CLOSED_STATES))
            .group_by(SharingReview.state)
        ).all()
    )
    return {
        "as_of": day,
        "steps": steps,
        "total_days": offset,
        "outcomes": [
            {"state": s, "label": STATE_LABELS[s], "count": outcomes.get(s, 0)}
            for s in CLOSED_STATES
        ],
        "open": sum(open_now.values()),
        "overdue": sum(overdue_now.values()),
        "median_days_to_decision": _median_days_to_decision(session),
    }


def _median_days_to_decision(session: Session) -> float | None:
    """From opening to the first closing move, over reviews that closed."""
    first_close = (
        select(ReviewTransition.review_id, func.min(ReviewTransition.on_date).label("closed_on"))
        .where(ReviewTransition.to_state.in_(CLOSED_STATES))
        .group_by(ReviewTransition.review_id)
        .subquery()
    )
    rows = session.execute(
        select(SharingReview.opened_on, first_close.c.closed_on).join(
            first_close, first_close.c.review_id == SharingReview.id
        )
    ).all()
    days = [(closed - opened).days for opened, closed in rows]
    return statistics.median(days) if days else None
