"""Helpers shared by the governance pages."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from flask_login import current_user

from catalog.db import db
from catalog.models import Dataset, User
from catalog.services.agencies import list_agencies
from search_index import SearchParams, get_store, search_datasets

FIND_LIMIT = 20


def viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def find_datasets(
    query: str, agency_codes: Iterable[str] = (), *, public_only: bool = False
) -> list[Dataset]:
    """Datasets matching what the person typed, through the catalog's one search path."""
    text = (query or "").strip()[:500]
    if not text:
        return []
    filters: dict[str, tuple[str, ...]] = {}
    codes = tuple(sorted({c.upper() for c in agency_codes if c}))
    if codes:
        filters["agency"] = codes
    if public_only:
        filters["access_level"] = ("public",)
    page = search_datasets(
        get_store(current_app),
        db.session,
        SearchParams(q=text, filters=filters, per_page=FIND_LIMIT),
        viewer(),
    )
    return [hit.dataset for hit in page.hits]


def agency_choices(user: User | None, *, all_for_cdo: bool = True) -> list[tuple[str, str]]:
    agencies = list_agencies(db.session)
    if user is not None and user.is_cdo_or_admin and all_for_cdo:
        return [(a.code, f"{a.name} ({a.code})") for a in agencies]
    ids = user.agency_ids if user is not None else set()
    return [(a.code, f"{a.name} ({a.code})") for a in agencies if a.id in ids]
