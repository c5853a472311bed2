"""Figures the CDO reads every week: the due-date timeline, stage durations, the sharing matrix,
and what a non-public dataset's public page says about why it is not open."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from catalog.models import Agency, Dataset, SharingReview
from catalog.models.review import CLOSED_STATES, OPEN_STATES, STATE_LABELS, ReviewTransition
from catalog.schemas.review import present_authority
from catalog.services.review_config import get_timeline
from catalog.services.review_queries import reviews_for_dataset
from catalog.services.reviews import today_or_clock

WEEKS_AHEAD = 12
MONTHS_BACK = 12


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def timeline_data(session: Session, today: date | None = None) -> dict[str, Any]:
    """Chart data: open reviews by due week (stacked by stage) and reviews opened/closed a month."""
    day = today_or_clock(today)
    this_week = _monday(day)
    weeks = [this_week + timedelta(weeks=i) for i in range(WEEKS_AHEAD)]
    labels = ["Overdue", *[f"Week of {w.isoformat()}" for w in weeks], "Later"]
    counts = {state: [0] * len(labels) for state in OPEN_STATES}
    open_rows = session.execute(
        select(SharingReview.state, SharingReview.due_on).where(
            SharingReview.state.in_(OPEN_STATES), SharingReview.due_on.is_not(None)
        )
    ).all()
    for state, due_on in open_rows:
        if due_on < day:
            index = 0
        else:
            offset = (_monday(due_on) - this_week).days // 7
            index = offset + 1 if offset < WEEKS_AHEAD else len(labels) - 1
        counts[state][index] += 1

    months = []
    first = date(day.year, day.month, 1)
    for back in range(MONTHS_BACK - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        months.append((year, month + 1))
    opened = dict.fromkeys(months, 0)
    closed = dict.fromkeys(months, 0)
    start = date(*months[0], 1)
    for (opened_on,) in session.execute(
        select(SharingReview.opened_on).where(SharingReview.opened_on >= start)
    ):
        if (opened_on.year, opened_on.month) in opened:
            opened[(opened_on.year, opened_on.month)] += 1
    for (on_date,) in session.execute(
        select(ReviewTransition.on_date).where(
            ReviewTransition.on_date >= start, ReviewTransition.to_state.in_(CLOSED_STATES)
        )
    ):
        if (on_date.year, on_date.month) in closed:
            closed[(on_date.year, on_date.month)] += 1
    return {
        "as_of": day.isoformat(),
        "due": {
            "labels": labels,
            "datasets": [
                {"label": STATE_LABELS[state], "state": state, "data": counts[state]}
                for state in OPEN_STATES
            ],
        },
        "flow": {
            "labels": [f"{y}-{m:02d}" for y, m in months],
            "datasets": [
                {"label": "Opened", "data": list(opened.values())},
                {"label": "Closed", "data": list(closed.values())},
            ],
        },
        "stages": stage_durations(session),
    }


def stage_durations(session: Session) -> list[dict[str, Any]]:
    """Per open stage: the timeline's allowance and the median days reviews actually spent."""
    timeline = get_timeline()
    spent: dict[str, list[int]] = defaultdict(list)
    rows = session.execute(
        select(
            ReviewTransition.review_id, ReviewTransition.to_state, ReviewTransition.on_date
        ).order_by(ReviewTransition.review_id, ReviewTransition.id)
    ).all()
    for current, following in itertools.pairwise(rows):
        if current.review_id == following.review_id and current.to_state in OPEN_STATES:
            spent[current.to_state].append((following.on_date - current.on_date).days)
    return [
        {
            "state": state,
            "label": stage.label,
            "allowed_days": stage.days,
            "completed": len(spent[state]),
            "median_days": statistics.median(spent[state]) if spent[state] else None,
            "over_allowance": sum(1 for d in spent[state] if d > stage.days),
        }
        for state, stage in timeline.stages.items()
    ]


@dataclass(frozen=True)
class MatrixDataset:
    id: str
    title: str
    agency_code: str


@dataclass(frozen=True)
class MatrixCell:
    id: int
    state: str


def sharing_matrix(session: Session, agency: str | None = None) -> dict[str, Any]:
    """Rows: datasets with reviews; columns: requesting agencies ("PUBLIC" = public release).

    Each cell holds the latest review for that pair (its id and state). Reads columns only, so
    thousands of reviews stay cheap.
    """
    holder = aliased(Agency)
    requester = aliased(Agency)
    query = (
        select(
            SharingReview.id,
            SharingReview.state,
            Dataset.id,
            Dataset.title,
            holder.code,
            requester.code,
        )
        .join(Dataset, SharingReview.dataset_id == Dataset.id)
        .join(holder, Dataset.agency_id == holder.id)
        .outerjoin(requester, SharingReview.requesting_agency_id == requester.id)
        .order_by(SharingReview.id)
    )
    if agency:
        query = query.where(holder.code == agency.upper())
    cells: dict[tuple[str, str], MatrixCell] = {}
    datasets: dict[str, MatrixDataset] = {}
    for review_id, state, dataset_id, title, holder_code, requester_code in session.execute(query):
        column = requester_code or "PUBLIC"
        cells[(dataset_id, column)] = MatrixCell(review_id, state)  # later ids win
        datasets.setdefault(dataset_id, MatrixDataset(dataset_id, title, holder_code))
    columns = {column for _, column in cells}
    ordered = sorted(columns - {"PUBLIC"}) + (["PUBLIC"] if "PUBLIC" in columns else [])
    rows = [
        {"dataset": dataset, "cells": [cells.get((dataset.id, column)) for column in ordered]}
        for dataset in sorted(datasets.values(), key=lambda d: (d.agency_code, d.title))
    ]
    return {"columns": ordered, "rows": rows}


def why_not_open(session: Session, dataset: Dataset) -> dict[str, Any] | None:
    """What the public page says about a non-public dataset. Never internal notes or comments."""
    if dataset.access_level == "public":
        return None
    reviews = reviews_for_dataset(session, dataset.id)
    reasons: list[str] = []
    for review in sorted(reviews, key=lambda r: (r.requesting_agency_id is not None, -r.id)):
        if review.public_reason and review.public_reason not in reasons:
            reasons.append(review.public_reason)
    if not reasons and dataset.rights:
        reasons.append(dataset.rights)
    authorities: dict[str, dict[str, Any]] = {}
    for review in reviews:
        for authority in review.authorities:
            authorities.setdefault(authority.code, present_authority(authority))
    status = dataset.review_status
    latest_decision = next(
        (r for r in sorted(reviews, key=lambda r: r.decided_on or date.min, reverse=True)
         if r.decided_on),
        None,
    )  # fmt: skip
    return {
        "access_level": dataset.access_level,
        "reasons": reasons,
        "authorities": list(authorities.values()),
        "review_status": status,
        "review_label": STATE_LABELS.get(status, "Not yet reviewed") if status else None,
        "decision": latest_decision.decision if latest_decision else None,
        "decided_on": latest_decision.decided_on if latest_decision else None,
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "officer_name": dataset.agency.data_officer_name,
        "officer_email": dataset.agency.data_officer_email,
        "agency_name": dataset.agency.name,
    }
