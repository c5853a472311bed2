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


def classify(inventory_link: Any, portal_link: Any) -> dict[str, Any]:
    """The one definition of the terms, as SQL conditions over "an inventory source brings it"
    and "a portal source brings it" (given as EXISTS clauses or as columns of ``_roles``)."""
    public = Dataset.access_level == "public"
    inventoried = or_(inventory_link, not_(portal_link))
    return {
        "public": public,
        "inventoried": inventoried,
        "published": portal_link,
        "inventoried_not_published": and_(inventoried, not_(portal_link), public),
        "published_not_inventoried": and_(portal_link, not_(inventory_link)),
        "access_mismatch": and_(portal_link, not_(public)),
    }


def published_clause() -> Any:
    """True for datasets a portal source brings (correlated on ``Dataset``: for a few rows)."""
    return classify(_linked("inventory"), _linked("portal"))["published"]


def inventoried_clause() -> Any:
    """True for datasets an inventory source brings, or that no portal brings (registered by a
    steward or uploaded): everything the agencies themselves list."""
    return classify(_linked("inventory"), _linked("portal"))["inventoried"]


def _roles(agency_ids: set[int] | None = None) -> Any:
    """Per linked dataset, whether an inventory and whether a portal brings it: one pass over
    the harvest links (of these agencies' datasets), cheaper than EXISTS per dataset at scale."""
    query = (
        select(
            HarvestLink.dataset_id.label("dataset_id"),
            func.max(case((HarvestSource.role == "inventory", 1), else_=0)).label("inv"),
            func.max(case((HarvestSource.role == "portal", 1), else_=0)).label("pub"),
        )
        .join(HarvestSource, HarvestSource.id == HarvestLink.source_id)
        .group_by(HarvestLink.dataset_id)
    )
    if agency_ids is not None:
        query = query.join(Dataset, Dataset.id == HarvestLink.dataset_id).where(
            Dataset.agency_id.in_(agency_ids or {-1})
        )
    return query.subquery("roles")


def _classified(agency_ids: set[int] | None = None) -> tuple[Any, dict[str, Any]]:
    roles = _roles(agency_ids)
    conditions = classify(func.coalesce(roles.c.inv, 0) == 1, func.coalesce(roles.c.pub, 0) == 1)
    return roles, conditions


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
    roles, conditions = _classified(allowed)

    def scoped(query: Any) -> Any:
        query = (
            query.join(Agency, Agency.id == Dataset.agency_id)
            .outerjoin(roles, roles.c.dataset_id == Dataset.id)
            .where(Dataset.status == STATUS_ACTIVE)
        )
        if allowed is not None:
            query = query.where(Dataset.agency_id.in_(allowed or {-1}))
        if codes:
            query = query.where(Agency.code.in_(codes))
        return query

    totals = session.execute(
        scoped(
            select(
                *(func.sum(case((conditions[n], 1), else_=0)).label(n) for n in LISTS)
            ).select_from(Dataset)
        )
    ).one()
    result: dict[str, Any] = {"counts": {n: int(getattr(totals, n) or 0) for n in LISTS}}
    for name in LISTS:
        rows = session.execute(
            scoped(
                select(
                    Dataset.id, Dataset.identifier, Dataset.title, Agency.code,
                    Dataset.access_level,
                ).select_from(Dataset)
            )
            .where(conditions[name])
            .order_by(Agency.code, Dataset.title, Dataset.id)
            .limit(limit)
        )  # fmt: skip
        result[name] = [
            {"id": i, "identifier": ident, "title": title, "agency": code, "access_level": level}
            for i, ident, title, code, level in rows
        ]
    return result


def coverage_by_agency(session: Session) -> list[dict[str, Any]]:
    """Every agency, including those with nothing inventoried: datasets, public, inventoried,
    published on a portal, and the three reconciliation counts. One GROUP BY."""
    roles, flags = _classified()
    columns = [func.sum(case((clause, 1), else_=0)).label(name) for name, clause in flags.items()]
    counted = {
        row.agency_id: row
        for row in session.execute(
            select(Dataset.agency_id, func.count(Dataset.id).label("datasets"), *columns)
            .outerjoin(roles, roles.c.dataset_id == Dataset.id)
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
