"""The CDO dashboard's plan figures: every agency's coverage (those with nothing inventoried
too), who has submitted the year's inventory, and access plans by status."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalog.models import STATUS_ACTIVE, AccessPlanEntry, Dataset
from catalog.services.access_plans import entry_status
from catalog.services.inventory_cycle import current_cycle, submission_status
from catalog.services.plan import plan_today
from catalog.services.reconciliation import coverage_by_agency, published_clause


def plan_dashboard(session: Session) -> dict[str, Any]:
    cycle = current_cycle(session)
    submissions = {}
    if cycle is not None:
        submissions = {row["agency"].code: row for row in submission_status(session, cycle)}
    today = plan_today()
    coverage = coverage_by_agency(session)
    codes = {row["id"]: row["code"] for row in coverage}
    plans: dict[str, Counter] = {}
    for agency_id, target, status, published in session.execute(
        select(AccessPlanEntry.agency_id, AccessPlanEntry.target_date, Dataset.status,
               published_clause())
        .join(Dataset, Dataset.id == AccessPlanEntry.dataset_id)
    ):  # fmt: skip
        plans.setdefault(codes[agency_id], Counter())[
            entry_status(bool(published) and status == STATUS_ACTIVE, target, today)
        ] += 1
    return {
        "coverage": coverage,
        "cycle": cycle,
        "submissions": submissions,
        "access_plans": plans,
        "without_datasets": sum(1 for r in coverage if not r["datasets"] and not r["unassigned"]),
    }
