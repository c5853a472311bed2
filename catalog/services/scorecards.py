"""Read-side roll-ups for the dashboard, agency scorecards, exports and the API.

Everything is a GROUP BY in SQL or a read of stored snapshots; no page loads dataset rows into
Python beyond short, limited lists.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalog.models import (
    STATUS_ACTIVE,
    Agency,
    ConformanceResult,
    ConformanceSnapshot,
    Dataset,
    LinkCheck,
)
from catalog.services.conformance import FAIL, NOT_APPLICABLE, PASS, _pct
from catalog.standards import RuleSet

R = ConformanceResult


def _scope(query: Any, agency: Agency, public_only: bool) -> Any:
    query = query.where(R.agency_id == agency.id)
    if public_only:
        query = query.where(R.access_level == "public")
    return query


def agency_scorecard(
    session: Session, agency: Agency, rule_set: RuleSet, *, public_only: bool
) -> dict[str, Any]:
    """Score, dataset count and per-standard / per-principle / per-rule figures for one agency.

    ``public_only`` limits every figure to the agency's public datasets (what anonymous users see).
    """
    datasets = select(func.count(Dataset.id), func.avg(Dataset.conformance_score)).where(
        Dataset.agency_id == agency.id, Dataset.status == STATUS_ACTIVE
    )
    if public_only:
        datasets = datasets.where(Dataset.access_level == "public")
    count, avg = session.execute(datasets).one()
    counts: dict[tuple[str, str], int] = {}
    for rule_id, status, n in session.execute(
        _scope(select(R.rule_id, R.status, func.count()), agency, public_only).group_by(
            R.rule_id, R.status
        )
    ):
        counts[(rule_id, status)] = n
    rules = []
    standards: dict[str, list[int]] = {s.key: [0, 0] for s in rule_set.standards}
    principles: dict[str, list[int]] = {}
    for rule in rule_set.rules:
        passed, failed = counts.get((rule.id, PASS), 0), counts.get((rule.id, FAIL), 0)
        rules.append(
            {
                "rule": rule.id,
                "title": rule.title,
                "standard": rule.standard,
                "principle": rule.principle,
                "pass": passed,
                "fail": failed,
                "not_applicable": counts.get((rule.id, NOT_APPLICABLE), 0),
                "score": _pct(passed, failed),
            }
        )
        for bucket in (standards[rule.standard], principles.setdefault(rule.principle, [0, 0])):
            bucket[0] += passed * rule.weight
            bucket[1] += failed * rule.weight
    return {
        "agency": agency.code,
        "name": agency.name,
        "datasets": int(count or 0),
        "score": round(float(avg), 1) if avg is not None else None,
        "public_only": public_only,
        "standards": [
            {"key": s.key, "title": s.title, "version": s.version, "score": _pct(*standards[s.key])}
            for s in rule_set.standards
        ],
        "principles": [
            {"principle": p, "score": _pct(*w)}
            for p, w in sorted(principles.items(), key=lambda i: int(i[0][1:]))
        ],
        "rules": rules,
    }


def agency_todo(
    session: Session, agency: Agency, rule_set: RuleSet, per_rule: int = 25
) -> list[dict[str, Any]]:
    """Each failing rule for the agency, heaviest first, with how to fix it and the datasets."""
    failing = dict(
        session.execute(
            select(R.rule_id, func.count())
            .where(R.agency_id == agency.id, R.status == FAIL)
            .group_by(R.rule_id)
        ).all()
    )
    todo = []
    for rule in sorted(rule_set.rules, key=lambda r: (-r.weight, -failing.get(r.id, 0), r.id)):
        if not failing.get(rule.id):
            continue
        items = session.execute(
            select(Dataset.id, Dataset.title, R.message)
            .join(Dataset, Dataset.id == R.dataset_id)
            .where(R.agency_id == agency.id, R.rule_id == rule.id, R.status == FAIL)
            .order_by(R.dataset_id)
            .limit(per_rule)
        ).all()
        todo.append(
            {
                "rule": rule.id,
                "title": rule.title,
                "weight": rule.weight,
                "principle": rule.principle,
                "how_to_fix": rule.how_to_fix,
                "count": failing[rule.id],
                "datasets": [{"id": i, "title": t, "message": m} for i, t, m in items],
            }
        )
    return todo


def recent_snapshots(session: Session, limit: int = 60) -> list[ConformanceSnapshot]:
    rows = session.scalars(
        select(ConformanceSnapshot).order_by(ConformanceSnapshot.taken_at.desc()).limit(limit)
    )
    return list(reversed(rows.all()))


def agency_trend(
    session: Session, code: str, *, public_only: bool, limit: int = 60
) -> list[dict[str, Any]]:
    key = "public_score" if public_only else "score"
    trend = []
    for snap in recent_snapshots(session, limit):
        figures = snap.figures.get("agencies", {}).get(code)
        if figures is not None:
            trend.append(
                {
                    "date": snap.taken_on.isoformat(),
                    "score": figures.get(key),
                    "rule_set_version": snap.rule_set_version,
                }
            )
    return trend


def dashboard(session: Session, rule_set: RuleSet) -> dict[str, Any]:
    """The CDO dashboard: heatmap, trends and most-failed rules from snapshots; short live lists."""
    snapshots = recent_snapshots(session)
    latest = snapshots[-1] if snapshots else None
    figures = latest.figures if latest else {}
    agencies = figures.get("agencies", {})
    heatmap = [
        {"code": code, "name": a["name"], "datasets": a["datasets"], "score": a["score"],
         "cells": [a["standards"].get(s.key) for s in rule_set.standards]}
        for code, a in sorted(agencies.items())
    ]  # fmt: skip
    trend = {
        "labels": [s.taken_on.isoformat() for s in snapshots],
        "series": [
            {
                "label": code,
                "data": [
                    s.figures.get("agencies", {}).get(code, {}).get("score") for s in snapshots
                ],
            }
            for code in sorted(agencies)
        ],
        "versions": [s.rule_set_version for s in snapshots],
    }
    titles = {rule.id: rule.title for rule in rule_set.rules}
    most_failed = sorted(
        (
            {"rule": rid, "title": titles.get(rid, rid), **c}
            for rid, c in figures.get("rules", {}).items()
            if c.get(FAIL)
        ),
        key=lambda r: -r[FAIL],
    )[:10]
    timeliness = [rule.id for rule in rule_set.rules if rule.kind == "timeliness"]
    stale_count = sum(figures.get("rules", {}).get(rid, {}).get(FAIL, 0) for rid in timeliness)
    stale = []
    if timeliness:
        # Walk datasets oldest first (modified_at index) and probe each one's result by primary
        # key: the oldest are the stale ones, so this stops after a few dozen rows at any size.
        # No status filter: only active datasets have results, and a filter would defeat the index.
        failing = (
            select(R.dataset_id)
            .where(R.dataset_id == Dataset.id, R.rule_id.in_(timeliness), R.status == FAIL)
            .exists()
        )
        stale = [
            dict(row._mapping)
            for row in session.execute(
                select(
                    Dataset.id,
                    Dataset.title,
                    Dataset.modified,
                    Dataset.accrual_periodicity,
                    Agency.code.label("agency"),
                )
                .join(Agency, Agency.id == Dataset.agency_id)
                .where(failing)
                .order_by(Dataset.modified_at)
                .limit(20)
            )
        ]
    broken = session.execute(
        select(LinkCheck.url, LinkCheck.detail, LinkCheck.checked_at)
        .where(LinkCheck.ok.is_(False))
        .order_by(LinkCheck.checked_at.desc())
        .limit(10)
    ).all()
    return {
        "snapshot": latest,
        "standards": rule_set.standards,
        "heatmap": heatmap,
        "trend": trend,
        "most_failed": most_failed,
        "stale_count": stale_count,
        "stale": stale,
        "links": figures.get("links", {"ok": 0, "broken": 0, "unchecked": 0}),
        "broken_links": broken,
    }


def scorecard_table(
    session: Session, agency: Agency, rule_set: RuleSet, *, public_only: bool
) -> tuple[list[str], list[list[Any]]]:
    """One row per dataset: id, title, access level, score and each rule's status (for exports)."""
    rules = rule_set.rules
    header = ["dataset_id", "title", "access_level", "score"] + [rule.id for rule in rules]
    query = select(
        Dataset.id, Dataset.title, Dataset.access_level, Dataset.conformance_score
    ).where(Dataset.agency_id == agency.id, Dataset.status == STATUS_ACTIVE)
    if public_only:
        query = query.where(Dataset.access_level == "public")
    datasets = session.execute(query.order_by(Dataset.title, Dataset.id)).all()
    statuses: dict[str, dict[str, str]] = {}
    for dataset_id, rule_id, status in session.execute(
        _scope(select(R.dataset_id, R.rule_id, R.status), agency, public_only)
    ):
        statuses.setdefault(dataset_id, {})[rule_id] = status
    rows = [
        [d.id, d.title, d.access_level, d.conformance_score]
        + [statuses.get(d.id, {}).get(rule.id, "") for rule in rules]
        for d in datasets
    ]
    return header, rows
