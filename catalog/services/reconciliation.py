"""What agencies inventory against what the portals publish.

A dataset is *published* when a source with the ``portal`` role brings it; it is *inventoried*
when an ``inventory`` source brings it or a steward registered it in the catalog (it came from
no portal alone). Comparing the two gives three lists:

- ``inventoried_not_published``: public in the inventory, on no portal;
- ``published_not_inventoried``: on a portal, in no agency's inventory;
- ``access_mismatch``: on a portal although the catalog records it as not public.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from catalog.errors import PermissionDenied
from catalog.models import (
    STATUS_ACTIVE,
    UNASSIGNED_CODE,
    Agency,
    Dataset,
    HarvestLink,
    HarvestSource,
    User,
)

LISTS = ("inventoried_not_published", "published_not_inventoried", "access_mismatch")


def _linked(role: str) -> Any:
    return exists(
        select(HarvestLink.id)
        .join(HarvestSource, HarvestSource.id == HarvestLink.source_id)
        .where(HarvestLink.dataset_id == Dataset.id, HarvestSource.role == role)
    )


def published_clause() -> Any:
    """True for datasets a portal source brings (SQL, correlated on ``Dataset``)."""
    return _linked("portal")


def inventoried_clause() -> Any:
    """True for datasets an inventory source brings, or that no portal brings (registered by a
    steward or uploaded): everything the agencies themselves list."""
    return or_(_linked("inventory"), not_(_linked("portal")))


def list_conditions() -> dict[str, Any]:
    published, inventoried = published_clause(), inventoried_clause()
    return {
        "inventoried_not_published": and_(
            inventoried, not_(published), Dataset.access_level == "public"
        ),
        "published_not_inventoried": and_(published, not_(inventoried)),
        "access_mismatch": and_(published, Dataset.access_level != "public"),
    }


def scope_agency_ids(viewer: User) -> set[int] | None:
    """None for everything (the CDO, admins); else the viewer's agencies."""
    if viewer is None or not viewer.is_active:
        raise PermissionDenied("Sign in to see reconciliation.")
    if viewer.is_cdo_or_admin:
        return None
    return viewer.agency_ids


def reconcile(
    session: Session,
    viewer: User,
    *,
    agency_codes: Iterable[str] = (),
    limit: int = 1000,
) -> dict[str, Any]:
    """The three lists for the viewer's scope (stewards: their agencies; the CDO: all), each
    at most ``limit`` items ordered by agency and title, with the full counts."""
    allowed = scope_agency_ids(viewer)
    codes = {c.strip().upper() for c in agency_codes if c and c.strip()}
    result: dict[str, Any] = {"counts": {}}
    for name, condition in list_conditions().items():
        base = (
            select(Dataset.id, Dataset.identifier, Dataset.title, Agency.code, Dataset.access_level)
            .join(Agency, Agency.id == Dataset.agency_id)
            .where(Dataset.status == STATUS_ACTIVE, condition)
        )
        if allowed is not None:
            base = base.where(Dataset.agency_id.in_(allowed or {-1}))
        if codes:
            base = base.where(Agency.code.in_(codes))
        result["counts"][name] = session.scalar(select(func.count()).select_from(base.subquery()))
        rows = session.execute(base.order_by(Agency.code, Dataset.title, Dataset.id).limit(limit))
        result[name] = [
            {"id": i, "identifier": ident, "title": title, "agency": code, "access_level": level}
            for i, ident, title, code, level in rows
        ]
    return result


def coverage_by_agency(session: Session) -> list[dict[str, Any]]:
    """Every agency, including those with nothing inventoried: datasets, public, inventoried,
    published on a portal, and the three reconciliation counts. One GROUP BY."""
    conditions = list_conditions()
    flags = {
        "public": Dataset.access_level == "public",
        "inventoried": inventoried_clause(),
        "published": published_clause(),
        **conditions,
    }
    columns = [func.sum(case((clause, 1), else_=0)).label(name) for name, clause in flags.items()]
    counted = {
        row.agency_id: row
        for row in session.execute(
            select(Dataset.agency_id, func.count(Dataset.id).label("datasets"), *columns)
            .where(Dataset.status == STATUS_ACTIVE)
            .group_by(Dataset.agency_id)
        )
    }
    result = []
    for agency in session.scalars(select(Agency).order_by(Agency.name)):
        row = counted.get(agency.id)
        entry: dict[str, Any] = {
            "id": agency.id,
            "code": agency.code,
            "name": agency.name,
            "unassigned": agency.code == UNASSIGNED_CODE,
            "datasets": int(row.datasets) if row else 0,
        }
        for name in flags:
            entry[name] = int(getattr(row, name) or 0) if row else 0
        result.append(entry)
    return result
